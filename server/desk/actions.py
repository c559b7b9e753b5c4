"""What an agent does to an appointment on the desk (SPEC 11): accept or decline a
request, cancel, reschedule, reassign.

Each action is one write transaction, as a booking is: the appointment is read in it
(and must be the viewer's to act on: else 404), checked, the engine is asked again
where the time or the agent changes (`booking.offer`, which reads the busy time in the
same transaction), and the change, its `sequence` + 1 and its deliveries (the outbox)
are written together. A conflict (the time was taken, the co-worker is no longer free)
is a clear message and nothing is written.

Decisions:

- Accepting a request does not ask the engine again: the request has held its time
  since it was booked (a requested appointment is busy time), so nothing else can have
  taken it. A request whose time has begun can no longer be accepted; it can still be
  declined.
- A reschedule keeps the agent, the status (a request stays a request, to be accepted)
  and, for OFFICE and ON_LOCATION, the office; VIDEO and PHONE may move to any office
  where the agent serves them. It follows the booking rules (hours, minimum notice,
  horizon, busy time), with the appointment itself left out of the busy time.
- A reassignment keeps the time, the office and the status; the new agent must be a
  candidate of the engine at that office and time (expertise, assigned there, active
  and planning online, hours, free; the minimum notice counts too).
- Nothing can be done to an appointment that has ended, or (but decline) begun, or to
  one that is cancelled or declined.
"""

from __future__ import annotations

from datetime import datetime

from server.booking.offer import offer, pool
from server.booking.requests import Target
from server.deliveries import outbox
from server.desk.appointments import visible
from server.desk.problems import Problem, from_error
from server.desk.sessions import Viewer
from server.errors import RendezvousError
from server.runtime import Runtime
from server.store import AppointmentRow, Transaction
from server.vocabulary import REMOTE_MEETING_TYPES


async def _changed(tx: Transaction, id: str) -> AppointmentRow:
    row = await tx.appointment(id)
    assert row is not None
    return row


def _open(row: AppointmentRow) -> None:
    if row.status in ("cancelled", "declined"):
        raise Problem(f"problems.already_{row.status}", 409)


def _not_begun(row: AppointmentRow, now: datetime) -> None:
    if row.start <= now:
        raise Problem("problems.started", 409)


async def accept(runtime: Runtime, viewer: Viewer, id: str) -> AppointmentRow:
    snapshot, now = runtime.snapshot, runtime.now()
    async with runtime.store.write() as tx:
        row = await visible(tx, viewer, id)
        _open(row)
        if row.status != "requested":
            raise Problem("problems.not_a_request", 409)
        _not_begun(row, now)
        await tx.update_appointment(
            id, updated_at=now, status="confirmed", sequence=row.sequence + 1
        )
        changed = await _changed(tx, id)
        await outbox.appointment_accepted(tx, snapshot, changed)
    runtime.outbox_bell.set()
    return changed


async def decline(runtime: Runtime, viewer: Viewer, id: str, reason: str | None) -> AppointmentRow:
    snapshot, now = runtime.snapshot, runtime.now()
    async with runtime.store.write() as tx:
        row = await visible(tx, viewer, id)
        _open(row)
        if row.status != "requested":
            raise Problem("problems.not_a_request", 409)
        await tx.update_appointment(
            id, updated_at=now, status="declined", sequence=row.sequence + 1
        )
        changed = await _changed(tx, id)
        await outbox.appointment_declined(tx, snapshot, changed, reason=reason)
    runtime.outbox_bell.set()
    return changed


async def cancel(runtime: Runtime, viewer: Viewer, id: str, reason: str | None) -> AppointmentRow:
    snapshot, now = runtime.snapshot, runtime.now()
    async with runtime.store.write() as tx:
        row = await visible(tx, viewer, id)
        _open(row)
        if row.end <= now:
            raise Problem("problems.over", 409)
        await tx.update_appointment(
            id, updated_at=now, status="cancelled", sequence=row.sequence + 1
        )
        changed = await _changed(tx, id)
        await outbox.appointment_cancelled(tx, snapshot, row, changed, by="agent", reason=reason)
    runtime.outbox_bell.set()
    return changed


def move_target(row: AppointmentRow, start: datetime, agent: str) -> Target:
    keep_office = row.meeting_type not in REMOTE_MEETING_TYPES
    return Target(
        subject=row.subject,
        meeting_type=row.meeting_type,
        office=row.office if keep_office else None,
        agent=agent,
        start=start,
        invite=None,
    )


async def reschedule(runtime: Runtime, viewer: Viewer, id: str, start: datetime) -> AppointmentRow:
    snapshot, now = runtime.snapshot, runtime.now()
    async with runtime.store.write() as tx:
        row = await visible(tx, viewer, id)
        _open(row)
        _not_begun(row, now)
        if start == row.start:
            raise Problem("problems.same_time", 422)
        target = move_target(row, start, row.agent)
        try:
            chosen = await offer(
                tx,
                snapshot.engine_for(row.subject),
                pool(snapshot, target) if row.subject in snapshot.subjects else (),
                target,
                now,
                preferred=row.agent,
                exclude_appointment=row,
                calendars=snapshot.calendar_policy,
            )
        except RendezvousError as exc:
            raise from_error(exc) from exc
        await tx.update_appointment(
            id,
            updated_at=now,
            start=chosen.start,
            end=chosen.end,
            trailing_buffer=chosen.rule.trailing_buffer,
            office=chosen.office,
            sequence=row.sequence + 1,
        )
        changed = await _changed(tx, id)
        await outbox.appointment_rescheduled(tx, snapshot, row, changed)
    runtime.outbox_bell.set()
    return changed


async def reassign(runtime: Runtime, viewer: Viewer, id: str, agent: str) -> AppointmentRow:
    snapshot, now = runtime.snapshot, runtime.now()
    async with runtime.store.write() as tx:
        row = await visible(tx, viewer, id)
        _open(row)
        _not_begun(row, now)
        if agent == row.agent:
            raise Problem("problems.same_agent", 422)
        target = Target(
            subject=row.subject,
            meeting_type=row.meeting_type,
            office=row.office,
            agent=agent,
            start=row.start,
            invite=None,
        )
        able = snapshot.pool(row.subject, row.meeting_type, row.office)
        try:
            chosen = await offer(
                tx,
                snapshot.engine_for(row.subject),
                (agent,) if agent in able and row.subject in snapshot.subjects else (),
                target,
                now,
                calendars=snapshot.calendar_policy,
            )
        except RendezvousError as exc:
            raise Problem("problems.coworker_busy", 409) from exc
        await tx.update_appointment(
            id,
            updated_at=now,
            agent=chosen.agent,
            trailing_buffer=chosen.rule.trailing_buffer,
            sequence=row.sequence + 1,
        )
        changed = await _changed(tx, id)
        await outbox.appointment_reassigned(tx, snapshot, row, changed)
    runtime.outbox_bell.set()
    return changed


__all__ = ["accept", "cancel", "decline", "move_target", "reassign", "reschedule"]
