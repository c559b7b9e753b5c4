"""ISO 8601 local times of whole minutes, written without a datetime per time.

A slots answer holds hundreds to thousands of times, all in one zone and one window of
at most 62 days. `LocalTimes` reads the zone's offsets once for the window (where it
changes: daylight saving) and then writes each time from its epoch minute with a few
table look-ups: "2026-03-29T03:00:00+02:00", exactly as `datetime.isoformat()` and
msgspec write it.

The offsets are sampled every `_STEP` minutes across the window and, where two samples
differ, the minute of the change is found by bisection; zones change their offset at
most once in a few hours, so a change is never missed. A zone whose offset is not a
whole number of minutes in the window (local mean time before 1972) cannot be written
this way: `exact` is False and the caller renders datetimes instead.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_MINUTES_PER_DAY: Final = 1440
#: Sampling step, in minutes: shorter than any time between two offset changes.
_STEP: Final = 6 * 60
#: "HH:MM:00" for each minute of a day.
_CLOCK: Final = tuple(f"T{m // 60:02d}:{m % 60:02d}:00" for m in range(_MINUTES_PER_DAY))


def _offset(zone: ZoneInfo, minute: int) -> timedelta:
    offset = (_EPOCH + timedelta(minutes=minute)).astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _spelled(offset: int) -> str:
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


class LocalTimes:
    """Epoch minutes in `[low, high]` as local ISO 8601 times in `zone`."""

    def __init__(self, zone: ZoneInfo, low: int, high: int) -> None:
        self.exact = True
        changes = [low]
        offsets = [_offset(zone, low)]
        cursor = low
        while cursor < high:
            step = min(cursor + _STEP, high)
            offset = _offset(zone, step)
            if offset != offsets[-1]:
                before, after = cursor, step  # offset at `before` is the old one
                while after - before > 1:
                    middle = (before + after) // 2
                    if _offset(zone, middle) == offsets[-1]:
                        before = middle
                    else:
                        after = middle
                changes.append(after)
                offsets.append(_offset(zone, after))
                step = after  # look on from the change: another may follow in this step
            cursor = step
        minutes = []
        for offset in offsets:
            whole, rest = divmod(offset, timedelta(minutes=1))
            self.exact = self.exact and not rest
            minutes.append(whole)
        self._changes = changes
        self._offsets = minutes
        self._spelled = [_spelled(offset) for offset in minutes]
        self._days: dict[int, str] = {}
        #: Times written so far: a slot's end is often another slot's start.
        self._memo: dict[int, str] = {}

    def iso(self, minute: int) -> str:
        """The local time of epoch minute `minute`, with its offset."""
        found = self._memo.get(minute)
        if found is not None:
            return found
        index = bisect_right(self._changes, minute) - 1
        if index < 0:
            index = 0
        day, clock = divmod(minute + self._offsets[index], _MINUTES_PER_DAY)
        spelled_day = self._days.get(day)
        if spelled_day is None:
            spelled_day = self._days[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
        found = self._memo[minute] = spelled_day + _CLOCK[clock] + self._spelled[index]
        return found
