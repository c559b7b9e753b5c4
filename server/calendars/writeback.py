"""Appointments copied into agents' CalDAV calendars (SPEC 12, `write = true`), through
the outbox of SPEC 10.

Every change of an appointment writes, in its transaction (`server.deliveries.outbox`),
a `caldav` delivery for the agent who has it (`calendar_put`, or `calendar_remove` when
it was cancelled or declined) and, when it was given to another agent, a
`calendar_remove` for the previous one. The worker sends them with the retries of every
delivery (`send`), which makes the agent's calendar match the appointment **as it is
when the delivery is sent**, not as it was when the row was written: a row retried
after a later change, or two rows sent out of order, still leave the calendar right.
The event has the appointment's stable UID (`server.calendar.ics.event_uid`, the UID of
its invitations too), its SEQUENCE, TENTATIVE while it waits for the agent, the
customer's name and the subject as its title, and the desk link.

A write the server refuses (HTTP 4xx, a read-only calendar, a refused password) makes
the calendar broken like a failed read (`state.after_write`, one notice); a write that
works again restores it. Passing failures (no connection, 5xx) are only retried.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

from server.booking.presenters import calendar_event
from server.calendar.ics import event_status, event_uid, render_ics
from server.calendars import dav, links, notices, problems, state
from server.calendars.links import Link
from server.deliveries.outbox import Change, read_change
from server.deliveries.retries import SendFailed
from server.runtime import Runtime
from server.snapshot import Snapshot
from server.store import OCCUPYING_STATUSES, AppointmentRow, DeliveryRow

logger = logging.getLogger("rendezvous.calendars")

#: How often a write is made again when the appointment changed while it was written.
_ROUNDS = 3


def event_data(snapshot: Snapshot, row: AppointmentRow, now: datetime) -> bytes:
    """The calendar object of one appointment, as a CalDAV server stores it (RFC 4791
    4.1: one VEVENT, no METHOD)."""
    desk = f"{snapshot.public_url}/desk/appointments/{quote(row.id, safe='')}"
    event = calendar_event(snapshot, row, desk)
    customer = row.customer
    name = f"{customer.get('first_name', '')} {customer.get('last_name', '')}".strip()
    agent = snapshot.agents.get(row.agent)
    spoken = [lang for lang in (agent.languages if agent else ()) if lang in snapshot.languages]
    words = snapshot.email_templates.language(spoken[0] if spoken else snapshot.default_language)
    details = {
        words.words["customer"]: name,
        words.words["email"]: str(customer.get("email") or ""),
        words.words["phone"]: str(customer.get("phone") or ""),
    }
    lines = [f"{key}: {value}" for key, value in details.items() if value]
    event = dataclasses.replace(
        event,
        title=f"{name}: {event.title}" if name else event.title,
        description="\n".join([*lines, "", desk]),
        url=desk,
        dtstamp=now,
        status=event_status(row.status),
    )
    data = render_ics(event, "PUBLISH")
    return data.replace(b"METHOD:PUBLISH\r\n", b"")


async def send(runtime: Runtime, delivery: DeliveryRow, environ: Mapping[str, str]) -> None:
    """Make the calendar of the delivery's agent match its appointment now; raises
    SendFailed (permanent when the agent no longer has a calendar to write to)."""
    snapshot = runtime.snapshot
    change: Change = read_change(delivery.payload)
    link = snapshot.calendars.get(delivery.recipient)
    if link is None or not link.write:
        raise SendFailed(
            f"agent {delivery.recipient} has no CalDAV calendar to write to", permanent=True
        )
    try:
        access = links.access(link, environ)
    except problems.CalendarProblem as exc:
        raise SendFailed(exc.message) from None
    uid = event_uid(change.appointment.id, snapshot.public_url)
    try:
        for _ in range(_ROUNDS):
            current = await runtime.store.appointment(change.appointment.id)
            if _belongs(current, link):
                assert current is not None
                await dav.put(access, uid, event_data(snapshot, current, runtime.now()))
            else:
                await dav.remove(access, uid)
            after = await runtime.store.appointment(change.appointment.id)
            if _same(current, after):
                break
    except problems.CalendarProblem as exc:
        if not exc.transient:
            await _record(runtime, snapshot, link, exc, environ)
        raise SendFailed(exc.message) from None
    await _record(runtime, snapshot, link, None, environ)


def _belongs(row: AppointmentRow | None, link: Link) -> bool:
    return row is not None and row.agent == link.agent and row.status in OCCUPYING_STATUSES


def _same(before: AppointmentRow | None, after: AppointmentRow | None) -> bool:
    if before is None or after is None:
        return before is after
    return (before.updated_at, before.sequence, before.status, before.agent) == (
        after.updated_at,
        after.sequence,
        after.status,
        after.agent,
    )


async def _record(
    runtime: Runtime,
    snapshot: Snapshot,
    link: Link,
    problem: problems.CalendarProblem | None,
    environ: Mapping[str, str],
) -> None:
    """The write's outcome in the calendar's state, with its notice (if any)."""
    now = runtime.now()
    async with runtime.store.write() as tx:
        row = (await tx.calendars([link.agent])).get(link.agent)
        if row is None or row.link != link.fingerprint:
            if problem is not None:
                logger.warning("writing to the calendar of %s failed: %s", link.agent, problem)
            return
        new, notice = state.after_write(row, problem, now)
        if new == row:
            return
        await tx.save_calendar(new)
        if notice is not None:
            await notices.write(tx, snapshot, new, notice, notices.host_of(link, environ), now)
    if notice is not None:
        runtime.outbox_bell.set()


__all__ = ["event_data", "send"]
