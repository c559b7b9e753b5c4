"""Booking an appointment (POST /api/v1/appointments, SPEC 5).

The request is checked first (ids, start, invite, customer, answers, tokens: all pure),
then one write transaction reads what occupies the candidate agents, asks the engine,
and writes the appointment, the hold's and the invite's use, and the `Idempotency-Key`.
The transaction is `BEGIN IMMEDIATE` (`Store.write`), so what it read is still true when
it writes: two customers racing for the last slot get one 201 and one 409, with any
number of server processes. The answer is rendered after the commit, from the row.

Decisions:

- An `Idempotency-Key` remembers the appointment it booked (for 24 hours): a retry
  with the same request gets that appointment again, 201, rendered as it is now (a
  retry is answered before anything else is checked: its hold is used by then and its
  tokens may have expired since). Only a booking is remembered: an error wrote
  nothing, so a retry is checked afresh (a 409 may become a 201 once the time is free).
  A key's request is compared by its decoded body (`request_hash`), so the same JSON
  spelled differently is the same request.
- A hold names its agent: booking with it prefers that agent. An agent named by the
  customer or fixed by an invite is a filter, not a preference.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from availability.model import Organisation
from server.booking import bots, claims, invites
from server.booking.holds import held, with_hold
from server.booking.offer import offer, pool, status_of
from server.booking.requests import (
    IDEMPOTENCY_PATH,
    Target,
    customer_problems,
    display_zone,
    language_of,
    stored_answers,
    target_of,
)
from server.deliveries import outbox
from server.errors import NoAvailability, ValidationFailed
from server.runtime import Runtime
from server.schemas import AppointmentRequest
from server.store import AppointmentRow, Reader, new_id

#: Remembered `Idempotency-Key`s are forgotten after this long.
IDEMPOTENCY_TTL = timedelta(hours=24)


async def book(
    runtime: Runtime,
    request: AppointmentRequest,
    *,
    idempotency_key: str | None,
    digest: str,
    by_agent: bool = False,
    client: str | None = None,
) -> AppointmentRow:
    """Book an appointment; with `idempotency_key`, the one booked under it before.

    `by_agent`: the request's agent books it on the desk for a customer (SPEC 11,
    outbound): a subject hidden from customers is open to them (as through their own
    invite), and the appointment is confirmed at once (the agent chose the time).
    `client` (`bots.client_of`): who asks; a booking may need the answer to a challenge
    (docs/bots.md), and a filled honeypot (`website`) is refused quietly."""
    snapshot = runtime.snapshot
    now = runtime.now()
    if idempotency_key is not None:
        earlier = await _booked_before(runtime.store, idempotency_key, digest, now)
        if earlier is not None:
            return earlier
    bots.check_honeypot(request.website)
    proof = bots.proof_of(runtime.tokens, request.altcha, now)
    invite = (
        None
        if request.invite is None
        else await invites.verify(runtime.tokens, runtime.store, request.invite, now)
    )
    target = target_of(
        snapshot,
        subject=request.subject,
        meeting_type=request.meeting_type,
        office=request.office,
        agent=request.agent,
        start=request.start,
        invite=invite,
        duration=request.duration,
    )
    problems = customer_problems(snapshot, request)
    if problems:
        raise ValidationFailed(problems[0].message, problems)
    hold_id = None if request.hold is None else claims.hold_id(runtime.tokens, request.hold, now)
    engine = snapshot.engine_for(target.subject if by_agent else target.opened)
    agents = pool(snapshot, target)
    template = snapshot.settings.video_url_template
    if hold_id is None:
        earlier = await _taken_already(runtime, engine, agents, target, idempotency_key, digest)
        if earlier is not None:
            return earlier
    async with runtime.store.write() as tx:
        if idempotency_key is not None:
            # A retry may have booked since the look above. The key first: on PostgreSQL
            # this waits for a concurrent retry while holding no other lock
            # (docs/architecture.md). Then forgotten keys go, so that an expired one can
            # be saved again below.
            earlier = await _booked_before(tx, idempotency_key, digest, now)
            if earlier is not None:
                return earlier
            await tx.delete_idempotency_keys(now - IDEMPOTENCY_TTL)
        hold = None if hold_id is None else await held(tx, hold_id, target, now)
        if not by_agent:
            await bots.guard(
                tx, snapshot.settings.bots, client, proof, now, booking=True, held=hold is not None
            )
        await invites.check_usable(tx, invite)
        chosen = await offer(
            tx,
            engine,
            agents,
            with_hold(target, hold),
            now,
            preferred=None if hold is None else hold.agent,
            exclude_hold=hold,
            calendars=snapshot.calendar_policy,
        )
        id = new_id()
        row = AppointmentRow(
            id=id,
            status="confirmed" if by_agent else status_of(chosen),
            sequence=0,
            subject=target.subject,
            meeting_type=request.meeting_type,
            office=chosen.office,
            agent=chosen.agent,
            start=chosen.start,
            end=chosen.end,
            trailing_buffer=chosen.rule.trailing_buffer,
            timezone=display_zone(snapshot, request.customer.timezone, chosen.office),
            language=language_of(snapshot, request.customer.language),
            customer=msgspec.to_builtins(request.customer),
            location=None if request.location is None else msgspec.to_builtins(request.location),
            answers=stored_answers(request.answers),
            metadata=dict(request.metadata),
            video_url=template.format(appointment_id=id)
            if template and request.meeting_type == "VIDEO"
            else None,
            invite_id=None if invite is None else invite.id,
            created_at=now,
            updated_at=now,
        )
        await tx.insert_appointment(row)
        if hold is not None:
            await tx.use_hold(hold.id, id)
        if invite is not None and invite.single_use:
            await tx.use_invite(invite.id, id, now)
        if idempotency_key is not None:
            await tx.save_idempotency_key(idempotency_key, digest, id, now)
        await outbox.appointment_created(tx, snapshot, row)
    runtime.outbox_bell.set()
    return row


async def _taken_already(
    runtime: Runtime,
    engine: Organisation,
    agents: tuple[str, ...],
    target: Target,
    idempotency_key: str | None,
    digest: str,
) -> AppointmentRow | None:
    """Refuse a start that is taken in the last committed state, without the write lock
    (docs/architecture.md, "Refusals without the write lock"): APPOINTMENT_NO_AVAILABILITY
    as the transaction would have said, unless a retry of this request booked it
    meanwhile (then that appointment). A free start is checked again in the transaction,
    which alone books."""
    now = runtime.now()
    try:
        await offer(
            runtime.store, engine, agents, target, now, calendars=runtime.snapshot.calendar_policy
        )
    except NoAvailability:
        if idempotency_key is not None:
            earlier = await _booked_before(runtime.store, idempotency_key, digest, now)
            if earlier is not None:
                return earlier
        raise
    return None


async def _booked_before(
    reader: Reader, key: str, digest: str, now: datetime
) -> AppointmentRow | None:
    """The appointment booked under `key` in the last `IDEMPOTENCY_TTL`, if any; a key
    used for another request is VALIDATION_FAILED."""
    earlier = await reader.idempotency_key(key, now - IDEMPOTENCY_TTL)
    if earlier is None:
        return None
    if earlier.request_hash != digest:
        raise ValidationFailed.at(IDEMPOTENCY_PATH, "this key was already used for another request")
    return await reader.appointment(earlier.appointment_id)
