"""The stored busy intervals of agents' calendars, and the engine's external busy time
read from them (SPEC 12, condition 12 `BUSY_EXTERNAL`).

A calendar's busy time is stored as one value per agent: its merged, sorted, disjoint
intervals as little-endian int64 pairs of unix seconds (`pack`, `unpack`). One value
rather than a row per interval, because a slot search reads every agent of its pool at
once (2,000 agents with 300 intervals each are 2,000 short values, not 600,000 rows),
and the engine asks for an agent's intervals only when it needs them. A read takes the
calendars' states first (no intervals), then the intervals of the calendars whose
current revision this process has not decoded yet (`Decoded`, which lives with the
organisation version on the snapshot's `Policy`); `External` cuts an agent's to the
window on first use.

Whether a calendar's data may be used (`usable`): it has been read at least once for
the link the organisation file names now, and it either works or last worked no more
than `calendar_max_stale_hours` ago. Otherwise the agent offers nothing
(`Busy.unavailable`, reason CALENDAR_UNAVAILABLE): time that may be busy is never offered.
"""

from __future__ import annotations

import bisect
import struct
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from availability.model import Interval
from server.calendars.links import Link
from server.store import CalendarRow, Reader

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
    last good data of a broken one is used; and the intervals decoded for this version."""

    links: Mapping[str, Link] | None = None
    max_stale: timedelta = DEFAULT_MAX_STALE
    decoded: Decoded = field(default_factory=lambda: Decoded(), compare=False, repr=False)


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


#: Which stored busy time: the agent and the calendar's revision, which is random and
#: new whenever the busy time changes (`state.after_read`), so it names one content.
Version = tuple[str, int]
#: (starts, ends, intervals) of one calendar's stored busy time.
_Entry = tuple[tuple[int, ...], tuple[int, ...], tuple[Interval, ...]]


class Decoded:
    """Stored intervals of one process and organisation version (it lives on the
    snapshot's `Policy`), by `Version`, decoded when the engine first asks for them.
    Bounded by the intervals it holds; the oldest go first. Decoding makes two datetimes
    and an `Interval` per interval: doing it anew for every slot search of 2,000 busy
    agents would cost more than the search."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self._raw: OrderedDict[Version, bytes] = OrderedDict()
        self._entries: OrderedDict[Version, _Entry] = OrderedDict()
        self._held = 0
        self._moments: dict[int, datetime] = {}

    def __contains__(self, version: object) -> bool:
        return version in self._entries or version in self._raw

    def __len__(self) -> int:
        return len(self._entries) + len(self._raw)

    def put(self, version: Version, data: bytes) -> None:
        if version not in self:
            self._raw[version] = data
            self._held += len(data) // 16
            self._trim()

    def get(self, version: Version) -> _Entry:
        found = self._entries.get(version)
        if found is None:
            found = self._entries[version] = self._decode(self._raw.pop(version))
        return found

    def _decode(self, data: bytes) -> _Entry:
        values = struct.unpack(f"<{len(data) // 8}q", data)
        starts, ends = values[0::2], values[1::2]
        # Calendars put events on a few minutes of the hour: the same instants recur
        # across agents, and one datetime serves them all.
        moments = self._moments
        if len(moments) > self.limit:
            moments.clear()
        made: list[Interval] = []
        for start, end in zip(starts, ends, strict=True):
            begins = moments.get(start)
            if begins is None:
                begins = moments[start] = datetime.fromtimestamp(start, UTC)
            finishes = moments.get(end)
            if finishes is None:
                finishes = moments[end] = datetime.fromtimestamp(end, UTC)
            made.append(Interval(begins, finishes))
        return starts, ends, tuple(made)

    def _trim(self) -> None:
        while self._held > self.limit and len(self) > 1:
            if self._raw:
                _, data = self._raw.popitem(last=False)
                self._held -= len(data) // 16
            else:
                _, (starts, _, _) = self._entries.popitem(last=False)
                self._held -= len(starts)


class External(Mapping[str, Sequence[Interval]]):
    """Agents' external busy time within `[start, end)`: each agent's stored version,
    decoded (`decoded`), cut to the window on first use."""

    def __init__(
        self,
        versions: Mapping[str, int],
        decoded: Decoded,
        start: datetime,
        end: datetime,
    ) -> None:
        #: Changes whenever what is stored does: the slot search's memo keys on it
        #: instead of on every interval.
        self.key = (
            tuple(sorted(versions.items())),
            (int(start.timestamp()), int(end.timestamp())),
        )
        self._versions = versions
        self._decoded = decoded
        self._low, self._high = int(start.timestamp()), int(end.timestamp()) + 1
        self._found: dict[str, Sequence[Interval]] = {}

    @classmethod
    def of(cls, stored: Mapping[str, bytes], start: datetime, end: datetime) -> External:
        """From packed intervals at hand (tests, benchmarks)."""
        decoded = Decoded()
        versions = {agent: index for index, agent in enumerate(stored)}
        for agent, data in stored.items():
            decoded.put((agent, versions[agent]), data)
        return cls(versions, decoded, start, end)

    def __getitem__(self, agent: str) -> Sequence[Interval]:
        found = self._found.get(agent)
        if found is None:
            starts, ends, items = self._decoded.get((agent, self._versions[agent]))
            # Disjoint and sorted: the ends are sorted too, so both bounds are bisections.
            first = bisect.bisect_right(ends, self._low)
            last = bisect.bisect_left(starts, self._high, lo=first)
            found = self._found[agent] = items[first:last]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)


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
    """The stored calendars of `agents` as external busy time over `[start, end)`: one
    read of their states, and one of the intervals of those not decoded yet."""
    if policy.links is not None:
        agents = [agent for agent in agents if agent in policy.links]
    if not agents:
        return CalendarBusy()
    rows = await reader.calendars(agents, busy=False)
    versions: dict[str, int] = {}
    unavailable: set[str] = set()
    for agent in agents:
        row = rows.get(agent)
        if row is None:
            if policy.links is not None:
                unavailable.add(agent)  # linked, never read
        elif usable(row, policy, now):
            versions[agent] = row.revision
        else:
            unavailable.add(agent)
    decoded = policy.decoded
    missing = [agent for agent, revision in versions.items() if (agent, revision) not in decoded]
    if missing:
        # Read again with the intervals: what is read then is what is used (a refresh
        # may have saved in between, outside a transaction).
        for agent, row in (await reader.calendars(missing)).items():
            if usable(row, policy, now):
                versions[agent] = row.revision
                decoded.put((agent, row.revision), row.busy)
            else:
                del versions[agent]
                unavailable.add(agent)
        for agent in missing:
            if (agent, versions.get(agent)) not in decoded:
                versions.pop(agent, None)
                unavailable.add(agent)  # gone between the two reads
    return CalendarBusy(External(versions, decoded, start, end), frozenset(unavailable))


__all__ = [
    "DEFAULT_MAX_STALE",
    "CalendarBusy",
    "Decoded",
    "External",
    "Policy",
    "pack",
    "read",
    "unpack",
    "usable",
]
