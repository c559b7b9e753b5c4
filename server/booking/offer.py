"""Who gets a start: the engine asked inside a write transaction (SPEC 4 and 5).

`offer` reads the busy time of every agent who could serve the target in the
transaction that will write the booking, asks the engine for the candidates and
chooses one (`availability.choose_agent`). Under `BEGIN IMMEDIATE` what it read is
still true when the caller writes: that is what makes a booking atomic.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import availability
from availability import model
from server.booking.occupancy import load_busy
from server.booking.requests import Target
from server.calendars.intervals import Policy
from server.errors import NoAvailability
from server.snapshot import Snapshot
from server.store import AppointmentRow, HoldRow, Reader
from server.vocabulary import AppointmentStatus

#: Busy time is loaded this far around a start: `choose_agent` counts the appointments
#: of the local week around it (a week, plus a day either side for any UTC offset).
BUSY_WINDOW = timedelta(days=9)


def pool(snapshot: Snapshot, target: Target) -> tuple[str, ...]:
    """The agents who could serve the target: whose busy time the transaction reads."""
    able = snapshot.pool(target.subject, target.meeting_type, target.office)
    if target.agent is not None:
        return (target.agent,) if target.agent in able else ()
    return able


async def offer(
    tx: Reader,
    engine: model.Organisation,
    agents: tuple[str, ...],
    target: Target,
    now: datetime,
    *,
    preferred: str | None = None,
    exclude_hold: HoldRow | None = None,
    exclude_appointment: AppointmentRow | None = None,
    calendars: Policy,
) -> availability.Candidate:
    """The candidate among `agents` who gets `target` now, read inside the transaction
    `tx` (or, for a refusal without the write lock, from the store: `appointments`);
    APPOINTMENT_NO_AVAILABILITY (409) when there is none.

    `exclude_hold` is the customer's own hold (it must not block the booking it was
    taken for); `exclude_appointment` is the appointment being moved. `calendars` is the
    snapshot's `calendar_policy`: the agents' own calendars are read in the transaction
    too (SPEC 12), so a booking is checked against the stored external busy time.

    One start is one offer: with `target.duration` only candidates that give exactly
    that duration count; without it, those of the duration the slots answer offers
    for the start (`availability.offered`: the shortest)."""
    if not agents:
        raise NoAvailability()
    busy = await load_busy(
        tx,
        agents,
        target.start - BUSY_WINDOW,
        target.start + BUSY_WINDOW,
        now,
        exclude_hold=None
        if exclude_hold is None
        else (exclude_hold.agent, exclude_hold.start, exclude_hold.end),
        exclude_appointment=None
        if exclude_appointment is None
        else (exclude_appointment.agent, exclude_appointment.start, exclude_appointment.end),
        calendars=calendars,
    )
    options = availability.candidates(
        engine,
        busy,
        target.subject,
        target.meeting_type,
        target.office,
        target.agent,
        target.start,
        now,
        duration=target.duration,
    )
    if target.duration is None:
        options = availability.offered(options)
    if not options:
        raise NoAvailability()
    return availability.choose_agent(engine, busy, options, preferred=preferred)


def status_of(candidate: availability.Candidate) -> AppointmentStatus:
    """`requested` when the block or the rule asks the agent to confirm, else `confirmed`."""
    return "requested" if candidate.confirm_manually else "confirmed"
