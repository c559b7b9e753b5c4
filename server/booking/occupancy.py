"""Stored appointments, holds and time off, turned into the engine's `Busy` input."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from availability.model import Busy, Interval, Occupation
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
    return Busy(occupations=occupations, external=dict(external or {}))


async def load_busy(
    reader: Reader,
    agents: Collection[str],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    exclude_hold: tuple[str, datetime, datetime] | None = None,
    exclude_appointment: tuple[str, datetime, datetime] | None = None,
) -> Busy:
    """What occupies `agents` during `[start, end)` (UTC), ready for the engine.

    `end` is widened by `MAX_OCCUPATION`: a slot that starts just before `end` runs on,
    with its trailing buffer, past it.
    """
    rows = await reader.busy(agents, start, end + MAX_OCCUPATION, now)
    busy = to_busy(rows, exclude_hold=exclude_hold, exclude_appointment=exclude_appointment)
    # Time off (SPEC 11): the agent's own busy time, read with the rest (in a booking's
    # transaction too, so a booking re-checks it as it re-checks appointments).
    leave = await reader.time_off(agents, start, end + MAX_OCCUPATION)
    return replace(
        busy,
        time_off={
            agent: [Interval(row.start, row.end) for row in entries]
            for agent, entries in leave.items()
            if entries
        },
    )
