"""Stored appointments, holds, time off and agents' calendars, turned into the engine's
`Busy` input.

`load_busy` reads and converts in one go (bookings, holds); the slot search reads the
plain spans first (`busy_reads`, kept until something is committed), keys its memo
on them, and converts them (`group_spans`, `Occupations`, per agent on first look)
only when the engine must run. Time off (`load_time_off`) and the
busy time stored from agents' own calendars (`load_calendars`, SPEC 12) are read with
both; the memo keys the calendars on their stored revisions (`calendar_key`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

from availability.model import Busy, Interval, Occupation
from server.calendars import intervals
from server.calendars.intervals import CalendarBusy, External, Policy
from server.store import BusySpan, Reader
from server.vocabulary import from_unix, to_unix

#: Longest time one appointment or hold can occupy an agent (duration + trailing
#: buffer, each at most a day): how far past a window a slot that starts in it runs.
MAX_OCCUPATION = timedelta(days=2)


def to_busy(
    spans: Sequence[BusySpan],
    agents: Collection[str],
    *,
    exclude_hold: tuple[str, datetime, datetime] | None = None,
    exclude_appointment: tuple[str, datetime, datetime] | None = None,
    external: Mapping[str, Sequence[Interval]] | None = None,
    unavailable: frozenset[str] = frozenset(),
    time_off: Mapping[str, Sequence[Interval]] | None = None,
) -> Busy:
    """The engine's input from the plain spans of `Reader.busy_spans` (every agent of
    `agents` a key), converted to `Occupation`s per agent when the engine first asks
    (`Occupations`).

    `exclude_hold` (agent, start, end) leaves out the customer's own hold, so that it
    does not block the booking it was taken for. `exclude_appointment` (agent, start,
    end) leaves out one appointment, so that it does not block its own move.
    """
    grouped = group_spans(
        spans, agents, exclude_hold=exclude_hold, exclude_appointment=exclude_appointment
    )
    return Busy(
        occupations=Occupations(grouped),
        external=external if external is not None else {},
        time_off=dict(time_off or {}),
        unavailable=unavailable,
    )


def _unix(key: tuple[str, datetime, datetime] | None) -> tuple[str, int, int] | None:
    return None if key is None else (key[0], to_unix(key[1]), to_unix(key[2]))


def group_spans(
    spans: Sequence[BusySpan],
    agents: Collection[str],
    *,
    exclude_hold: tuple[str, datetime, datetime] | None = None,
    exclude_appointment: tuple[str, datetime, datetime] | None = None,
) -> dict[str, list[BusySpan]]:
    """Per agent of `agents` (each a key), its spans; without one hold
    `exclude_hold` and one appointment `exclude_appointment` (agent, start, end), if
    given."""
    by_agent: dict[str, list[BusySpan]] = {agent: [] for agent in agents}
    hold = _unix(exclude_hold)
    moved = _unix(exclude_appointment)
    for span in spans:
        if span[4]:
            if hold is not None and span[:3] == hold:
                hold = None
                continue
        elif moved is not None and span[:3] == moved:
            moved = None
            continue
        by_agent[span[0]].append(span)
    return by_agent


#: Occupations already made from a span, for any search or booking of this process:
#: the same appointments are read again and again (each booking's check reads its pool's
#: two weeks), and an `Occupation` (immutable) with its two datetimes costs more to make
#: than to find. Emptied when it reaches `_KEPT_OCCUPATIONS` (a few tens of megabytes).
_OCCUPATIONS: dict[BusySpan, Occupation] = {}
_KEPT_OCCUPATIONS: Final = 100_000


def _occupation(span: BusySpan) -> Occupation:
    found = _OCCUPATIONS.get(span)
    if found is None:
        if len(_OCCUPATIONS) >= _KEPT_OCCUPATIONS:
            _OCCUPATIONS.clear()
        _, start, end, trailing_buffer, hold = span
        found = _OCCUPATIONS[span] = Occupation(
            from_unix(start), from_unix(end), trailing_buffer, bool(hold)
        )
    return found


class Occupations(Mapping[str, Sequence[Occupation]]):
    """Per agent, its spans as `Occupation`s, converted on first look."""

    def __init__(self, spans: dict[str, list[BusySpan]]) -> None:
        self._spans = spans
        self._converted: dict[str, list[Occupation]] = {}

    def __getitem__(self, agent: str) -> Sequence[Occupation]:
        found = self._converted.get(agent)
        if found is None:
            found = self._converted[agent] = [_occupation(span) for span in self._spans[agent]]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


async def load_time_off(
    reader: Reader, agents: Collection[str], start: datetime, end: datetime
) -> dict[str, list[Interval]]:
    """Per agent with any, the time off (SPEC 11) overlapping `[start, end)` (`end`
    widened as in `load_busy`)."""
    leave = await reader.time_off(agents, start, end + MAX_OCCUPATION)
    return {
        agent: [Interval(row.start, row.end) for row in entries]
        for agent, entries in leave.items()
        if entries
    }


async def load_calendars(
    reader: Reader,
    agents: Collection[str],
    start: datetime,
    end: datetime,
    now: datetime,
    calendars: Policy,
) -> CalendarBusy:
    """The busy time stored from `agents`' own calendars (SPEC 12) during `[start, end)`
    (`end` widened as in `load_busy`), and who cannot be offered because their calendar
    cannot be used. `calendars` is the snapshot's `calendar_policy` (see `load_busy`)."""
    return await intervals.read(reader, agents, start, end + MAX_OCCUPATION, now, calendars)


def calendar_key(found: CalendarBusy) -> tuple[object, ...]:
    """What the slot search's memo keys on for the calendars: the stored revisions (which
    change whenever the stored busy time does), not the intervals, and who is
    unavailable."""
    external = found.external
    return (
        external.key
        if isinstance(external, External)
        else tuple((agent, tuple(items)) for agent, items in external.items()),
        found.unavailable,
    )


async def load_busy(
    reader: Reader,
    agents: Collection[str],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    exclude_hold: tuple[str, datetime, datetime] | None = None,
    exclude_appointment: tuple[str, datetime, datetime] | None = None,
    calendars: Policy,
) -> Busy:
    """What occupies `agents` during `[start, end)` (UTC), ready for the engine: their
    appointments and live holds, their time off (SPEC 11), and the busy time stored
    from their own calendars (SPEC 12), with the agents whose calendar cannot be used
    as `unavailable`.

    `calendars` is the snapshot's `calendar_policy` (who links a calendar, how stale its
    data may be); a bare `Policy()` counts every stored calendar, with the default
    staleness (tests, tools without an organisation file).
    `end` is widened by `MAX_OCCUPATION`: a slot that starts just before `end` runs on,
    with its trailing buffer, past it.
    """
    spans = await reader.busy_spans(agents, start, end + MAX_OCCUPATION, now)
    found = await load_calendars(reader, agents, start, end, now, calendars)
    # Time off (SPEC 11): the agent's own busy time, read with the rest (in a booking's
    # transaction too, so a booking re-checks it as it re-checks appointments).
    return to_busy(
        spans,
        agents,
        exclude_hold=exclude_hold,
        exclude_appointment=exclude_appointment,
        external=found.external,
        unavailable=found.unavailable,
        time_off=await load_time_off(reader, agents, start, end),
    )
