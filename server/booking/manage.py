"""Managing an appointment through its manage link: show, cancel, reschedule (SPEC 5).

Decisions:

- A manage link lives as long as its appointment: until `manage_days_after` days after
  the appointment's current end, whatever the `exp` signed into the token (a
  reschedule moves the end, and the customer keeps the link they were first sent).
- A reschedule keeps the office for OFFICE and ON_LOCATION; for VIDEO and PHONE any
  office may serve the new time. It keeps the agent if free, else another candidate;
  an appointment booked through an invite stays with its agent (and its subject stays
  open to it when hidden from customers).
"""

from __future__ import annotations

from datetime import datetime

from server.booking import claims
from server.booking.holds import held, with_hold
from server.booking.offer import offer, pool, status_of
from server.booking.requests import Target, parse_start
from server.deliveries import outbox
from server.errors import ExpiredToken, NoAvailability, NotFound, ValidationFailed
from server.runtime import Runtime
from server.schemas import RescheduleRequest
from server.snapshot import Snapshot
from server.store import AppointmentRow
from server.vocabulary import REMOTE_MEETING_TYPES


def managed(
    snapshot: Snapshot, row: AppointmentRow | None, expired: bool, now: datetime
) -> AppointmentRow:
    """The appointment a manage link names, while the link works (else 410); 404 if it
    is gone."""
    if row is None:
        if expired:
            raise ExpiredToken()
        raise NotFound("This appointment does not exist (any more).")
    if now >= claims.manage_until(snapshot, row):
        raise ExpiredToken()
    return row


async def appointment_of(runtime: Runtime, token: str) -> AppointmentRow:
    """The appointment behind a manage token."""
    now = runtime.now()
    id, expired = claims.appointment_id(runtime.tokens, token, now)
    return managed(runtime.snapshot, await runtime.store.appointment(id), expired, now)


async def movable(runtime: Runtime, token: str) -> tuple[AppointmentRow, Target]:
    """The appointment behind a manage token, and where `reschedule` may move it: the
    target's start is the current one (the caller asks for others)."""
    row = await appointment_of(runtime, token)
    check_movable(row)
    return row, move_target(runtime.snapshot, row, row.start)


async def cancel(runtime: Runtime, token: str) -> AppointmentRow:
    """Cancel; the time is free at once. Cancelling twice changes nothing."""
    snapshot = runtime.snapshot
    now = runtime.now()
    id, expired = claims.appointment_id(runtime.tokens, token, now)
    async with runtime.store.write() as tx:
        row = managed(snapshot, await tx.appointment(id), expired, now)
        if row.status in ("cancelled", "declined"):
            return row
        await tx.update_appointment(
            id, updated_at=now, status="cancelled", sequence=row.sequence + 1
        )
        changed = await tx.appointment(id)
        assert changed is not None
        await outbox.appointment_cancelled(tx, snapshot, row, changed, by="customer")
    runtime.outbox_bell.set()
    return changed


async def reschedule(runtime: Runtime, token: str, request: RescheduleRequest) -> AppointmentRow:
    """Move an appointment to a new start, checked in one transaction; 409 changes nothing."""
    snapshot = runtime.snapshot
    now = runtime.now()
    id, expired = claims.appointment_id(runtime.tokens, token, now)
    start = parse_start(request.start)
    hold_id = None if request.hold is None else claims.hold_id(runtime.tokens, request.hold, now)
    async with runtime.store.write() as tx:
        row = managed(snapshot, await tx.appointment(id), expired, now)
        check_movable(row)
        target = move_target(snapshot, row, start, request.duration)
        hold = None if hold_id is None else await held(tx, hold_id, target, now)
        chosen = await offer(
            tx,
            snapshot.engine_for(row.subject if row.invite_id is not None else None),
            pool(snapshot, target),
            with_hold(target, hold),
            now,
            preferred=row.agent if hold is None else hold.agent,
            exclude_hold=hold,
            exclude_appointment=row,
            calendars=snapshot.calendar_policy,
        )
        await tx.update_appointment(
            id,
            updated_at=now,
            status=status_of(chosen),
            start=chosen.start,
            end=chosen.end,
            trailing_buffer=chosen.rule.trailing_buffer,
            sequence=row.sequence + 1,
            agent=chosen.agent,
            office=chosen.office,
        )
        if hold is not None:
            await tx.use_hold(hold.id, id)
        changed = await tx.appointment(id)
        assert changed is not None
        await outbox.appointment_rescheduled(tx, snapshot, row, changed)
    runtime.outbox_bell.set()
    return changed


def check_movable(row: AppointmentRow) -> None:
    if row.status in ("cancelled", "declined"):
        raise ValidationFailed.at("$", f"a {row.status} appointment cannot be rescheduled")


def move_target(
    snapshot: Snapshot, row: AppointmentRow, start: datetime, duration: int | None = None
) -> Target:
    """Where an appointment may move: its subject and meeting type, its office for
    OFFICE and ON_LOCATION, its agent when it was booked through an invite; `duration`
    as the move's slot showed it."""
    if row.subject not in snapshot.subjects or (
        row.office is not None and row.office not in snapshot.offices
    ):
        raise NoAvailability("This appointment can no longer be moved online.")
    keep_office = row.meeting_type not in REMOTE_MEETING_TYPES
    return Target(
        subject=row.subject,
        meeting_type=row.meeting_type,
        office=row.office if keep_office else None,
        agent=row.agent if row.invite_id is not None and row.agent in snapshot.agents else None,
        start=start,
        invite=None,
        duration=duration,
    )
