"""`why_not_served`: the first date-free condition that keeps an agent from a combination,
the same reading of the organisation as `servers` (which the catalog and `check` use)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from availability import (
    MEETING_TYPES,
    REASON_CODES,
    closest,
    servers,
    why_not_served,
)
from tests.availability.cases import CLOSED, Bank, Closed
from tests.availability.strategies import Scenario, scenarios

properties = settings(settings.get_profile("availability"))


@properties
@given(scenarios())
def test_an_agent_is_served_exactly_when_servers_lists_them(scenario: Scenario) -> None:
    org = scenario.org
    able = servers(org)
    for subject in org.subjects:
        for meeting_type in MEETING_TYPES:
            for office in org.offices:
                for agent in org.agents:
                    listed = agent in able.get((subject, meeting_type, office), ())
                    failure = why_not_served(org, agent, office, subject, meeting_type)
                    assert (failure is None) == listed, (subject, meeting_type, office, agent)


#: The date-free conditions of SPEC 4 (2 to 8): each closed bank fails at its own code.
DATE_FREE = {
    key: CLOSED[key]
    for key in (
        "2-type-not-enabled",
        "3-office-inactive",
        "4-type-not-enabled-for-office",
        "5-no-agent-assigned",
        "6-no-expertise",
        "7-agent-inactive",
        "7-agent-not-online",
        "8-block-at-another-office",
        "8-block-not-for-the-subject",
        "8-block-not-for-the-meeting-type",
    )
}


@pytest.mark.parametrize("case", [pytest.param(case, id=key) for key, case in DATE_FREE.items()])
def test_each_date_free_condition_has_its_reason(case: Closed) -> None:
    org = case.bank.org()
    assert why_not_served(org, "ann", "brussels", "mortgage", case.asked.meeting_type) == case.code


def test_an_open_bank_serves() -> None:
    assert why_not_served(Bank().org(), "ann", "brussels", "mortgage", "OFFICE") is None


def test_the_closest_reason_is_the_one_furthest_down_the_table() -> None:
    assert closest(["OFFICE_INACTIVE", "AGENT_NOT_ONLINE", "NO_AGENT_ASSIGNED"]) == (
        "AGENT_NOT_ONLINE"
    )
    assert closest([]) is None
    assert closest(REASON_CODES) == REASON_CODES[-1]
