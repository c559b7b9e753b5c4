"""Slots never offer time that an agent's calendar says is busy (SPEC 12, condition 12),
for calendars drawn at random around daylight-saving changes: timed events in UTC, in
zones and floating, all-day events (busy or free), weekly series with exceptions, free
and cancelled events. The calendar goes the way it goes in the server (expansion →
stored intervals → `External` → the engine); what it must block is computed by
`recurring-ical-events` directly with the rules written plainly (`_reference`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from availability import (
    OFFICE,
    Agent,
    Block,
    Busy,
    Office,
    OfficeSubject,
    Organisation,
    PlanningRule,
    SlotQuery,
    Subject,
    find_slots,
)
from server.calendars.expansion import busy_intervals
from server.calendars.intervals import External, pack
from tests.server.calendars._reference import reference_busy

ZONES = ("Europe/Brussels", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "UTC")
#: Days on which a zone above changes its clocks in 2026.
CHANGES = (
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
)
STAMP = "%Y%m%dT%H%M%S"


@st.composite
def calendars(draw: st.DrawFn) -> tuple[str, str, date]:
    zone = draw(st.sampled_from(ZONES))
    change = draw(st.sampled_from(CHANGES))
    first = change - timedelta(days=2)
    lines = []
    for i in range(draw(st.integers(1, 6))):
        uid = f"e{i}"
        day = first + timedelta(days=draw(st.integers(0, 4)))
        flags = draw(
            st.sampled_from(
                [
                    "",
                    "",
                    "",
                    "TRANSP:TRANSPARENT",
                    "STATUS:CANCELLED",
                    "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
                ]
            )
        )
        if draw(st.booleans()):  # all-day, one to three days
            until = day + timedelta(days=draw(st.integers(1, 3)))
            when = f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\nDTEND;VALUE=DATE:{until:%Y%m%d}"
        else:
            minute = draw(st.integers(0, 24 * 60 - 1))
            length = draw(st.sampled_from([10, 30, 45, 60, 150, 600]))
            start = datetime.combine(day, time()) + timedelta(minutes=minute)
            end = start + timedelta(minutes=length)
            how = draw(st.sampled_from(["utc", "zone", "floating"]))
            if how == "utc":
                zoned = start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
                when = f"DTSTART:{zoned:{STAMP}}Z\r\nDTEND:{zoned + (end - start):{STAMP}}Z"
            elif how == "zone":
                when = f"DTSTART;TZID={zone}:{start:{STAMP}}\r\nDTEND;TZID={zone}:{end:{STAMP}}"
            else:
                when = f"DTSTART:{start:{STAMP}}\r\nDTEND:{end:{STAMP}}"
        repeat = ""
        if draw(st.booleans()):
            repeat = "\r\nRRULE:FREQ=DAILY;COUNT=" + str(draw(st.integers(2, 5)))
        body = "\r\n".join(
            part
            for part in (f"UID:{uid}", "DTSTAMP:20260101T000000Z", when + repeat, flags)
            if part
        )
        lines.append(f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT")
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//property//EN\r\n"
        + "\r\n".join(lines)
        + "\r\nEND:VCALENDAR\r\n"
    )
    return text, zone, first


def organisation(zone: str, rule: PlanningRule) -> Organisation:
    always = ((Block(time(0, 0), time(23, 59), "office"),),) * 7
    return Organisation(
        subjects={"s": Subject("s", meeting_types={OFFICE: rule})},
        offices={
            "office": Office(
                "office",
                zone,
                subjects={"s": OfficeSubject(frozenset({OFFICE}), ("ann",), {OFFICE: rule})},
            )
        },
        agents={"ann": Agent("ann", expertise=frozenset({"s"}), week=always)},
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars(), st.sampled_from([15, 30, 45, 90]))
def test_slots_never_overlap_what_the_calendar_says_is_busy(
    calendar: tuple[str, str, date], duration: int
) -> None:
    text, zone, first = calendar
    last = first + timedelta(days=4)
    low = datetime.combine(first - timedelta(days=1), time(), UTC)
    high = datetime.combine(last + timedelta(days=3), time(), UTC)
    found = busy_intervals([text.encode()], low, high, zone)
    expected, free = reference_busy(text, low, high, zone)
    as_times = [
        (datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)) for s, e in found.intervals
    ]
    assert as_times == expected and found.free_all_day == free

    rule = PlanningRule(duration=duration, granularity=15, latest=365)
    org = organisation(zone, rule)
    query = SlotQuery("s", OFFICE, "office", None, first, last, zone)
    now = low - timedelta(days=1)
    external = External.of({"ann": pack(found.intervals)}, low, high)
    offered = find_slots(org, Busy(external=external), query, now)
    free_grid = find_slots(org, Busy(), query, now)
    overlapping = [
        slot
        for slot in free_grid
        if any(start < slot.end and slot.start < end for start, end in expected)
    ]
    assert offered == [slot for slot in free_grid if slot not in overlapping]
