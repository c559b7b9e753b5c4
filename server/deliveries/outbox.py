"""What to send for each change of an appointment (SPEC 10's table), written in the
caller's transaction: the transactional outbox.

The services call one function per event inside the `store.write()` block that makes
the change, so the deliveries commit with it or not at all (a booking that ends in 409
writes none):

    appointment_created     booked, confirmed or requested
    appointment_accepted    a request accepted by the agent (the desk, SPEC 11)
    appointment_declined    a request declined, with an optional reason (the desk)
    appointment_rescheduled a new time (the customer's manage link, or the desk)
    appointment_cancelled   by the customer or the agent, with an optional reason
    appointment_reassigned  handed to another agent (the desk)
    sign_in_requested       the desk's sign-in link, to an agent (about no appointment)

Each writes small rows only: who gets what, and the appointment as of the change
(`Change`, JSON). Nothing is rendered here; the worker renders and sends later, outside
any transaction. Reminders are rows due `*_reminders` minutes before the start, written
when an appointment is (or stays) confirmed; every change after the booking deletes the
appointment's pending reminders and writes them again for the new state, so a
reschedule moves them and a cancellation or a decline removes them. A reminder whose
time has passed when it would be written is not written.

Agents whose CalDAV calendar is written to (SPEC 12, `write = true`) get `caldav`
deliveries too: the appointment put into, or removed from, their calendar.

Who gets e-mail: customers always (they gave an address); an agent when the
organisation file gives the agent an `email`. E-mail is written only when the
organisation has `[organisation.notifications]`; webhooks whenever `[[webhooks]]`
subscribe to the event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from server.deliveries.kinds import (
    CALDAV_PUT,
    CALDAV_REMOVE,
    REMINDER_KINDS,
    EmailKind,
    Event,
    WebhookEvent,
)
from server.snapshot import Snapshot
from server.store import AppointmentRow, DeliveryRow, Transaction, new_id

#: A delivery that keeps failing is given up this long after it was first due.
GIVE_UP_AFTER = timedelta(hours=48)

CancelledBy = Literal["customer", "agent"]


class Change(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A delivery's payload: the appointment as of the change, and what else the
    message must say."""

    event: Event
    at: datetime  # when the change happened
    appointment: AppointmentRow
    previous_status: str | None = None
    previous_start: datetime | None = None
    previous_end: datetime | None = None
    previous_agent: str | None = None
    reason: str | None = None
    by: CancelledBy | None = None
    minutes: int | None = None  # a reminder: this many minutes before the start


def read_change(payload: object) -> Change:
    """A stored payload as a `Change` (msgspec.ValidationError when it is not one)."""
    return msgspec.convert(payload, Change)


async def appointment_created(tx: Transaction, snapshot: Snapshot, row: AppointmentRow) -> None:
    await _write(tx, snapshot, Change(event="created", at=row.updated_at, appointment=row), None)


async def appointment_accepted(tx: Transaction, snapshot: Snapshot, row: AppointmentRow) -> None:
    change = Change(
        event="accepted", at=row.updated_at, appointment=row, previous_status="requested"
    )
    await _write(tx, snapshot, change, None)


async def appointment_declined(
    tx: Transaction, snapshot: Snapshot, row: AppointmentRow, *, reason: str | None = None
) -> None:
    change = Change(
        event="declined",
        at=row.updated_at,
        appointment=row,
        previous_status="requested",
        reason=reason or None,
    )
    await _write(tx, snapshot, change, None)


async def appointment_rescheduled(
    tx: Transaction, snapshot: Snapshot, before: AppointmentRow, after: AppointmentRow
) -> None:
    await _write(tx, snapshot, _change("rescheduled", before, after), before)


async def appointment_cancelled(
    tx: Transaction,
    snapshot: Snapshot,
    before: AppointmentRow,
    after: AppointmentRow,
    *,
    by: CancelledBy,
    reason: str | None = None,
) -> None:
    change = _change("cancelled", before, after)
    change.by, change.reason = by, reason or None
    await _write(tx, snapshot, change, before)


async def appointment_reassigned(
    tx: Transaction, snapshot: Snapshot, before: AppointmentRow, after: AppointmentRow
) -> None:
    await _write(tx, snapshot, _change("reassigned", before, after), before)


def _change(event: Event, before: AppointmentRow, after: AppointmentRow) -> Change:
    return Change(
        event=event,
        at=after.updated_at,
        appointment=after,
        previous_status=before.status,
        previous_start=before.start,
        previous_end=before.end,
        previous_agent=before.agent,
    )


async def _write(
    tx: Transaction, snapshot: Snapshot, change: Change, before: AppointmentRow | None
) -> None:
    if before is not None or change.event != "created":
        await tx.delete_pending_deliveries(change.appointment.id, REMINDER_KINDS)
    rows = list(plan(snapshot, change))
    if rows:
        await tx.insert_deliveries(rows)


def plan(snapshot: Snapshot, change: Change) -> Iterator[DeliveryRow]:
    """The deliveries of one change: e-mails, webhooks and reminders (pure)."""
    payload = msgspec.to_builtins(change)
    if snapshot.settings.notifications is not None:
        for kind, recipient in _emails(snapshot, change):
            yield _row(change, "email", kind, recipient, payload, change.at)
        yield from _reminders(snapshot, change)
    event: WebhookEvent = f"appointment.{change.event}"  # type: ignore[assignment]
    for webhook in snapshot.file.webhooks:
        if webhook.events is None or event in webhook.events:
            yield DeliveryRow(
                id=new_id(),
                channel="webhook",
                kind=event,
                recipient_role="webhook",
                recipient=webhook.id,
                appointment_id=change.appointment.id,
                payload=payload,
                due_at=change.at,
                expires_at=change.at + GIVE_UP_AFTER,
                created_at=change.at,
            )
    yield from _calendar_writes(snapshot, change, payload)


def _calendar_writes(snapshot: Snapshot, change: Change, payload: object) -> Iterator[DeliveryRow]:
    """SPEC 12's write-back: a `caldav` delivery for each agent whose CalDAV calendar
    (`write = true`) gains, keeps or loses the appointment. The worker makes the calendar
    match the appointment as it is when it sends (`server.calendars.writeback`)."""
    assert isinstance(payload, dict)
    row = change.appointment
    writes: list[tuple[str, str]] = []
    link = snapshot.calendars.get(row.agent)
    if link is not None and link.write:
        occupying = row.status in ("confirmed", "requested")
        writes.append((row.agent, CALDAV_PUT if occupying else CALDAV_REMOVE))
    previous = change.previous_agent
    if previous is not None and previous != row.agent:
        link = snapshot.calendars.get(previous)
        if link is not None and link.write:
            writes.append((previous, CALDAV_REMOVE))
    for agent, kind in writes:
        yield DeliveryRow(
            id=new_id(),
            channel="caldav",
            kind=kind,
            recipient_role="agent",
            recipient=agent,
            appointment_id=row.id,
            payload=payload,
            due_at=change.at,
            expires_at=change.at + GIVE_UP_AFTER,
            created_at=change.at,
        )


class _Recipient(msgspec.Struct, frozen=True):
    role: Literal["customer", "agent"]
    address: str


def _emails(snapshot: Snapshot, change: Change) -> Iterator[tuple[EmailKind, _Recipient]]:
    row = change.appointment
    customer = _customer(row)
    agent = _agent(snapshot, row.agent)
    previous = _agent(snapshot, change.previous_agent) if change.previous_agent else None
    moved_agent = change.previous_agent is not None and change.previous_agent != row.agent
    if change.event == "created":
        confirmed = row.status == "confirmed"
        yield ("customer_confirmation" if confirmed else "customer_request_received"), customer
        if agent:
            yield ("agent_new_appointment" if confirmed else "agent_request"), agent
    elif change.event == "accepted":
        yield "customer_accepted", customer
        if agent:
            yield "agent_accepted", agent
    elif change.event == "declined":
        yield "customer_declined", customer
    elif change.event == "cancelled":
        yield "customer_cancelled", customer
        if agent:
            yield "agent_cancelled", agent
    elif change.event in ("rescheduled", "reassigned"):
        moved: EmailKind = (
            "customer_rescheduled" if change.event == "rescheduled" else "customer_reassigned"
        )
        yield moved, customer
        if moved_agent:
            # The old agent's calendar loses it, the new agent's gains it.
            if previous:
                yield "agent_reassigned_away", previous
            if agent:
                yield "agent_reassigned_to", agent
        elif agent:
            yield "agent_rescheduled", agent


def _reminders(snapshot: Snapshot, change: Change) -> Iterator[DeliveryRow]:
    row = change.appointment
    notifications = snapshot.settings.notifications
    if notifications is None or row.status != "confirmed":
        return
    agent = _agent(snapshot, row.agent)
    lists: list[tuple[EmailKind, _Recipient | None, tuple[int, ...]]] = [
        ("customer_reminder", _customer(row), notifications.customer_reminders),
        ("agent_reminder", agent, notifications.agent_reminders),
    ]
    for kind, recipient, minutes_before in lists:
        if recipient is None:
            continue
        for minutes in minutes_before:
            due = row.start - timedelta(minutes=minutes)
            if due <= change.at:
                continue  # its time has passed: not written
            reminder = msgspec.structs.replace(change, minutes=minutes)
            yield _row(change, "email", kind, recipient, msgspec.to_builtins(reminder), due)


def _row(
    change: Change,
    channel: Literal["email"],
    kind: EmailKind,
    recipient: _Recipient,
    payload: object,
    due: datetime,
) -> DeliveryRow:
    assert isinstance(payload, dict)
    return DeliveryRow(
        id=new_id(),
        channel=channel,
        kind=kind,
        recipient_role=recipient.role,
        recipient=recipient.address,
        appointment_id=change.appointment.id,
        payload=payload,
        due_at=due,
        expires_at=due + GIVE_UP_AFTER,
        created_at=change.at,
    )


def _customer(row: AppointmentRow) -> _Recipient:
    return _Recipient("customer", str(row.customer["email"]))


def _agent(snapshot: Snapshot, agent_id: str | None) -> _Recipient | None:
    agent = None if agent_id is None else snapshot.agents.get(agent_id)
    if agent is None or agent.email is None:
        return None
    return _Recipient("agent", agent.email)


# -- Notices about no appointment: the desk's sign-in link (SPEC 11) -------------------


class SignInNotice(msgspec.Struct, kw_only=True):
    """The payload of an `agent_sign_in` e-mail. It names the link; the link's token is
    signed when the e-mail is built (`server.deliveries.email.build_sign_in`)."""

    event: Literal["sign_in"] = "sign_in"
    at: datetime
    agent: str
    link: str  # the sign-in link's id
    expires_at: datetime


def read_sign_in(payload: object) -> SignInNotice:
    """A stored payload as a `SignInNotice` (msgspec.ValidationError when it is not one)."""
    return msgspec.convert(payload, SignInNotice)


async def sign_in_requested(tx: Transaction, snapshot: Snapshot, notice: SignInNotice) -> bool:
    """Write the sign-in e-mail to the agent; False (nothing written) when the
    organisation sends no e-mail or the agent has no address. It is not tried after the
    link has expired."""
    agent = _agent(snapshot, notice.agent)
    if snapshot.settings.notifications is None or agent is None:
        return False
    payload = msgspec.to_builtins(notice)
    assert isinstance(payload, dict)
    row = DeliveryRow(
        id=new_id(),
        channel="email",
        kind="agent_sign_in",
        recipient_role="agent",
        recipient=agent.address,
        appointment_id=None,
        payload=payload,
        due_at=notice.at,
        expires_at=notice.expires_at,
        created_at=notice.at,
    )
    await tx.insert_deliveries([row])
    return True


__all__ = [
    "GIVE_UP_AFTER",
    "CancelledBy",
    "Change",
    "SignInNotice",
    "appointment_accepted",
    "appointment_cancelled",
    "appointment_created",
    "appointment_declined",
    "appointment_reassigned",
    "appointment_rescheduled",
    "plan",
    "read_change",
    "read_sign_in",
    "sign_in_requested",
]
