"""The timetable of /book: a week of free times, grouped by day, to choose one from.

The times come from the slot search (`booking.slots`), as the widget's do; a time is
chosen with a radio button whose value is its start and duration
("2026-12-02T10:00:00+01:00|30"), so the hold asks for exactly what was shown.
Without a week in the link, the timetable opens on the first day with a free time
within `SEARCH_DAYS` (the slot search's own limit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from server.booking import slots
from server.booking.requests import parse_start
from server.errors import ValidationFailed
from server.hosted.words import Words
from server.snapshot import Snapshot

WEEK: Final = 7
SEARCH_DAYS: Final = slots.MAX_DAYS

#: Asks the slot search for the free times of `first_day`..`last_day` in a zone.
Search = Callable[[date, date], Awaitable[slots.Found]]


@dataclass(frozen=True, slots=True)
class Time:
    value: str  # "start|duration"
    label: str  # "09:00–09:30"


@dataclass(frozen=True, slots=True)
class Day:
    label: str
    times: list[Time]


@dataclass(frozen=True, slots=True)
class Timetable:
    first_day: date
    days: list[Day]
    zone: str
    previous: date | None  # the week before, when it is not in the past
    next: date
    nothing_ahead: bool  # no free time in the coming weeks at all

    @property
    def empty(self) -> bool:
        return not any(day.times for day in self.days)


async def timetable(search: Search, week: date | None, today: date, t: Words) -> Timetable:
    """The week from `week` (else from the first day with a free time) of `search`."""
    nothing_ahead = False
    if week is None or week < today:
        # One search over the slot search's longest window finds the first free day and,
        # unless that day is near its end, already holds the week from it.
        found = await search(today, today + timedelta(days=SEARCH_DAYS - 1))
        first = _first_day(found)
        nothing_ahead = first is None
        week = first or today
        if first is not None and (first - today).days > SEARCH_DAYS - WEEK:
            found = await search(week, week + timedelta(days=WEEK - 1))
    else:
        found = await search(week, week + timedelta(days=WEEK - 1))
    return Timetable(
        first_day=week,
        days=_days(found, week, t),
        zone=found.timezone,
        previous=max(week - timedelta(days=WEEK), today) if week > today else None,
        next=week + timedelta(days=WEEK),
        nothing_ahead=nothing_ahead,
    )


_EPOCH: Final = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def _first_day(found: slots.Found) -> date | None:
    starts = found.minutes.starts
    if not starts:
        return None
    return (_EPOCH + timedelta(minutes=starts[0])).astimezone(found.zone).date()


def _days(found: slots.Found, first: date, t: Words) -> list[Day]:
    by_day: dict[date, list[Time]] = {first + timedelta(days=n): [] for n in range(WEEK)}
    zone = found.zone
    for start, duration in zip(found.minutes.starts, found.minutes.durations, strict=True):
        begin = (_EPOCH + timedelta(minutes=start)).astimezone(zone)
        end = (_EPOCH + timedelta(minutes=start + duration)).astimezone(zone)
        times = by_day.get(begin.date())
        if times is not None:
            value = f"{begin.isoformat()}|{duration}"
            times.append(Time(value, f"{begin:%H:%M}–{end:%H:%M}"))
    return [Day(t.date(day), times) for day, times in by_day.items()]


def parse_slot(value: str | None) -> tuple[str, int] | None:
    """(start, duration) of a chosen time; None when nothing (sensible) was chosen."""
    if not value or len(value) > 60 or "|" not in value:
        return None
    start, _, minutes = value.partition("|")
    if not minutes.isdigit() or not 1 <= int(minutes) <= 1440:
        return None
    try:
        parse_start(start)
    except ValidationFailed:
        return None
    return start, int(minutes)


def zones(snapshot: Snapshot, current: str) -> list[str]:
    """The time zones to offer: the organisation's, its offices', the one shown, UTC."""
    found = [snapshot.timezone, *(office.timezone for office in snapshot.offices.values())]
    return sorted({*found, current, "UTC"})


def shown(days: Sequence[Day]) -> int:
    return sum(len(day.times) for day in days)
