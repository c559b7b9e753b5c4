"""Stored appointments, holds and agents' calendars, turned into the engine's `Busy` input."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from availability.model import Busy, Interval, Occupation
from server.calendars import intervals
from server.calendars.intervals import Policy
from server.store import BusyRow, Reader

#: Longest time one appointment or hold can occupy an agent (duration + trailing
#: buffer, each at most a day): how far past a window a slot that starts in it runs.
MAX_OCCUPATION = timedelta(days=2)


def to_busy(
    rows: Mapping[str, Sequence[BusyRow]],
    *,
    exclude_hold: tuple[str, datetime, datetime] | None = None,
    exclude_appointment: tuple[str, datetime, datetime] | None = None,
    external: Mapping[str, Sequence[Interval]] | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> Busy:
    """Group rows into the engine's input.

    `exclude_hold` (agent, start, end) leaves out the customer's own hold, so that it
    does not block the booking it was taken for. `exclude_appointment` (agent, start,
    end) leaves out one appointment, so that it does not block its own move.
    """
    occupations: dict[str, list[Occupation]] = {}
    skipped_hold = skipped_appointment = False
    for agent, agent_rows in rows.items():
        items = []
        for row in agent_rows:
            key = (row.agent, row.start, row.end)
            if not skipped_hold and row.hold and key == exclude_hold:
                skipped_hold = True
                continue
            if not skipped_appointment and not row.hold and key == exclude_appointment:
                skipped_appointment = True
                continue
            items.append(Occupation(row.start, row.end, row.trailing_buffer, row.hold))
        occupations[agent] = items
    return Busy(
        occupations=occupations,
        external=external if external is not None else {},
        unavailable=unavailable,
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
    calendars: Policy | None = None,
) -> Busy:
    """What occupies `agents` during `[start, end)` (UTC), ready for the engine: their
    appointments and live holds, and the busy time stored from their own calendars
    (SPEC 12), with the agents whose calendar cannot be used as `unavailable`.

    `calendars` is the snapshot's `calendar_policy` (who links a calendar, how stale its
    data may be); without it every stored calendar counts, with the default staleness.
    `end` is widened by `MAX_OCCUPATION`: a slot that starts just before `end` runs on,
    with its trailing buffer, past it.
    """
    rows = await reader.busy(agents, start, end + MAX_OCCUPATION, now)
    found = await intervals.read(
        reader, agents, start, end + MAX_OCCUPATION, now, calendars or Policy()
    )
    return to_busy(
        rows,
        exclude_hold=exclude_hold,
        exclude_appointment=exclude_appointment,
        external=found.external,
        unavailable=found.unavailable,
    )
