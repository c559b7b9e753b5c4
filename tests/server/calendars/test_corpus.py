"""Real calendar exports (Exchange, Office 365, Google, iCloud; tests/server/calendars/data,
attribution in its NOTICE.md) read into busy intervals.

For each file a window and the busy intervals expected in it (UTC), derived by hand
from the file: each comment says how. The same file is also expanded by
`recurring-ical-events` directly, with the busy rules applied by the simplest code
that could work (`reference`), and must agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from server.calendars.expansion import busy_intervals
from tests.server.calendars._reference import reference_busy

DATA = Path(__file__).parent / "data"
FILES = sorted(path.name for path in DATA.glob("*.ics"))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def spans(*pairs: tuple[str, str]) -> list[tuple[datetime, datetime]]:
    return [(utc(start), utc(end)) for start, end in pairs]


#: file, window (UTC dates), the agent's zone, busy intervals, all-day events marked free
CASES = [
    # Exchange's custom "Central European Standard Time": a biweekly Thursday 11:00 CEST
    # that ends the day it starts, and a biweekly TENTATIVE (busy) Tuesday 15:00 from
    # 2024-05-21.
    (
        "allenporter-ical__office_356_custom_timezone.ics",
        "2024-05-01",
        "2024-06-20",
        "Europe/Brussels",
        spans(
            ("2024-05-02 09:00", "2024-05-02 10:00"),
            ("2024-05-21 13:00", "2024-05-21 14:00"),
            ("2024-06-04 13:00", "2024-06-04 14:00"),
            ("2024-06-18 13:00", "2024-06-18 14:00"),
        ),
        0,
    ),
    # The same Tuesday series in winter: 2024-12-31 is an EXDATE; 2025-01-14 15:00 CET.
    (
        "allenporter-ical__office_356_custom_timezone.ics",
        "2024-12-20",
        "2025-01-20",
        "Europe/Brussels",
        spans(("2025-01-14 14:00", "2025-01-14 15:00")),
        0,
    ),
    # "New Zealand Standard Time" (Windows): 9:00 and 10:00 NZDT (+13).
    (
        "allenporter-ical__office_360_nz_tz.ics",
        "2025-10-07",
        "2025-10-12",
        "Europe/Brussels",
        spans(("2025-10-07 20:00", "2025-10-07 20:30"), ("2025-10-10 21:00", "2025-10-10 21:30")),
        0,
    ),
    # Monday and Wednesday 15:00 across New Zealand's DST end (2026-04-05): +13, then +12.
    (
        "allenporter-ical__office_360_nz_tz.ics",
        "2026-04-01",
        "2026-04-09",
        "Europe/Brussels",
        spans(
            ("2026-04-01 02:00", "2026-04-01 02:30"),
            ("2026-04-06 03:00", "2026-04-06 03:30"),
            ("2026-04-08 03:00", "2026-04-08 03:30"),
        ),
        0,
    ),
    # A Windows zone name without a VTIMEZONE: 14:00 CEST.
    (
        "allenporter-ical__office_365_extended_timezone.ics",
        "2024-04-26",
        "2024-04-27",
        "Europe/Brussels",
        spans(("2024-04-26 12:00", "2024-04-26 13:00")),
        0,
    ),
    # "Customized Time Zone", defined nowhere in the file: read as floating, in the
    # agent's zone (14:00 in Brussels, CEST).
    (
        "allenporter-ical__office_365_invalid_timezone.ics",
        "2024-04-26",
        "2024-04-27",
        "Europe/Brussels",
        spans(("2024-04-26 12:00", "2024-04-26 13:00")),
        0,
    ),
    # Exchange CDO's "BYDAY=MO, TU, ..." (spaces: repaired): weekdays 10:00 in a custom
    # +01/+02 zone until 2015-07-22 08:00Z, which is the last one.
    (
        "collective-icalendar__issue_165_missing_event.ics",
        "2015-07-17",
        "2015-07-24",
        "Europe/Brussels",
        spans(
            ("2015-07-17 08:00", "2015-07-17 08:30"),
            ("2015-07-20 08:00", "2015-07-20 08:30"),
            ("2015-07-21 08:00", "2015-07-21 08:30"),
            ("2015-07-22 08:00", "2015-07-22 08:30"),
        ),
        0,
    ),
    # "Eastern Standard Time", 17:00 EDT.
    (
        "collective-icalendar__issue_836_do_not_quote_tzid.ics",
        "2024-10-28",
        "2024-10-29",
        "Europe/Brussels",
        spans(("2024-10-28 21:00", "2024-10-28 22:00")),
        0,
    ),
    # "Pacific Standard Time" (quoted TZID), 12:00 PST.
    (
        "collective-icalendar__timezone_same_start.ics",
        "2017-02-24",
        "2017-02-25",
        "Europe/Brussels",
        spans(("2017-02-24 20:00", "2017-02-24 20:30")),
        0,
    ),
    # "Tokyo Standard Time", 12:00 JST; the file ends in END:VCALENDARD.
    (
        "collective-icalendar__timezone_same_start_and_offset.ics",
        "2017-02-24",
        "2017-02-25",
        "Europe/Brussels",
        spans(("2017-02-24 03:00", "2017-02-24 03:30")),
        0,
    ),
    # Office 365 in CEST: Monday 16:00 weekly; all-day OOF (busy) Wednesdays and Fridays;
    # Thursday 15:00 weekly, 11:00 biweekly (its last, UNTIL 09:00Z) and a single 12:00.
    (
        "jazzband-icalevents__cest.ics",
        "2021-05-17",
        "2021-05-22",
        "Europe/Brussels",
        spans(
            ("2021-05-17 14:00", "2021-05-17 15:00"),
            ("2021-05-18 22:00", "2021-05-19 22:00"),
            ("2021-05-20 09:00", "2021-05-20 11:00"),
            ("2021-05-20 13:00", "2021-05-20 13:30"),
            ("2021-05-20 22:00", "2021-05-21 22:00"),
        ),
        0,
    ),
    # Office 365's trap: an all-day event every second day, marked FREE: nothing busy,
    # five free all-day events (11, 13, 15, 17, 19 November).
    (
        "jazzband-icalevents__cest_every_second_day_for_one_year.ics",
        "2021-11-10",
        "2021-11-20",
        "Europe/Brussels",
        [],
        5,
    ),
    # Nextcloud (SabreDAV): 08:30-16:00 Europe/Brussels.
    (
        "jazzband-icalevents__floating.ics",
        "2021-04-08",
        "2021-04-09",
        "Europe/Brussels",
        spans(("2021-04-08 06:30", "2021-04-08 14:00")),
        0,
    ),
    # ... and a TRANSPARENT all-day event: free.
    ("jazzband-icalevents__floating.ics", "2021-10-12", "2021-10-15", "Europe/Brussels", [], 1),
    # iCloud (its Europe/Berlin VTIMEZONE says TZOFFSETFROM:+5328: read from zoneinfo):
    # Mondays 16:15 around the March 2016 change; 21 and 28 March are EXDATEs.
    (
        "jazzband-icalevents__icloud.ics",
        "2016-03-14",
        "2016-04-05",
        "Europe/Brussels",
        spans(("2016-03-14 15:15", "2016-03-14 16:30"), ("2016-04-04 14:15", "2016-04-04 15:30")),
        0,
    ),
    # ... and a yearly birthday at 10:00 CET.
    (
        "jazzband-icalevents__icloud.ics",
        "2019-12-08",
        "2019-12-10",
        "Europe/Brussels",
        spans(("2019-12-09 09:00", "2019-12-09 10:00")),
        0,
    ),
    # Fridays 11:00 Eastern with three EXDATEs on one line; 29 April is UNTIL itself.
    (
        "jazzband-icalevents__multi_exdate_same_line_ms.ics",
        "2022-03-01",
        "2022-05-01",
        "Europe/Brussels",
        spans(
            ("2022-03-11 16:00", "2022-03-11 16:30"),
            ("2022-03-25 15:00", "2022-03-25 15:30"),
            ("2022-04-15 15:00", "2022-04-15 15:30"),
            ("2022-04-22 15:00", "2022-04-22 15:30"),
            ("2022-04-29 15:00", "2022-04-29 15:30"),
        ),
        0,
    ),
    # No UID at all: read all the same (a free all-day event).
    ("jazzband-icalevents__no_uid.ics", "2021-05-19", "2021-05-22", "Europe/Brussels", [], 1),
    (
        "jazzband-icalevents__non_ascii_uid.ics",
        "2021-05-19",
        "2021-05-22",
        "Europe/Brussels",
        [],
        1,
    ),
    # Monthly 2nd Wednesday 13:00 Eastern; April's moved to 10:30 by RECURRENCE-ID.
    (
        "jazzband-icalevents__recurr_id_dtstart_missmatch.ics",
        "2022-03-01",
        "2022-10-01",
        "Europe/Brussels",
        spans(
            ("2022-03-09 18:00", "2022-03-09 19:00"),
            ("2022-04-13 14:30", "2022-04-13 15:30"),
            ("2022-05-11 17:00", "2022-05-11 18:00"),
            ("2022-06-08 17:00", "2022-06-08 18:00"),
            ("2022-07-13 17:00", "2022-07-13 18:00"),
            ("2022-08-10 17:00", "2022-08-10 18:00"),
            ("2022-09-14 17:00", "2022-09-14 18:00"),
        ),
        0,
    ),
    # Tuesday 23 November 2021 (CET): 10:00 (TU,TH weekly), 11:45 and 14:00 (overridden
    # instances of two series, unchanged).
    (
        "jazzband-icalevents__recurring_override.ics",
        "2021-11-23",
        "2021-11-24",
        "Europe/Brussels",
        spans(
            ("2021-11-23 09:00", "2021-11-23 09:30"),
            ("2021-11-23 10:45", "2021-11-23 11:00"),
            ("2021-11-23 13:00", "2021-11-23 14:00"),
        ),
        0,
    ),
    # Two-day "Away" from each Friday (busy, all-day, local midnights) across the March
    # 2021 change; 30 April is an EXDATE written as a time.
    (
        "jazzband-icalevents__rrule_until_all_day_ms.ics",
        "2021-03-15",
        "2021-05-10",
        "Europe/Brussels",
        spans(
            ("2021-03-18 23:00", "2021-03-20 23:00"),
            ("2021-03-25 23:00", "2021-03-27 23:00"),
            ("2021-04-01 22:00", "2021-04-03 22:00"),
            ("2021-04-08 22:00", "2021-04-10 22:00"),
            ("2021-04-15 22:00", "2021-04-17 22:00"),
            ("2021-04-22 22:00", "2021-04-24 22:00"),
        ),
        0,
    ),
    # "Pacific Standard Time", 09:00 PDT.
    (
        "jazzband-icalevents__small_time_frame.ics",
        "2023-05-09",
        "2023-05-10",
        "Europe/Brussels",
        spans(("2023-05-09 16:00", "2023-05-09 17:00")),
        0,
    ),
    # A FREE all-day event (counted) and a BUSY 07:00-22:30 CEST.
    (
        "jazzband-icalevents__transparent.ics",
        "2021-05-19",
        "2021-05-23",
        "Europe/Brussels",
        spans(("2021-05-21 05:00", "2021-05-21 20:30")),
        1,
    ),
    # Public holidays, all-day and busy: 25 and 26 December, local midnights (CET).
    (
        "niccokunzmann-python-recurring-ical-events__Germany.ics",
        "2020-12-24",
        "2020-12-28",
        "Europe/Brussels",
        spans(("2020-12-24 23:00", "2020-12-26 23:00")),
        0,
    ),
    # Google, X-WR-TIMEZONE Europe/Berlin, around the October 2018 change: Monday 15:00,
    # biweekly Wednesday 19:00, Thursday 18:00; the last Saturday's instance was moved
    # out of the week by RECURRENCE-ID.
    (
        "niccokunzmann-python-recurring-ical-events__daylight_saving_time.ics",
        "2018-10-22",
        "2018-10-30",
        "Europe/Brussels",
        spans(
            ("2018-10-22 13:00", "2018-10-22 15:00"),
            ("2018-10-24 17:00", "2018-10-24 19:00"),
            ("2018-10-25 16:00", "2018-10-25 18:00"),
            ("2018-10-29 14:00", "2018-10-29 16:00"),
        ),
        0,
    ),
    # Daily 22:00 Berlin, three times; the second is a CANCELLED override.
    (
        "niccokunzmann-python-recurring-ical-events__issue_18_cancel_status.ics",
        "2020-01-28",
        "2020-02-01",
        "Europe/Brussels",
        spans(("2020-01-28 21:00", "2020-01-28 22:00"), ("2020-01-30 21:00", "2020-01-30 22:00")),
        0,
    ),
    # Daily 14:00 Berlin from 26 April 2020, EXDATE 27 April, UNTIL the 29th at 00:00
    # (t1: without Z, t2: with Z).
    (
        "niccokunzmann-python-recurring-ical-events__issue_27_t1.ics",
        "2020-04-25",
        "2020-05-01",
        "Europe/Brussels",
        spans(("2020-04-26 12:00", "2020-04-26 12:30"), ("2020-04-28 12:00", "2020-04-28 12:30")),
        0,
    ),
    (
        "niccokunzmann-python-recurring-ical-events__issue_27_t2.ics",
        "2020-04-25",
        "2020-05-01",
        "Europe/Brussels",
        spans(("2020-04-26 12:00", "2020-04-26 12:30"), ("2020-04-28 12:00", "2020-04-28 12:30")),
        0,
    ),
    # Two biweekly FREE all-day series with overrides (bins): 2, 9, 17 (moved), 23, 30
    # April. Nothing busy.
    (
        "niccokunzmann-python-recurring-ical-events__issue_28_rrule_with_UTC_endinginZ.ics",
        "2020-04-01",
        "2020-05-01",
        "Europe/Brussels",
        [],
        5,
    ),
    # Google, America/Chicago, around the November 2020 change: Fridays 10:15 and 14:15
    # CDT, Monday 10:15 CST.
    (
        "niccokunzmann-python-recurring-ical-events__issue_48_dst.ics",
        "2020-10-30",
        "2020-11-03",
        "Europe/Brussels",
        spans(
            ("2020-10-30 15:15", "2020-10-30 15:30"),
            ("2020-10-30 19:15", "2020-10-30 19:30"),
            ("2020-11-02 16:15", "2020-11-02 16:30"),
        ),
        0,
    ),
    # RANGE=THISANDFUTURE twice, an RDATE and a single override (RFC 5545 3.2.13): every
    # second day at 12:00; from the 13th at 09:00 for 7 h (the RDATE of the 14th too);
    # the 15th at 17:00; from the 21st one day later at 14:22 for 1 h 51.
    (
        "niccokunzmann-python-recurring-ical-events__issue_75_range_parameter.ics",
        "2024-09-01",
        "2024-09-26",
        "Europe/Brussels",
        spans(
            ("2024-09-01 12:00", "2024-09-01 14:00"),
            ("2024-09-03 12:00", "2024-09-03 14:00"),
            ("2024-09-05 12:00", "2024-09-05 14:00"),
            ("2024-09-07 12:00", "2024-09-07 14:00"),
            ("2024-09-09 12:00", "2024-09-09 14:00"),
            ("2024-09-11 12:00", "2024-09-11 14:00"),
            ("2024-09-13 09:00", "2024-09-13 16:00"),
            ("2024-09-14 06:00", "2024-09-14 13:00"),
            ("2024-09-15 17:00", "2024-09-15 19:00"),
            ("2024-09-17 09:00", "2024-09-17 16:00"),
            ("2024-09-19 09:00", "2024-09-19 16:00"),
            ("2024-09-22 14:22", "2024-09-22 16:13"),
            ("2024-09-24 14:22", "2024-09-24 16:13"),
        ),
        0,
    ),
    # Floating times with X-WR-TIMEZONE Europe/Brussels: 21:00 CEST, whatever the
    # agent's zone.
    (
        "niccokunzmann-python-recurring-ical-events__issue_86_x_wr_timezone_without_time_zone_in_dt.ics",
        "2021-09-16",
        "2021-09-17",
        "America/New_York",
        spans(("2021-09-16 19:00", "2021-09-16 20:45")),
        0,
    ),
    # khal: Mondays 07:00-12:00 Berlin; the 7 July instance moved to 09:00, the 14 July
    # one CANCELLED; UNTIL 6 August.
    (
        "pimutils-khal__event_rrule_recuid_cancelled.ics",
        "2014-06-30",
        "2014-08-10",
        "Europe/Brussels",
        spans(
            ("2014-06-30 05:00", "2014-06-30 10:00"),
            ("2014-07-07 07:00", "2014-07-07 12:00"),
            ("2014-07-21 05:00", "2014-07-21 10:00"),
            ("2014-07-28 05:00", "2014-07-28 10:00"),
            ("2014-08-04 05:00", "2014-08-04 10:00"),
        ),
        0,
    ),
    # khal: "New Zealand Standard Time;VALUE=DATE-TIME", 13:00 NZDT.
    (
        "pimutils-khal__tz_windows_format.ics",
        "2019-11-19",
        "2019-11-21",
        "Europe/Brussels",
        spans(("2019-11-20 00:00", "2019-11-20 01:30")),
        0,
    ),
]


def read(
    name: str, first: str, last: str, zone: str
) -> tuple[list[tuple[datetime, datetime]], int]:
    found = busy_intervals([(DATA / name).read_bytes()], utc(first), utc(last), zone)
    as_times = [
        (datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
        for start, end in found.intervals
    ]
    return as_times, found.free_all_day


def reference(
    name: str, first: str, last: str, zone: str
) -> tuple[list[tuple[datetime, datetime]], int]:
    """`recurring-ical-events` directly, and SPEC 12's busy rules written plainly."""
    text = (DATA / name).read_text(encoding="utf-8")
    return reference_busy(text, utc(first), utc(last), zone)


def test_every_file_of_the_corpus_has_a_case() -> None:
    assert {case[0] for case in CASES} == set(FILES)
    assert len(FILES) == 31


@pytest.mark.parametrize("name", FILES)
def test_every_file_is_read_without_an_error_over_years(name: str) -> None:
    found = busy_intervals(
        [(DATA / name).read_bytes()], utc("2000-01-01"), utc("2030-01-01"), "Europe/Brussels"
    )
    assert found.intervals == sorted(found.intervals)
    assert all(start < end for start, end in found.intervals)
    assert found.events or found.free_all_day


@pytest.mark.parametrize(
    ("name", "first", "last", "zone", "expected", "free"),
    [pytest.param(*case, id=f"{case[0].split('__')[1]}-{case[1]}") for case in CASES],
)
def test_the_busy_intervals_are_the_ones_derived_by_hand(
    name: str,
    first: str,
    last: str,
    zone: str,
    expected: list[tuple[datetime, datetime]],
    free: int,
) -> None:
    assert read(name, first, last, zone) == (expected, free)


@pytest.mark.parametrize(
    ("name", "first", "last", "zone"),
    [pytest.param(*case[:4], id=f"{case[0].split('__')[1]}-{case[1]}") for case in CASES],
)
def test_recurring_ical_events_read_directly_agrees(
    name: str, first: str, last: str, zone: str
) -> None:
    assert read(name, first, last, zone) == reference(name, first, last, zone)


def test_the_windows_are_where_the_files_have_events() -> None:
    # A guard on the table itself: no case is an empty window by mistake.
    busy_or_free = [case for case in CASES if case[4] or case[5]]
    assert busy_or_free == CASES
    assert all(date.fromisoformat(case[1]) < date.fromisoformat(case[2]) for case in CASES)
