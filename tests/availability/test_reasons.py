from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings

from availability import (
    AGENT_INACTIVE,
    BUSY,
    NO_AGENT_ASSIGNED,
    OFFICE,
    OFFICE_INACTIVE,
    REASON_CODES,
    SUBJECT_NOT_AVAILABLE,
    TIME_OFF,
    Busy,
    Interval,
    Occupation,
    Office,
    Organisation,
    PlanningRule,
    Reason,
    explain,
    find_slots,
)
from tests.availability.cases import CLOSED, MONDAY, NOW, Bank, Closed, busy_all_day, utc
from tests.availability.strategies import Scenario, scenarios

ORG_LEVEL = {"SUBJECT_NOT_AVAILABLE", "MEETING_TYPE_NOT_ENABLED"}
OFFICE_LEVEL = {"OFFICE_INACTIVE", "MEETING_TYPE_NOT_ENABLED_FOR_OFFICE", "NO_AGENT_ASSIGNED"}


def why(bank: Bank, busy: Busy | None = None, **changes: object) -> list[Reason]:
    asked: dict[str, object] = {
        "subject": "mortgage",
        "meeting_type": OFFICE,
        "office": "brussels",
        "agent": None,
        "first_day": MONDAY,
        "last_day": MONDAY,
        "timezone": "Europe/Brussels",
        "now": NOW,
    }
    asked.update(changes)
    return explain(bank.org(), busy or Busy(), **asked)  # type: ignore[arg-type]


def test_every_code_of_the_table_is_exported_in_table_order() -> None:
    assert REASON_CODES[0] == SUBJECT_NOT_AVAILABLE
    assert len(REASON_CODES) == 16
    assert {case.code for case in CLOSED.values()} == set(REASON_CODES)


@pytest.mark.parametrize("case", [pytest.param(case, id=key) for key, case in CLOSED.items()])
def test_each_failing_condition_is_reported_with_its_code(case: Closed) -> None:
    asked = case.asked
    reasons = explain(
        case.bank.org(),
        case.busy,
        asked.subject,
        asked.meeting_type,
        asked.office,
        asked.agent,
        asked.first_day,
        asked.last_day,
        asked.timezone,
        NOW,
    )
    office = None if case.code in ORG_LEVEL else "brussels"
    agent = None if case.code in ORG_LEVEL | OFFICE_LEVEL else "ann"
    kind = None if case.code == SUBJECT_NOT_AVAILABLE else OFFICE
    assert reasons == [Reason(case.code, "mortgage", kind, office, agent)]


def test_nothing_to_explain_when_a_slot_is_offered() -> None:
    assert why(Bank()) == []


def test_each_agent_is_reported_once_in_agent_id_order() -> None:
    bank = Bank(agents=("bob", "ann"))
    busy = busy_all_day("ann")
    org = bank.org()
    inactive = {**org.agents, "bob": replace(org.agents["bob"], active=False)}
    reasons = explain(
        Organisation(org.subjects, org.offices, inactive),
        busy,
        "mortgage",
        OFFICE,
        "brussels",
        None,
        MONDAY,
        MONDAY,
        "Europe/Brussels",
        NOW,
    )
    assert [(reason.code, reason.agent) for reason in reasons] == [
        (BUSY, "ann"),
        (AGENT_INACTIVE, "bob"),
    ]


def test_an_agent_asked_for_but_not_assigned_is_named() -> None:
    reasons = why(Bank(agents=("ann", "bob"), assigned=("ann",)), agent="bob")
    assert reasons == [Reason(NO_AGENT_ASSIGNED, "mortgage", OFFICE, "brussels", "bob")]


def test_the_first_failing_condition_is_the_furthest_any_start_got() -> None:
    # Monday is busy, Tuesday is beyond the horizon: the agent is BUSY, not TOO_FAR.
    bank = Bank(rule=PlanningRule(latest=1))
    reasons = why(bank, busy_all_day(), last_day=MONDAY + timedelta(days=1))
    assert [reason.code for reason in reasons] == [BUSY]


def test_time_off_is_explained_as_time_off_before_appointments() -> None:
    # The morning off, the afternoon booked: the agent's own time off is named.
    monday = busy_all_day()
    morning = Interval(utc(2026, 6, 15, 0, 0), utc(2026, 6, 15, 11, 0))  # 13:00 local
    afternoon = [Occupation(utc(2026, 6, 15, 11, 0), utc(2026, 6, 16, 0, 0))]
    both = Busy(occupations={"ann": afternoon}, time_off={"ann": [morning]})
    assert [reason.code for reason in why(Bank(), both)] == [TIME_OFF]
    assert [reason.code for reason in why(Bank(), monday)] == [BUSY]
    assert why(Bank(), Busy(time_off={"bob": [morning]})) == []  # another agent's


def test_without_an_office_every_office_is_examined_for_any_meeting_type() -> None:
    org = Bank().org()
    closed = Office("antwerp", "Europe/Brussels", active=False)
    offices = {**org.offices, "antwerp": closed}
    reasons = explain(
        Organisation(org.subjects, offices, org.agents),
        busy_all_day(),
        "mortgage",
        OFFICE,
        None,
        None,
        MONDAY,
        MONDAY,
        "Europe/Brussels",
        NOW,
    )
    assert [(reason.code, reason.office) for reason in reasons] == [
        (OFFICE_INACTIVE, "antwerp"),
        (BUSY, "brussels"),
    ]


@settings(settings.get_profile("availability"))
@given(scenarios())
def test_explain_is_empty_exactly_when_something_is_offered(scenario: Scenario) -> None:
    asked = scenario.query
    reasons = explain(
        scenario.org,
        scenario.busy,
        asked.subject,
        asked.meeting_type,
        asked.office,
        asked.agent,
        asked.first_day,
        asked.last_day,
        asked.timezone,
        scenario.now,
    )
    offered = find_slots(scenario.org, scenario.busy, asked, scenario.now)
    assert (reasons == []) == bool(offered)
    assert reasons == sorted(reasons, key=lambda reason: (reason.office or "", reason.agent or ""))
