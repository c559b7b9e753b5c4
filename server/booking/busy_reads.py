"""The slot search's busy time, read once per change of the database (SQLite).

Every slot search needs the busy time of its pool (appointments, live holds, time off:
thousands of rows for a large pool over two weeks). Reading and hashing them took most
of a search's time, even when the answer itself was in the memo. A read is kept
(`Snapshot.busy_reads`) and reused while both of these hold:

- **nothing was committed since**: the store's `data_version` (SQLite's
  `PRAGMA data_version`, asked at once: no trip, no table read) is what it was just before the
  read. It moves with every commit of any connection, this process's writes and other
  processes' alike, so a booking anywhere shows in the next search. A backend without
  it (`None`: PostgreSQL) reads every time;
- **no hold in it has expired**: a read keeps the live holds (`expires_at > now`), so
  it is good until the first of them expires (`until`); an expiry changes nothing in
  the database, only the clock.

A read covers more than the search's window: whole UTC days, a day before and after,
so that searches of the same pool and dates in other time zones (whose windows begin
at other hours) share it. Busy time outside a window does not change the slots in it.

The read also keeps, once asked, its hashed memo key (the slot memo is keyed on the
busy time: hashing a few thousand spans per search costs more than the lookup) and
its spans converted to the engine's occupations (`occupancy.Occupations`, per agent on
first look).

The booking's own check never uses this: it reads in its transaction.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Final

from availability.model import Busy, Interval
from server.booking.occupancy import MAX_OCCUPATION, Occupations, group_spans, load_time_off
from server.calendars.intervals import CalendarBusy
from server.store import BusySpan, Store
from server.vocabulary import to_unix

#: Reads kept per snapshot (each a pool's busy time over a window: up to some
#: thousands of spans).
KEPT: Final = 32
_NEVER: Final = 2**62
_DAY: Final = timedelta(days=1)


class Hashed:
    """A tuple whose hash is computed once: the slot memo compares it by identity first."""

    __slots__ = ("_hash", "value")

    def __init__(self, value: tuple[object, ...]) -> None:
        self.value = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, Hashed) and self._hash == other._hash and self.value == other.value
        )


@dataclass(eq=False, slots=True)
class BusyRead:
    """The busy time of a pool over a window (widened: see the module), as read."""

    agents: tuple[str, ...]
    spans: list[BusySpan]
    time_off: dict[str, list[Interval]]
    #: `data_version` just before the read; None: not to be reused.
    version: int | None
    #: Unix seconds: the read stays true before this (the first live hold's expiry).
    until: int
    _key: Hashed | None = field(default=None, repr=False)
    _occupations: Occupations | None = field(default=None, repr=False)

    @property
    def key(self) -> Hashed:
        """The spans and the time off, as the slot memo keys on them."""
        if self._key is None:
            leave = tuple((agent, tuple(items)) for agent, items in sorted(self.time_off.items()))
            self._key = Hashed((tuple(self.spans), leave))
        return self._key

    def busy(
        self,
        calendars: CalendarBusy,
        *,
        exclude_appointment: tuple[str, datetime, datetime] | None = None,
    ) -> Busy:
        """The engine's input: these spans (converted once per read, unless one
        appointment is left out), the time off and the calendars' busy time."""
        if exclude_appointment is None:
            if self._occupations is None:
                self._occupations = Occupations(group_spans(self.spans, self.agents))
            occupations = self._occupations
        else:
            occupations = Occupations(
                group_spans(self.spans, self.agents, exclude_appointment=exclude_appointment)
            )
        return Busy(
            occupations=occupations,
            external=calendars.external,
            time_off=dict(self.time_off),
            unavailable=calendars.unavailable,
        )


def widened(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """`[start, end)` grown to whole UTC days and a day more on each side."""
    first = datetime.combine(start.astimezone(UTC).date(), time(), UTC) - _DAY
    last = datetime.combine(end.astimezone(UTC).date(), time(), UTC) + 2 * _DAY
    return first, last


async def read(
    store: Store,
    agents: Collection[str],
    start: datetime,
    end: datetime,
    now: datetime,
    version: int | None,
) -> BusyRead:
    """The busy time of `agents` over `[start, end)` (`end` widened by `MAX_OCCUPATION`
    as in `occupancy.load_busy`), straight from `store`; `version` is its
    `data_version` read just before (a commit in between only makes the read newer
    than its version says: the next search reads again)."""
    pool = tuple(agents)
    spans = await store.busy_spans(pool, start, end + MAX_OCCUPATION, now)
    time_off = await load_time_off(store, pool, start, end)
    expiries = [span[4] for span in spans if span[4]]
    return BusyRead(pool, spans, time_off, version, min(expiries, default=_NEVER))


#: A snapshot's kept reads (`Snapshot.busy_reads`), the most recently used last.
Kept = OrderedDict[tuple[object, ...], BusyRead]


async def busy_read(
    kept: Kept, store: Store, agents: Sequence[str], start: datetime, end: datetime, now: datetime
) -> BusyRead:
    """The busy time of `agents` over `[start, end)` at `now`: a kept read while nothing
    was committed since it and none of its holds has expired, else a new one (kept)."""
    first, last = widened(start, end)
    key = (tuple(agents), first, last)
    version = await store.data_version()
    found = kept.get(key)
    if (
        found is not None
        and version is not None
        and found.version == version
        and to_unix(now) < found.until
    ):
        kept.move_to_end(key)
        return found
    found = await read(store, agents, first, last, now, version)
    if version is not None:
        kept[key] = found
        kept.move_to_end(key)
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return found


__all__ = ["KEPT", "BusyRead", "Hashed", "Kept", "busy_read", "read", "widened"]
