"""Calendars are expanded in child processes (`server.calendars.isolation.Parsers`): a
rule that spins is stopped by killing its child, and the next calendar is read by a new
one."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.calendars.isolation import Parsers
from server.calendars.problems import TooComplex, Unparsable

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
#: dateutil searches every second until the year 9999 for 30 February: one step of the
#: expansion that never returns in useful time.
NEVER = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:never\r\n"
    b"DTSTART:20260101T000000Z\r\nDTEND:20260101T000001Z\r\n"
    b"RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
GOOD = (Path(__file__).parent / "data" / "jazzband-icalevents__small_time_frame.ics").read_bytes()


async def test_a_rule_that_never_matches_is_stopped_and_the_next_calendar_is_read() -> None:
    parsers = Parsers(size=1, timeout=2)
    try:
        started = time.monotonic()
        with pytest.raises(TooComplex) as raised:
            await parsers.busy([NEVER], START, END, "Europe/Brussels", None)
        assert time.monotonic() - started < 10
        assert "longer than 2 s" in raised.value.message
        found = await parsers.busy(
            [GOOD], datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 6, 1, tzinfo=UTC), "UTC", None
        )
        assert len(found.intervals) == 1
    finally:
        await parsers.close()


async def test_a_child_serves_one_calendar_after_another_and_reports_bad_data() -> None:
    parsers = Parsers(size=1, timeout=20)
    try:
        with pytest.raises(Unparsable):
            await parsers.busy([b"<html>no</html>"], START, END, "UTC", None)
        first = parsers._idle[0].process.pid
        await parsers.busy([GOOD], START, END, "UTC", None)
        assert parsers._idle[0].process.pid == first  # the same child, reused
    finally:
        await parsers.close()
