"""One start is one offer: when offices' rules give one start different durations (an
office override), the start is offered once, with the shortest duration, and the
booking's side (`candidates(duration=...)`, `offered`) gives exactly that."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings

from availability import (
    VIDEO,
    Agent,
    Busy,
    Occupation,
    Office,
    OfficeSubject,
    Organisation,
    PlanningRule,
    Subject,
    candidates,
    find_slot_minutes,
    find_slots,
    offered,
    to_slots,
)
from tests.availability.cases import NOW, WEEK, query, utc
from tests.availability.reference import reference_slots
from tests.availability.strategies import Scenario, scenarios

properties = settings(settings.get_profile("availability"))

NINE = utc(2026, 6, 15, 7, 0)  # Monday 09:00 in Brussels


def two_offices() -> Organisation:
    """Mortgage by video from two offices; Antwerp overrides the duration to 45 minutes."""
    short, long = PlanningRule(duration=30), PlanningRule(duration=45)
    return Organisation(
        subjects={"mortgage": Subject("mortgage", meeting_types={VIDEO: short})},
        offices={
            "antwerp": Office(
                "antwerp",
                "Europe/Brussels",
                subjects={"mortgage": OfficeSubject(frozenset({VIDEO}), ("ann",), {VIDEO: long})},
            ),
            "brussels": Office(
                "brussels",
                "Europe/Brussels",
                subjects={"mortgage": OfficeSubject(frozenset({VIDEO}), ("bob",), {VIDEO: short})},
            ),
        },
        agents={
            "ann": Agent("ann", expertise=frozenset({"mortgage"}), week=_week("antwerp")),
            "bob": Agent("bob", expertise=frozenset({"mortgage"}), week=_week("brussels")),
        },
    )


def _week(office: str) -> tuple[tuple[object, ...], ...]:
    from dataclasses import replace

    return tuple(tuple(replace(block, office=office) for block in day) for day in WEEK)


ANYWHERE = query(meeting_type=VIDEO, office=None)


def test_a_start_two_offices_offer_with_different_durations_is_offered_once_the_shortest() -> None:
    slots = find_slots(two_offices(), Busy(), ANYWHERE, NOW)
    assert len({slot.start for slot in slots}) == len(slots)
    nine = [slot for slot in slots if slot.start == NINE]
    assert [slot.duration for slot in nine] == [30]


def test_when_the_shorter_office_is_busy_the_longer_offer_takes_its_place() -> None:
    busy = Busy({"bob": [Occupation(NINE, NINE + timedelta(minutes=30))]})
    [nine] = [slot for slot in find_slots(two_offices(), busy, ANYWHERE, NOW) if slot.start == NINE]
    assert nine.duration == 45


def test_candidates_of_a_duration_are_only_the_offices_that_give_it() -> None:
    org = two_offices()
    every = candidates(org, Busy(), "mortgage", VIDEO, None, None, NINE, NOW)
    assert {(option.office, option.end - option.start) for option in every} == {
        ("antwerp", timedelta(minutes=45)),
        ("brussels", timedelta(minutes=30)),
    }
    long = candidates(org, Busy(), "mortgage", VIDEO, None, None, NINE, NOW, duration=45)
    assert [option.office for option in long] == ["antwerp"]
    assert candidates(org, Busy(), "mortgage", VIDEO, None, None, NINE, NOW, duration=60) == []
    assert [option.office for option in offered(every)] == ["brussels"]


def test_the_minutes_answer_is_the_slots_answer() -> None:
    found = find_slot_minutes(two_offices(), Busy(), ANYWHERE, NOW)
    assert to_slots(found) == find_slots(two_offices(), Busy(), ANYWHERE, NOW)
    assert set(found.durations) == {30}


# Properties over generated organisations (offices there override rules at random) ----


@properties
@given(scenarios())
def test_no_start_appears_twice(scenario: Scenario) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    starts = [slot.start for slot in find_slots(org, busy, asked, now)]
    assert len(starts) == len(set(starts))


@properties
@given(scenarios())
def test_each_slot_is_what_booking_it_with_its_duration_gives(scenario: Scenario) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    for slot in find_slots(org, busy, asked, now):
        args = (org, busy, asked.subject, asked.meeting_type, asked.office, asked.agent)
        shown = candidates(*args, slot.start, now, duration=slot.duration)
        assert shown and all(option.end == slot.end for option in shown)
        assert offered(candidates(*args, slot.start, now)) == shown


@properties
@given(scenarios())
def test_the_minutes_answer_agrees_with_the_reference(scenario: Scenario) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    found = find_slot_minutes(org, busy, asked, now)
    assert to_slots(found) == reference_slots(org, busy, asked, now)
    assert list(found.starts) == sorted(set(found.starts))
