"""The stored busy intervals of agents' calendars, and the engine's external busy time
read from them (SPEC 12, condition 12 `BUSY_EXTERNAL`).

A calendar's busy time is stored as one value per agent: its merged, sorted, disjoint
intervals as little-endian int64 pairs of unix seconds (`pack`, `unpack`). One value
rather than a row per interval, because a slot search reads every agent of its pool at
once (2,000 agents with 300 intervals each are 2,000 short values, not 600,000 rows),
and the engine asks for an agent's intervals only when it needs them: `External`
decodes an agent's on first use, cut to the window.

Whether a calendar's data may be used (`usable`): it has been read at least once for
the link the organisation file names now, and it either works or last worked no more
than `calendar_max_stale_hours` ago. Otherwise the agent offers nothing
(`Busy.unavailable`, reason CALENDAR_UNAVAILABLE): time that may be busy is never offered.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from availability.model import Interval
from server.calendars.links import Link
from server.store import CalendarRow, Reader

_PAIR: Final = struct.Struct("<qq")
#: The staleness allowed when the caller names no policy (see `Policy`).
DEFAULT_MAX_STALE: Final = timedelta(hours=24)


def pack(intervals: Sequence[tuple[int, int]]) -> bytes:
    """Merged `[start, end)` unix-second pairs as stored."""
    return struct.pack(f"<{2 * len(intervals)}q", *(value for pair in intervals for value in pair))


def unpack(data: bytes) -> list[tuple[int, int]]:
    values = struct.unpack(f"<{len(data) // 8}q", data)
    return list(zip(values[::2], values[1::2], strict=True))


@dataclass(frozen=True, slots=True)
class Policy:
    """What the organisation file says about reading calendars: who links one (`links`,
    by agent; None: every stored calendar counts, whatever its link) and how long the
    last good data of a broken one is used."""

    links: Mapping[str, Link] | None = None
    max_stale: timedelta = DEFAULT_MAX_STALE


def usable(row: CalendarRow, policy: Policy, now: datetime) -> bool:
    """Whether a stored calendar's busy time may be used at `now`."""
    if policy.links is not None:
        link = policy.links.get(row.agent)
        if link is None or row.link != link.fingerprint:
            return False
    if row.worked_at is None:
        return False
    if row.problem is None:
        return True
    # A failure: the last good data is kept for `max_stale` (0 keeps none).
    return policy.max_stale > timedelta(0) and now - row.worked_at <= policy.max_stale


class External(Mapping[str, Sequence[Interval]]):
    """Agents' external busy time within `[start, end)`, decoded on first use."""

    def __init__(
        self,
        stored: Mapping[str, bytes],
        start: datetime,
        end: datetime,
        key: tuple[object, ...] = (),
    ) -> None:
        #: Changes whenever what is stored does (the agents and their revisions): the slot
        #: search's memo keys on it instead of on every interval.
        self.key = (key, self._window_key(start, end))
        self._stored = stored
        self._low, self._high = int(start.timestamp()), int(end.timestamp()) + 1
        self._decoded: dict[str, tuple[Interval, ...]] = {}

    def __getitem__(self, agent: str) -> Sequence[Interval]:
        found = self._decoded.get(agent)
        if found is None:
            found = self._decoded[agent] = self._decode(self._stored[agent])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    @staticmethod
    def _window_key(start: datetime, end: datetime) -> tuple[int, int]:
        return int(start.timestamp()), int(end.timestamp())

    def _decode(self, data: bytes) -> tuple[Interval, ...]:
        pairs = unpack(data)
        # Disjoint and sorted: the ends are sorted too, so both bounds are bisections.
        first = bisect.bisect_right(pairs, self._low, key=lambda pair: pair[1])
        last = bisect.bisect_left(pairs, self._high, lo=first, key=lambda pair: pair[0])
        return tuple(
            Interval(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
            for start, end in pairs[first:last]
        )


@dataclass(frozen=True, slots=True)
class CalendarBusy:
    """What load_busy needs of the calendars: the intervals and who is unavailable."""

    external: Mapping[str, Sequence[Interval]] = field(default_factory=dict)
    unavailable: frozenset[str] = frozenset()


async def read(
    reader: Reader,
    agents: Collection[str],
    start: datetime,
    end: datetime,
    now: datetime,
    policy: Policy,
) -> CalendarBusy:
    """The stored calendars of `agents` as external busy time over `[start, end)`."""
    if policy.links is not None:
        agents = [agent for agent in agents if agent in policy.links]
    if not agents:
        return CalendarBusy()
    rows = await reader.calendars(agents)
    stored: dict[str, bytes] = {}
    unavailable: set[str] = set()
    key: list[tuple[str, int]] = []
    for agent in agents:
        row = rows.get(agent)
        if row is None:
            if policy.links is not None:
                unavailable.add(agent)  # linked, never read
            continue
        if not usable(row, policy, now):
            unavailable.add(agent)
            continue
        stored[agent] = row.busy
        key.append((agent, row.revision))
    return CalendarBusy(External(stored, start, end, tuple(key)), frozenset(unavailable))


__all__ = [
    "DEFAULT_MAX_STALE",
    "CalendarBusy",
    "External",
    "Policy",
    "pack",
    "read",
    "unpack",
    "usable",
]
