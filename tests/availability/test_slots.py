from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings

from availability import (
    OFFICE,
    PHONE,
    VIDEO,
    Block,
    Busy,
    Interval,
    Occupation,
    PlanningRule,
    Slot,
    candidates,
    choose_agent,
    find_slots,
)
from availability.model import Organisation
from tests.availability.cases import (
    CLOSED,
    MONDAY,
    NOW,
    WORKDAY,
    Bank,
    Closed,
    busy_all_day,
    query,
    utc,
)
from tests.availability.reference import reference_slots
from tests.availability.strategies import Scenario, scenarios

properties = settings(settings.get_profile("availability"))


def starts(slots: list[Slot]) -> list[datetime]:
    return [slot.start for slot in slots]


# Conditions 1 to 12, one at a time --------------------------------------------------


def test_an_ordinary_monday_offers_every_grid_start_of_both_blocks() -> None:
    slots = find_slots(Bank().org(), Busy(), query(), NOW)
    # 09:00-12:30 and 13:30-17:00 in summer time (UTC+2), 30 minutes every 15.
    morning = [utc(2026, 6, 15, 7, 0) + timedelta(minutes=15 * k) for k in range(13)]
    afternoon = [utc(2026, 6, 15, 11, 30) + timedelta(minutes=15 * k) for k in range(13)]
    assert starts(slots) == morning + afternoon
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)


@pytest.mark.parametrize("case", [pytest.param(case, id=key) for key, case in CLOSED.items()])
def test_nothing_is_offered_when_one_condition_fails(case: Closed) -> None:
    assert find_slots(case.bank.org(), case.busy, case.asked, NOW) == []


def test_condition_9_only_grid_starts_counted_from_the_block_start_are_offered() -> None:
    week = ((Block(time(9, 10), time(10, 20), "brussels"),),) * 7
    bank = Bank(rule=PlanningRule(duration=30, granularity=25), week=week)
    slots = find_slots(bank.org(), Busy(), query(), NOW)
    assert [slot.start.astimezone(UTC).time() for slot in slots] == [
        time(7, 10),
        time(7, 35),
    ]  # 09:10, 09:35 local; 10:00 would end after 10:20


def test_condition_10_the_first_start_is_the_first_one_at_or_after_now_plus_earliest() -> None:
    now = utc(2026, 6, 15, 8, 1, 30)  # 10:01:30 local
    slots = find_slots(Bank(rule=PlanningRule(earliest=60)).org(), Busy(), query(), now)
    assert slots[0].start == utc(2026, 6, 15, 9, 15)


def test_condition_11_the_horizon_is_counted_in_local_dates_of_the_office() -> None:
    # 23:30 UTC on Sunday is already Monday in Brussels: Monday is "today" there.
    now = utc(2026, 6, 14, 23, 30)
    bank = Bank(rule=PlanningRule(latest=1))
    slots = find_slots(bank.org(), Busy(), query(MONDAY, MONDAY + timedelta(days=3)), now)
    assert {slot.start.date() for slot in slots} == {MONDAY, MONDAY + timedelta(days=1)}


# Condition 12 in detail: buffers and concurrency ------------------------------------


def _one_block(rule: PlanningRule) -> Organisation:
    return Bank(rule=rule, week=((Block(time(9), time(10), "brussels"),),) * 7).org()


@pytest.mark.parametrize(
    ("rule", "occupation", "expected"),
    [
        pytest.param(
            PlanningRule(duration=30, granularity=15),
            None,
            [(9, 0), (9, 15), (9, 30)],
            id="free-block",
        ),
        pytest.param(
            PlanningRule(duration=30, granularity=15, trailing_buffer=15),
            None,
            [(9, 0), (9, 15), (9, 30)],
            id="own-buffer-may-run-past-the-block-end",
        ),
        pytest.param(
            PlanningRule(duration=30, granularity=15, trailing_buffer=15),
            Occupation(utc(2026, 6, 15, 8, 0), utc(2026, 6, 15, 8, 30)),
            [(9, 0), (9, 15)],
            id="own-buffer-may-not-touch-the-next-appointment",
        ),
        pytest.param(
            PlanningRule(duration=30, granularity=15),
            Occupation(utc(2026, 6, 15, 6, 30), utc(2026, 6, 15, 7, 0), trailing_buffer=15),
            [(9, 15), (9, 30)],
            id="earlier-appointments-buffer-blocks-the-first-start",
        ),
        pytest.param(
            PlanningRule(duration=30, granularity=15),
            Occupation(utc(2026, 6, 15, 7, 30), utc(2026, 6, 15, 7, 45)),
            [(9, 0)],
            id="short-appointment-blocks-every-start-that-overlaps-it",
        ),
        pytest.param(
            PlanningRule(duration=30, granularity=15, max_concurrent=2),
            Occupation(utc(2026, 6, 15, 7, 0), utc(2026, 6, 15, 8, 0)),
            [(9, 0), (9, 15), (9, 30)],
            id="two-at-once-allowed-with-one-booked",
        ),
        pytest.param(
            PlanningRule(duration=30, granularity=15),
            Occupation(utc(2026, 6, 15, 7, 29, 30), utc(2026, 6, 15, 7, 30, 30)),
            [],
            id="a-second-of-overlap-is-overlap",
        ),
    ],
)
def test_busy_time_and_trailing_buffers_at_block_edges(
    rule: PlanningRule, occupation: Occupation | None, expected: list[tuple[int, int]]
) -> None:
    busy = Busy(occupations={"ann": [occupation]} if occupation else {})
    slots = find_slots(_one_block(rule), busy, query(), NOW)
    local = [slot.start.astimezone(UTC) + timedelta(hours=2) for slot in slots]
    assert [(moment.hour, moment.minute) for moment in local] == expected


def test_with_max_concurrent_two_the_second_overlapping_booking_closes_the_time() -> None:
    rule = PlanningRule(duration=30, granularity=30, max_concurrent=2)
    first = Occupation(utc(2026, 6, 15, 7, 0), utc(2026, 6, 15, 7, 30))
    second = Occupation(utc(2026, 6, 15, 7, 15), utc(2026, 6, 15, 7, 45), hold=True)
    slots = find_slots(_one_block(rule), Busy({"ann": [first, second]}), query(), NOW)
    assert starts(slots) == [utc(2026, 6, 15, 7, 30)]  # 09:00 meets both, 09:30 one
    slots = find_slots(_one_block(rule), Busy({"ann": [first]}), query(), NOW)
    assert starts(slots) == [utc(2026, 6, 15, 7, 0), utc(2026, 6, 15, 7, 30)]


def test_two_bookings_that_only_share_a_minute_never_overlap_for_max_concurrent() -> None:
    rule = PlanningRule(duration=60, granularity=60, max_concurrent=2)
    early = Occupation(utc(2026, 6, 15, 7, 0), utc(2026, 6, 15, 7, 20, 10))
    late = Occupation(utc(2026, 6, 15, 7, 20, 20), utc(2026, 6, 15, 7, 40))
    slots = find_slots(_one_block(rule), Busy({"ann": [early, late]}), query(), NOW)
    assert starts(slots) == [utc(2026, 6, 15, 7, 0)]


def test_busy_time_of_another_office_and_subject_counts_too() -> None:
    elsewhere = Interval(utc(2026, 6, 15, 0, 0), utc(2026, 6, 16, 0, 0))
    assert find_slots(Bank().org(), Busy(external={"ann": [elsewhere]}), query(), NOW) == []


# Daylight-saving changes -------------------------------------------------------------

CHANGES = [
    pytest.param("Europe/Brussels", date(2026, 3, 29), 4, id="brussels-spring-2026"),
    pytest.param("Europe/Brussels", date(2026, 10, 25), 6, id="brussels-autumn-2026"),
    pytest.param("Europe/Brussels", date(2027, 3, 28), 4, id="brussels-spring-2027"),
    pytest.param("Europe/Brussels", date(2027, 10, 31), 6, id="brussels-autumn-2027"),
    pytest.param("America/New_York", date(2026, 3, 8), 4, id="new-york-spring-2026"),
    pytest.param("America/New_York", date(2026, 11, 1), 6, id="new-york-autumn-2026"),
    pytest.param("America/New_York", date(2027, 3, 14), 4, id="new-york-spring-2027"),
    pytest.param("America/New_York", date(2027, 11, 7), 6, id="new-york-autumn-2027"),
    pytest.param("Australia/Sydney", date(2026, 10, 4), 4, id="sydney-spring-2026"),
    pytest.param("Australia/Sydney", date(2026, 4, 5), 6, id="sydney-autumn-2026"),
    pytest.param("Australia/Sydney", date(2027, 10, 3), 4, id="sydney-spring-2027"),
    pytest.param("Australia/Sydney", date(2027, 4, 4), 6, id="sydney-autumn-2027"),
]


@pytest.mark.parametrize(("zone", "day", "count"), CHANGES)
def test_a_block_across_the_change_offers_only_real_starts_of_real_length(
    zone: str, day: date, count: int
) -> None:
    # 01:00-04:00 local every 30 minutes: 4 real hours in autumn, 2 in spring.
    week = ((Block(time(1), time(4), "brussels"),),) * 7
    bank = Bank(rule=PlanningRule(duration=30, granularity=30), timezone=zone, week=week)
    now = datetime.combine(day - timedelta(days=2), time(), UTC)
    slots = find_slots(bank.org(), Busy(), query(day, timezone=zone), now)
    assert len(slots) == count
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)
    assert slots == reference_slots(bank.org(), Busy(), query(day, timezone=zone), now)
    first = datetime.combine(day, time(1), UTC).replace(tzinfo=None)
    local = [slot.start.astimezone(bank_zone(zone)).replace(tzinfo=None) for slot in slots]
    assert local[0] == first
    assert len(set(local)) == len(local)  # a repeated hour is offered once


def bank_zone(name: str) -> object:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def test_in_autumn_the_repeated_hour_is_offered_at_its_first_occurrence_only() -> None:
    week = ((Block(time(1), time(4), "brussels"),),) * 7
    bank = Bank(rule=PlanningRule(duration=60, granularity=60), week=week)
    day = date(2026, 10, 25)
    slots = find_slots(bank.org(), Busy(), query(day), utc(2026, 10, 20, 0, 0))
    assert starts(slots) == [
        utc(2026, 10, 24, 23, 0),  # 01:00 CEST
        utc(2026, 10, 25, 0, 0),  # 02:00 CEST, the first 02:00
        utc(2026, 10, 25, 2, 0),  # 03:00 CET, after the repeated hour
    ]


def test_the_query_window_is_read_in_the_customers_zone() -> None:
    # 09:00-12:30 Brussels on Monday is 03:00-06:30 in New York: the same local date,
    # while in Sydney it is 17:00-20:30 Monday.
    bank = Bank()
    in_new_york = find_slots(bank.org(), Busy(), query(timezone="America/New_York"), NOW)
    in_brussels = find_slots(bank.org(), Busy(), query(), NOW)
    assert in_new_york == in_brussels
    sunday_in_sydney = query(MONDAY - timedelta(days=1), timezone="Pacific/Kiritimati")
    assert find_slots(bank.org(), Busy(), sunday_in_sydney, NOW) == []


def test_a_query_without_an_office_is_refused_for_office_meetings() -> None:
    with pytest.raises(ValueError, match="office"):
        find_slots(Bank().org(), Busy(), query(office=None), NOW)


@pytest.mark.parametrize(
    "asked",
    [
        pytest.param(replace(query(), subject="unknown"), id="subject"),
        pytest.param(query(office="unknown"), id="office"),
        pytest.param(query(agent="unknown"), id="agent"),
    ],
)
def test_unknown_ids_raise_key_error(asked: object) -> None:
    with pytest.raises(KeyError):
        find_slots(Bank().org(), Busy(), asked, NOW)  # type: ignore[arg-type]


def test_every_office_counts_for_video_and_the_union_has_no_duplicates() -> None:
    bank = Bank(agents=("ann", "bob"))
    together = find_slots(bank.org(), Busy(), query(meeting_type=VIDEO, office=None), NOW)
    assert together == find_slots(Bank().org(), Busy(), query(meeting_type=VIDEO), NOW)
    assert find_slots(bank.org(), Busy(), query(meeting_type=PHONE, office=None), NOW) == []


def test_a_query_for_one_agent_ignores_the_others() -> None:
    bank = Bank(agents=("ann", "bob"))
    busy = busy_all_day("ann")
    assert find_slots(bank.org(), busy, query(agent="ann"), NOW) == []
    assert len(find_slots(bank.org(), busy, query(agent="bob"), NOW)) == 26


def test_a_day_template_replaces_the_week_on_its_date() -> None:
    bank = Bank(days={MONDAY: (Block(time(10), time(11), "brussels"),)})
    slots = find_slots(bank.org(), Busy(), query(MONDAY, MONDAY + timedelta(days=1)), NOW)
    assert len(slots) == 3 + 26


# Properties over generated organisations ---------------------------------------------


@properties
@given(scenarios())
def test_the_engine_agrees_with_the_minute_by_minute_reference(scenario: Scenario) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    assert find_slots(org, busy, asked, now) == reference_slots(org, busy, asked, now)


@properties
@given(scenarios())
def test_slots_are_sorted_unique_and_the_same_every_time(scenario: Scenario) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    slots = find_slots(org, busy, asked, now)
    assert slots == sorted(set(slots))
    assert find_slots(org, busy, asked, now) == slots


@properties
@given(scenarios())
def test_every_slot_lies_in_a_block_that_allows_it_and_overlaps_no_busy_time(
    scenario: Scenario,
) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    for slot in find_slots(org, busy, asked, now):
        options = candidates(
            org, busy, asked.subject, asked.meeting_type, asked.office, asked.agent, slot.start, now
        )
        assert any(option.end == slot.end for option in options)
        for option in options:
            office = org.offices[option.office]
            assert _inside_a_block(org, option.agent, office.id, office.timezone, asked, slot)
            if option.rule.max_concurrent == 1:
                until = slot.end + timedelta(minutes=option.rule.trailing_buffer)
                for item in busy.occupations.get(option.agent, ()):
                    finish = item.end + timedelta(minutes=item.trailing_buffer)
                    assert finish <= slot.start or until <= item.start
                for interval in busy.external.get(option.agent, ()):
                    assert interval.end <= slot.start or until <= interval.start


def _inside_a_block(
    org: Organisation, agent: str, office: str, zone: str, asked: object, slot: Slot
) -> bool:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    day = slot.start.astimezone(tz).date()
    person = org.agents[agent]
    blocks = person.days.get(day, person.week[day.weekday()])
    for block in blocks:
        opening = datetime.combine(day, block.start, tz).astimezone(UTC)
        closing = datetime.combine(day, block.end, tz).astimezone(UTC)
        if block.office == office and opening <= slot.start and slot.end <= closing:
            return True
    return False


@properties
@given(scenarios())
def test_booking_a_slot_removes_exactly_the_slots_it_blocks(scenario: Scenario) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    before = find_slots(org, busy, asked, now)
    if not before:
        return
    chosen = before[len(before) // 2]
    options = candidates(
        org, busy, asked.subject, asked.meeting_type, asked.office, asked.agent, chosen.start, now
    )
    winner = choose_agent(org, busy, options, asked.agent)
    booked = Occupation(winner.start, winner.end, winner.rule.trailing_buffer)
    mine = sorted([*busy.occupations.get(winner.agent, ()), booked], key=lambda item: item.start)
    after_busy = replace(busy, occupations={**busy.occupations, winner.agent: mine})
    after = find_slots(org, after_busy, asked, now)
    assert after == reference_slots(org, after_busy, asked, now)
    # A booking only takes starts away (one that comes back names another, longer
    # duration only when another office's rule gives it: one offer per start).
    assert {slot.start for slot in after} <= {slot.start for slot in before}
    occupied_until = booked.end + timedelta(minutes=booked.trailing_buffer)
    starts_after = {slot.start for slot in after}
    for gone in (slot for slot in before if slot.start not in starts_after):
        assert gone.start < occupied_until  # only slots near the booking disappear
        assert booked.start < gone.end + timedelta(hours=2)


def test_a_booking_with_one_agent_removes_its_own_slot() -> None:
    bank = Bank()
    before = find_slots(bank.org(), Busy(), query(), NOW)
    [option] = candidates(
        bank.org(), Busy(), "mortgage", OFFICE, "brussels", None, before[0].start, NOW
    )
    booked = Busy({"ann": [Occupation(option.start, option.end)]})
    after = find_slots(bank.org(), booked, query(), NOW)
    assert set(before) - set(after) == {before[0], before[1]}  # 09:00 and 09:15
    assert WORKDAY  # the fixture's week is used as-is


# Time off (SPEC 11, condition 12: TIME_OFF) ------------------------------------------


@properties
@given(scenarios())
def test_no_slot_overlaps_the_time_off_of_an_agent_who_offers_it(scenario: Scenario) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    for agent in sorted(org.agents):
        own = replace(asked, agent=agent)
        leave = busy.time_off.get(agent, ())
        for slot in find_slots(org, busy, own, now):
            for option in candidates(
                org, busy, own.subject, own.meeting_type, own.office, agent, slot.start, now
            ):
                until = slot.end + timedelta(minutes=option.rule.trailing_buffer)
                assert all(off.end <= slot.start or until <= off.start for off in leave)


def test_a_time_range_off_removes_exactly_the_slots_it_overlaps() -> None:
    # 10:00-11:00 Brussels (08:00-09:00 UTC) off; 30-minute slots every 15 minutes.
    off = Busy(time_off={"ann": [Interval(utc(2026, 6, 15, 8, 0), utc(2026, 6, 15, 9, 0))]})
    free = starts(find_slots(Bank().org(), Busy(), query(), NOW))
    left = starts(find_slots(Bank().org(), off, query(), NOW))
    removed = sorted(set(free) - set(left))
    assert removed == [utc(2026, 6, 15, 7, 45) + timedelta(minutes=15 * k) for k in range(5)]
    assert set(left) <= set(free)  # 09:45 would run into it; 11:00 starts as it ends
