"""Holds: a start reserved for `organisation.hold_minutes` while the customer types.

A hold names its agent: booking with it prefers that agent, and the hold itself is
left out of the busy time it is booked against.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from server.booking import bots, claims, invites
from server.booking.offer import offer, pool
from server.booking.requests import Target, target_of
from server.errors import HoldExpired, ValidationFailed
from server.runtime import Runtime
from server.schemas import HoldRequest, HoldResponse
from server.store import HoldRow, Transaction, new_id


async def place_hold(
    runtime: Runtime, request: HoldRequest, *, client: str | None = None
) -> HoldResponse:
    """Reserve a start while the customer fills in the form (POST /api/v1/holds).

    `client` (`bots.client_of`): who asks. One client keeps at most
    `organisation.bots.holds_per_client` live holds: taking one more releases its
    oldest, in the same transaction (so a refused hold releases nothing). Holds may need
    the answer to a challenge (`bots.guard`; docs/bots.md)."""
    snapshot = runtime.snapshot
    now = runtime.now()
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
    expires_at = now + timedelta(minutes=snapshot.settings.hold_minutes)
    engine = snapshot.engine_for(target.opened)
    agents = pool(snapshot, target)
    async with runtime.store.write() as tx:
        await invites.check_usable(tx, invite)
        await tx.delete_expired_holds(now)
        await bots.guard(tx, snapshot.settings.bots, client, proof, now)
        if client is not None:
            keep = snapshot.settings.bots.holds_per_client - 1
            await tx.release_client_holds(client, now, keep)
        chosen = await offer(tx, engine, agents, target, now, calendars=snapshot.calendar_policy)
        hold = HoldRow(
            id=new_id(),
            agent=chosen.agent,
            subject=target.subject,
            meeting_type=target.meeting_type,
            office=chosen.office,
            start=chosen.start,
            end=chosen.end,
            trailing_buffer=chosen.rule.trailing_buffer,
            expires_at=expires_at,
            client=client,
        )
        await tx.insert_hold(hold)
    token = runtime.tokens.dumps("hold", {"h": hold.id}, expires_at)
    return HoldResponse(hold=token, expires_at=expires_at.isoformat())


async def release_hold(runtime: Runtime, token: str) -> None:
    """Give a held time back at once (DELETE /api/v1/holds/{token}, an extension of SPEC 5).

    Idempotent: an unknown, released or expired hold has nothing left to give back, and
    an expired token (its expiry is the hold's) is not an error. A hold used by a booking
    is kept: the appointment stands. Only a tampered token is refused (TOKEN_INVALID).
    """
    try:
        hold_id = claims.hold_id(runtime.tokens, token, runtime.now())
    except HoldExpired:
        return
    async with runtime.store.write() as tx:
        await tx.release_hold(hold_id)


async def held(tx: Transaction, hold_id: str, target: Target, now: datetime) -> HoldRow:
    """The customer's own hold, read in the booking's transaction: live, unused, and for
    what is being booked (HOLD_EXPIRED, or VALIDATION_FAILED for another choice, a
    duration other than the target's included)."""
    hold = await tx.hold(hold_id)
    if hold is None or hold.used_by is not None or hold.expires_at <= now:
        raise HoldExpired()
    if (
        hold.subject != target.subject
        or hold.meeting_type != target.meeting_type
        or hold.start != target.start
        or (target.office is not None and hold.office != target.office)
        or (target.agent is not None and hold.agent != target.agent)
        or (target.duration is not None and hold_duration(hold) != target.duration)
    ):
        raise ValidationFailed.at("$.hold", "the reservation is for another time or choice")
    return hold


def hold_duration(hold: HoldRow) -> int:
    """The held slot's length in minutes: what booking with the hold gives."""
    return (hold.end - hold.start) // timedelta(minutes=1)


def with_hold(target: Target, hold: HoldRow | None) -> Target:
    """The target of a booking with `hold`: the held duration, when the request left the
    duration out (what the customer was shown when they held it)."""
    if hold is None or target.duration is not None:
        return target
    return replace(target, duration=hold_duration(hold))
