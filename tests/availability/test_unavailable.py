"""SPEC 12: an agent whose own calendar cannot be read offers nothing
(CALENDAR_UNAVAILABLE), in every path of the engine: the slot search, the candidates of
a booking, `explain` and `explain_start`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability import (
    BUSY_EXTERNAL,
    CALENDAR_UNAVAILABLE,
    HELD,
    OFFICE,
    OUTSIDE_HOURS,
    TOO_FAR,
    TOO_SOON,
    Busy,
    Interval,
    Occupation,
    Organisation,
    PlanningRule,
    Reason,
    candidates,
    explain,
    explain_start,
    find_slots,
)
from tests.availability.cases import MONDAY, NOW, Bank, query, utc
from tests.availability.strategies import Scenario, scenarios

TEN = utc(2026, 6, 15, 8, 0)  # Monday 10:00 in Brussels


def test_an_unavailable_agent_offers_nothing_while_a_colleague_still_does() -> None:
    org = Bank(agents=("ann", "bob")).org()
    both = find_slots(org, Busy(), query(), NOW)
    assert find_slots(org, Busy(unavailable=frozenset({"ann"})), query(), NOW) == both
    assert find_slots(org, Busy(unavailable=frozenset({"ann"})), query(agent="ann"), NOW) == []
    assert find_slots(org, Busy(unavailable=frozenset({"ann", "bob"})), query(), NOW) == []


def test_an_unavailable_agent_is_no_candidate_for_a_booking() -> None:
    org = Bank(agents=("ann", "bob")).org()
    busy = Busy(unavailable=frozenset({"ann"}))
    found = candidates(org, busy, "mortgage", OFFICE, "brussels", None, TEN, NOW)
    assert [candidate.agent for candidate in found] == ["bob"]


def test_explain_names_the_calendar_after_hours_and_horizon_before_busy_time() -> None:
    busy = Busy(
        external={"ann": [Interval(utc(2026, 6, 15), utc(2026, 6, 16))]},
        unavailable=frozenset({"ann"}),
    )
    reasons = explain(
        Bank().org(),
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
    assert reasons == [Reason(CALENDAR_UNAVAILABLE, "mortgage", OFFICE, "brussels", "ann")]
    # Without hours that day, the hours are what is wrong.
    saturday = MONDAY + timedelta(days=5)
    reasons = explain(
        Bank().org(),
        busy,
        "mortgage",
        OFFICE,
        "brussels",
        None,
        saturday,
        saturday,
        "Europe/Brussels",
        NOW,
    )
    assert [reason.code for reason in reasons] == [OUTSIDE_HOURS]


@pytest.mark.parametrize(
    ("bank", "busy", "start", "code"),
    [
        pytest.param(Bank(), Busy(), TEN, None, id="offered"),
        pytest.param(Bank(), Busy(), TEN + timedelta(minutes=7), OUTSIDE_HOURS, id="off-grid"),
        pytest.param(Bank(), Busy(), utc(2026, 6, 15, 14, 45), OUTSIDE_HOURS, id="runs-past-block"),
        pytest.param(
            Bank(rule=PlanningRule(earliest=3 * 1440)), Busy(), TEN, TOO_SOON, id="too-soon"
        ),
        pytest.param(Bank(rule=PlanningRule(latest=0)), Busy(), TEN, TOO_FAR, id="too-far"),
        pytest.param(
            Bank(),
            Busy(unavailable=frozenset({"ann"})),
            TEN,
            CALENDAR_UNAVAILABLE,
            id="calendar-unavailable",
        ),
        pytest.param(
            Bank(),
            Busy(occupations={"ann": [Occupation(TEN, TEN + timedelta(minutes=30), hold=True)]}),
            TEN,
            HELD,
            id="held",
        ),
        pytest.param(
            Bank(),
            Busy(
                external={"ann": [Interval(TEN + timedelta(minutes=29), TEN + timedelta(hours=1))]}
            ),
            TEN,
            BUSY_EXTERNAL,
            id="external-busy-in-the-last-minute",
        ),
    ],
)
def test_explain_start_gives_the_first_condition_one_start_fails(
    bank: Bank, busy: Busy, start: datetime, code: str | None
) -> None:
    assert (
        explain_start(bank.org(), busy, "mortgage", OFFICE, "brussels", "ann", start, NOW) == code
    )


@settings(settings.get_profile("availability"))
@given(scenarios(), st.data())
def test_an_unavailable_calendar_is_the_same_as_an_agent_who_plans_nothing_online(
    scenario: Scenario, data: st.DataObject
) -> None:
    org = scenario.org
    # The scenario's own unreadable calendars stay unreadable on both sides.
    gone = scenario.busy.unavailable | data.draw(st.sets(st.sampled_from(sorted(org.agents))))
    busy = replace(scenario.busy, unavailable=gone)
    offline = Organisation(
        org.subjects,
        org.offices,
        {
            key: replace(agent, online_planning=False) if key in gone else agent
            for key, agent in org.agents.items()
        },
    )
    offered = find_slots(org, busy, scenario.query, scenario.now)
    assert offered == find_slots(offline, scenario.busy, scenario.query, scenario.now)
    asked = scenario.query
    reasons = explain(
        org,
        busy,
        asked.subject,
        asked.meeting_type,
        asked.office,
        asked.agent,
        asked.first_day,
        asked.last_day,
        asked.timezone,
        scenario.now,
    )
    assert (reasons == []) == bool(offered)
    for slot in offered:
        found = candidates(
            org,
            busy,
            asked.subject,
            asked.meeting_type,
            asked.office,
            asked.agent,
            slot.start,
            scenario.now,
        )
        assert found and not {candidate.agent for candidate in found} & gone
