"""Wall-clock time in a zone, read exactly across daylight-saving changes.

Instants are whole minutes since the Unix epoch (UTC). A wall-clock minute of a
local date maps to its first occurrence (`fold=0`); a minute that does not exist
locally (the spring gap) is flagged as missing, and its instant is read with the
offset in force before the gap, which is what `zoneinfo` does for `fold=0` and what
RFC 5545 section 3.3.5 asks for block edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
MINUTES_PER_DAY = 1440
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def floor_minute(instant: datetime) -> int:
    return (instant - EPOCH) // MINUTE


def ceil_minute(instant: datetime) -> int:
    return -((EPOCH - instant) // MINUTE)


def to_instant(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def wall_minute(value: time) -> int:
    return value.hour * 60 + value.minute


def day_minute(day: date) -> int:
    """The epoch minute of 00:00 UTC on `day`."""
    return (day.toordinal() - _EPOCH_ORDINAL) * MINUTES_PER_DAY


@dataclass(frozen=True, slots=True)
class LocalDay:
    """Where each wall-clock minute of one local date falls, in epoch minutes."""

    shift: int  # epoch minute of wall minute 0 when the whole day has one offset
    table: tuple[int, ...] | None = None  # per wall minute, on a day with a change
    missing: frozenset[int] = frozenset()  # wall minutes inside a spring gap

    @property
    def uniform(self) -> bool:
        return self.table is None

    def utc(self, wall: int) -> int:
        """The instant of wall minute `wall` (first occurrence; before-gap offset)."""
        return self.shift + wall if self.table is None else self.table[wall]

    def exists(self, wall: int) -> bool:
        return wall not in self.missing


def _offsets(tz: ZoneInfo, day: date, wall: int) -> tuple[int, int]:
    moment = datetime.combine(day, time(wall // 60, wall % 60), tz)
    first = moment.utcoffset()
    second = moment.replace(fold=1).utcoffset()
    assert first is not None and second is not None
    return first // MINUTE, second // MINUTE


@lru_cache(maxsize=16384)
def local_day(timezone: str, day: date) -> LocalDay:
    """The wall-clock → UTC map of `day` in `timezone`.

    Offsets are sampled on the hour (both folds); only an hour whose samples differ
    is read minute by minute, so an ordinary day costs 50 look-ups.
    """
    tz = zone(timezone)
    midnight = day_minute(day)
    samples = [_offsets(tz, day, wall) for wall in (*range(0, MINUTES_PER_DAY, 60), 1439)]
    if all(pair == samples[0] for pair in samples) and samples[0][0] == samples[0][1]:
        return LocalDay(shift=midnight - samples[0][0])
    table: list[int] = []
    missing: set[int] = set()
    for hour in range(24):
        opening, closing = samples[hour], samples[hour + 1]
        if opening == closing and opening[0] == opening[1]:
            table.extend(midnight + wall - opening[0] for wall in range(hour * 60, hour * 60 + 60))
            continue
        for wall in range(hour * 60, hour * 60 + 60):
            before, after = _offsets(tz, day, wall)
            table.append(midnight + wall - before)
            if before < after:  # PEP 495: in a gap, fold=0 has the smaller offset
                missing.add(wall)
    return LocalDay(shift=midnight - samples[0][0], table=tuple(table), missing=frozenset(missing))


@lru_cache(maxsize=65536)
def grid_starts(
    timezone: str, day: date, start: int, end: int, granularity: int, duration: int
) -> tuple[int, ...]:
    """Epoch minutes at which a slot may start in a block (conditions 8 and 9).

    Starts are the wall-clock minutes `start + k × granularity` that exist on `day`,
    read at their first occurrence, and whose slot `[s, s + duration)` lies inside
    the block `[start, end)` in real time.
    """
    local = local_day(timezone, day)
    if local.uniform:
        first = local.shift + start
        return tuple(range(first, local.shift + end - duration + 1, granularity))
    opening, closing = local.utc(start), local.utc(end)
    starts = []
    for wall in range(start, MINUTES_PER_DAY, granularity):
        if local.exists(wall):
            instant = local.utc(wall)
            if opening <= instant and instant + duration <= closing:
                starts.append(instant)
    return tuple(starts)


def local_midnight(timezone: str, day: date) -> int:
    """The epoch minute of 00:00 on `day` in `timezone` (before-gap offset if missing)."""
    return local_day(timezone, day).utc(0)
