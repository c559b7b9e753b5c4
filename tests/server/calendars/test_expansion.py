"""What is busy (SPEC 12), read from iCalendar data written for each rule, and what
bad data gives: a clear problem, never a crash, within bounded time."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from server.calendars.expansion import Limits, busy_intervals, repair
from server.calendars.problems import TooComplex, Unparsable

START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
HOST = "book.demobank.example"


def calendar(*events: str, head: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{head}{body}END:VCALENDAR\r\n"
    return text.replace("\n    ", "\n").encode()


def busy(data: bytes, zone: str = "Europe/Brussels", **kwargs: object) -> list[tuple[str, str]]:
    found = busy_intervals([data], START, END, zone, HOST, **kwargs)  # type: ignore[arg-type]
    return [(_text(start), _text(end)) for start, end in found.intervals]


def _text(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def event(
    uid: str, extra: str = "", start: str = "20260317T100000Z", end: str = "20260317T110000Z"
) -> str:
    return f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n{extra}"


@pytest.mark.parametrize(
    ("extra", "is_busy"),
    [
        pytest.param("", True, id="an-event"),
        pytest.param("TRANSP:OPAQUE", True, id="opaque"),
        pytest.param("TRANSP:TRANSPARENT", False, id="transparent"),
        pytest.param("X-MICROSOFT-CDO-BUSYSTATUS:FREE", False, id="outlook-free"),
        pytest.param("X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE", True, id="outlook-tentative"),
        pytest.param("X-MICROSOFT-CDO-BUSYSTATUS:OOF", True, id="outlook-out-of-office"),
        pytest.param("STATUS:CANCELLED", False, id="cancelled"),
        pytest.param("STATUS:TENTATIVE", True, id="tentative"),
    ],
)
def test_an_event_is_busy_unless_it_is_free_time_or_cancelled(extra: str, is_busy: bool) -> None:
    expected = [("2026-03-17 10:00", "2026-03-17 11:00")] if is_busy else []
    assert busy(calendar(event("e", extra))) == expected


def test_rendezvous_s_own_appointments_are_not_counted_twice() -> None:
    own = "AbCdEfGhIjKlMnOpQrStUv@book.demobank.example"
    data = calendar(
        event(own),
        # Not ours: another host, or not an appointment id.
        event(
            "AbCdEfGhIjKlMnOpQrStUv@elsewhere.example",
            start="20260318T100000Z",
            end="20260318T110000Z",
        ),
        event("meeting@book.demobank.example", start="20260319T100000Z", end="20260319T110000Z"),
    )
    assert busy(data) == [
        ("2026-03-18 10:00", "2026-03-18 11:00"),
        ("2026-03-19 10:00", "2026-03-19 11:00"),
    ]


@pytest.mark.parametrize(
    ("day", "zone", "expected"),
    [
        # Brussels springs forward on Sunday 29 March 2026: a day of 23 hours.
        pytest.param(
            "20260329", "Europe/Brussels", ("2026-03-28 23:00", "2026-03-29 22:00"), id="23h"
        ),
        pytest.param(
            "20260330", "Europe/Brussels", ("2026-03-29 22:00", "2026-03-30 22:00"), id="after"
        ),
        # New York sprang forward on 8 March.
        pytest.param(
            "20260308", "America/New_York", ("2026-03-08 05:00", "2026-03-09 04:00"), id="ny"
        ),
        pytest.param(
            "20260415", "Asia/Kolkata", ("2026-04-14 18:30", "2026-04-15 18:30"), id="kolkata"
        ),
    ],
)
def test_an_all_day_event_is_busy_from_local_midnight_to_local_midnight(
    day: str, zone: str, expected: tuple[str, str]
) -> None:
    data = calendar(
        event("vacation", start=f"{day}", end="")
        .replace("DTSTART:", "DTSTART;VALUE=DATE:")
        .replace("DTEND:\r\n", "")
    )
    assert busy(data, zone) == [expected]


def test_an_all_day_event_over_several_days_crosses_the_change_whole() -> None:
    data = calendar(
        "UID:v\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260327\r\nDTEND;VALUE=DATE:20260331"
    )
    # Friday 00:00 CET to Tuesday 00:00 CEST: 95 hours.
    assert busy(data) == [("2026-03-26 23:00", "2026-03-30 22:00")]


def test_an_all_day_event_marked_free_is_counted_not_busy() -> None:
    data = calendar(
        "UID:v\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260410\r\n"
        "DTEND;VALUE=DATE:20260417\r\nTRANSP:TRANSPARENT\r\nX-MICROSOFT-CDO-BUSYSTATUS:FREE"
    )
    found = busy_intervals([data], START, END, "Europe/Brussels")
    assert (found.intervals, found.free_all_day) == ([], 1)


def test_floating_times_are_the_agent_s_wall_clock_across_a_change() -> None:
    data = calendar(
        event("f", "RRULE:FREQ=DAILY;COUNT=3", start="20260328T090000", end="20260328T100000")
    )
    assert busy(data) == [
        ("2026-03-28 08:00", "2026-03-28 09:00"),  # CET
        ("2026-03-29 07:00", "2026-03-29 08:00"),  # CEST from 29 March
        ("2026-03-30 07:00", "2026-03-30 08:00"),
    ]
    assert busy(data, "America/New_York")[0] == ("2026-03-28 13:00", "2026-03-28 14:00")


def test_x_wr_timezone_gives_floating_times_their_zone() -> None:
    data = calendar(
        event("g", start="20260317T100000", end="20260317T110000"),
        head="X-WR-TIMEZONE:Asia/Tokyo\r\n",
    )
    assert busy(data, "Europe/Brussels") == [("2026-03-17 01:00", "2026-03-17 02:00")]


def test_rdate_exdate_and_overridden_instances() -> None:
    data = calendar(
        event(
            "r",
            "RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Brussels:20260324T100000\r\n"
            "RDATE;TZID=Europe/Brussels:20260325T150000",
            start="TZID=Europe/Brussels:20260317T100000",
            end="TZID=Europe/Brussels:20260317T110000",
        )
        .replace("DTSTART:TZID=", "DTSTART;TZID=")
        .replace("DTEND:TZID=", "DTEND;TZID="),
        "UID:r\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Brussels:20260331T100000\r\n"
        "DTSTART;TZID=Europe/Brussels:20260331T140000\r\nDTEND;TZID=Europe/Brussels:20260331T143000",
        "UID:r\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Brussels:20260407T100000\r\n"
        "DTSTART;TZID=Europe/Brussels:20260407T100000\r\nDTEND;TZID=Europe/Brussels:20260407T110000\r\n"
        "STATUS:CANCELLED",
    )
    assert busy(data) == [
        ("2026-03-17 09:00", "2026-03-17 10:00"),  # the first
        ("2026-03-25 14:00", "2026-03-25 15:00"),  # the RDATE (the 24th is an EXDATE)
        ("2026-03-31 12:00", "2026-03-31 12:30"),  # the 31st, moved to 14:00 CEST
    ]  # the 7 April instance is cancelled


def test_an_event_without_an_end_lasts_a_day_when_all_day_and_nothing_when_timed() -> None:
    data = calendar(
        "UID:a\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260317",
        "UID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260318T100000Z",
        event("c", "", start="20260319T100000Z", end="").replace(
            "DTEND:\r\n", "DURATION:PT45M\r\n"
        ),
    )
    assert busy(data) == [
        ("2026-03-16 23:00", "2026-03-17 23:00"),
        ("2026-03-19 10:00", "2026-03-19 10:45"),
    ]


def test_busy_time_is_cut_to_the_window_and_merged() -> None:
    data = calendar(
        event("a", start="20260228T220000Z", end="20260301T020000Z"),
        event("b", start="20260317T100000Z", end="20260317T113000Z"),
        event("c", start="20260317T110000Z", end="20260317T120000Z"),
        event("d", start="20260317T120000Z", end="20260317T123000Z"),
    )
    assert busy(data) == [
        ("2026-03-01 00:00", "2026-03-01 02:00"),
        ("2026-03-17 10:00", "2026-03-17 12:30"),
    ]


def test_spaces_in_a_rule_are_repaired() -> None:
    data = calendar(event("s", "RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=TU, WE"))
    assert len(busy(data)) == 2


def test_a_zone_definition_the_iana_database_knows_is_read_from_it() -> None:
    broken_definition = (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:18930401T000000\r\n"
        "TZOFFSETFROM:+5328\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    assert "TZOFFSETFROM:+5328" not in repair(broken_definition)
    data = calendar(
        "UID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260317T100000\r\n"
        "DTEND;TZID=Europe/Berlin:20260317T110000",
        head=broken_definition,
    )
    assert busy(data) == [("2026-03-17 09:00", "2026-03-17 10:00")]


# -- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><body>Sign in</body></html>",
            "did not give iCalendar data",
            id="html",
        ),
        pytest.param(b"", "did not give iCalendar data", id="empty"),
        pytest.param(b"\x00\xff\xfe garbage \x01", "did not give iCalendar data", id="binary"),
        pytest.param(
            b"BEGIN:VCALENDAR\r\nthis is not a content line\r\n", "cannot be read", id="malformed"
        ),
        pytest.param(
            calendar(event("bad", start="20261332T250000Z", end="20260317T110000Z")),
            "the event bad has a DTSTART",
            id="bad-date",
        ),
        pytest.param(
            calendar(event("bad", "RRULE:FREQ=SOMETIMES")),
            "bad",
            id="bad-rule",
        ),
    ],
)
def test_data_that_cannot_be_read_is_unparsable_with_a_clear_message(
    data: bytes, words: str
) -> None:
    with pytest.raises(Unparsable) as raised:
        busy(data)
    assert words in raised.value.message


def test_a_rule_that_repeats_every_second_is_refused_quickly() -> None:
    data = calendar(event("spam", "RRULE:FREQ=SECONDLY"))
    started = time.monotonic()
    with pytest.raises(TooComplex) as raised:
        busy(data)
    assert time.monotonic() - started < 10  # a hundredth of that, in fact
    assert '"spam" has more than 10000 instances' in raised.value.message


def test_a_million_instances_in_all_are_refused() -> None:
    # Hourly from 17 March: about 1,100 instances each in the window, 3,300 in all.
    series = [event(f"s{i}", "RRULE:FREQ=HOURLY") for i in range(3)]
    with pytest.raises(TooComplex) as raised:
        busy(calendar(*series), limits=Limits(per_series=10_000, total=3_000))
    assert "more than 3000 events" in raised.value.message
    assert len(busy(calendar(*series), limits=Limits(per_series=10_000, total=5_000))) > 0


def test_dates_in_the_year_9999_are_read_and_fall_outside_the_window() -> None:
    data = calendar(
        event("far", start="99991231T100000Z", end="99991231T110000Z"),
        event("long", "RRULE:FREQ=WEEKLY;UNTIL=99991231T000000Z"),
    )
    assert len(busy(data)) == 7  # the weekly series, 17 March to 28 April


def test_an_event_without_a_uid_is_busy_all_the_same() -> None:
    data = calendar(
        "DTSTAMP:20260101T000000Z\r\nDTSTART:20260317T100000Z\r\nDTEND:20260317T110000Z"
    )
    assert b"UID" not in data
    assert busy(data) == [("2026-03-17 10:00", "2026-03-17 11:00")]
