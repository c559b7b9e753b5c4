"""Booking: holds, appointments, cancel and reschedule (SPEC 4 and 5).

Every operation reads as checks → one write transaction → answer. The checks are pure
(the request against the organisation file); a booking runs them inside its
transaction, after looking for an answer stored under its `Idempotency-Key`. The
transaction is `BEGIN IMMEDIATE` (`Store.write`), so what it reads — busy time, holds,
used invites, stored answers — is still true when it writes. That is what gives two
customers racing for the last slot one 201 and one 409, with any number of server
processes.

Decisions:

- Only a 201 is remembered under an `Idempotency-Key`: an error wrote nothing, so a
  retry is checked afresh (a 409 may become a 201 once the time is free again).
- A hold names its agent: booking with it prefers that agent, and the hold itself
  is left out of the busy time. An agent named by the customer or fixed by an invite
  is a filter, not a preference.
- A reschedule keeps the office for OFFICE and ON_LOCATION; for VIDEO and PHONE any
  office may serve the new time. It keeps the agent if free, else another candidate;
  an appointment booked through an invite stays with its agent.
- A manage link lives as long as its appointment: until `manage_days_after` days after
  the appointment's current end, whatever the `exp` signed into the token (a
  reschedule moves the end, and the customer keeps the link they were first sent).
- An `Idempotency-Key`'s request is compared by its decoded body (`request_hash`), so
  the same JSON spelled differently is the same request.
"""

from __future__ import annotations

import hashlib
import math
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

import availability
from availability import model
from server import config
from server.booking import invites, presenters
from server.booking.occupancy import load_busy
from server.errors import (
    Detail,
    ExpiredToken,
    HoldExpired,
    InvalidToken,
    InviteUsed,
    NoAvailability,
    NotFound,
    ValidationFailed,
)
from server.runtime import Runtime
from server.schemas import (
    AppointmentRequest,
    HoldRequest,
    HoldResponse,
    RescheduleRequest,
)
from server.store import AppointmentRow, AppointmentStatus, HoldRow, Transaction, new_id
from server.tokens import TokenExpired, TokenInvalid, Tokens

#: Busy time is loaded this far around a start: `choose_agent` counts the appointments
#: of the local week around it (a week, plus a day either side for any UTC offset).
BUSY_WINDOW = timedelta(days=9)
#: Remembered answers to `Idempotency-Key` requests are forgotten after this long.
IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY = 255
IDEMPOTENCY_PATH = "$.headers.Idempotency-Key"
#: Starts outside these years (UTC) are refused: nothing is bookable there, and the far
#: ends of `datetime` overflow when converted to UTC.
FIRST_YEAR, LAST_YEAR = 1970, 2200
REMOTE = availability.REMOTE_MEETING_TYPES
#: Default length caps of text answers when the question sets no `max_length`.
TEXT_LIMITS = {"short_text": 200, "long_text": 4000}


@dataclass(frozen=True, slots=True)
class Target:
    """What a customer asks for, checked against the organisation file."""

    subject: str
    meeting_type: str
    office: str | None
    agent: str | None  # named by the customer or fixed by an invite: a filter
    start: datetime  # UTC
    invite: invites.Invite | None


@dataclass(frozen=True, slots=True)
class Answer:
    """The status and exact body bytes of a booking's answer (kept for idempotent retries)."""

    status_code: int
    body: bytes


# -- checks ---------------------------------------------------------------------------


def not_found(path: str, message: str) -> NotFound:
    return NotFound(message, [Detail(path, message)])


def parse_start(value: str, path: str = "$.start") -> datetime:
    """An ISO 8601 date and time with an offset, as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationFailed.at(
            path,
            f'expected an ISO 8601 time with an offset such as "2026-12-01T10:00:00+01:00"'
            f', got "{value}"',
        )
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
        utc = None
    if utc is None or not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise ValidationFailed.at(
            path, f'expected a time in the years {FIRST_YEAR} to {LAST_YEAR}, got "{value}"'
        )
    return utc


def request_hash(request: msgspec.Struct) -> str:
    """The decoded request, hashed canonically: whitespace and key order do not count."""
    return hashlib.sha256(msgspec.json.encode(request, order="sorted")).hexdigest()


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.isascii():
        raise ValidationFailed.at(
            IDEMPOTENCY_PATH, f"expected 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        )
    return key


def target_of(
    org: config.LoadedOrganisation,
    *,
    subject: str,
    meeting_type: str,
    office: str | None,
    agent: str | None,
    start: str,
    invite: invites.Invite | None,
) -> Target:
    """Check ids (NOT_FOUND), the start, and an invite's constraints (VALIDATION_FAILED)."""
    root = org.organisation
    if invite is not None:
        invites.check(invite, root)
        for path, asked, fixed in (
            ("$.subject", subject, invite.subject),
            ("$.meeting_type", meeting_type, invite.meeting_type),
            ("$.office", office, invite.office),
            ("$.agent", agent, invite.agent),
        ):
            if fixed is not None and asked is not None and asked != fixed:
                raise ValidationFailed.at(path, f'the invite is for "{fixed}", not "{asked}"')
        office = office or invite.office
        agent = invite.agent
    subjects = {item.id: item for item in root.subjects}
    found = subjects.get(subject)
    if found is None:
        raise not_found("$.subject", f'no subject "{subject}"')
    if office is not None and office not in {item.id for item in root.offices}:
        raise not_found("$.office", f'no office "{office}"')
    if agent is not None and agent not in {item.id for item in root.agents}:
        raise not_found("$.agent", f'no agent "{agent}"')
    if meeting_type not in found.meeting_types:
        enabled = ", ".join(found.meeting_types) or "none"
        raise ValidationFailed.at(
            "$.meeting_type",
            f'meeting type "{meeting_type}" is not offered for "{subject}" (offered: {enabled})',
        )
    if office is None and meeting_type not in REMOTE:
        raise ValidationFailed.at("$.office", f"an office is required for {meeting_type}")
    return Target(subject, meeting_type, office, agent, parse_start(start), invite)


def customer_problems(org: config.OrganisationFile, request: AppointmentRequest) -> list[Detail]:
    """What the schema cannot say about the customer, their address and their answers."""
    problems = []
    customer = request.customer
    if request.meeting_type == "PHONE" and not customer.phone:
        problems.append(Detail("$.customer.phone", "a phone number is required for PHONE"))
    if request.meeting_type == "ON_LOCATION" and request.location is None:
        problems.append(Detail("$.location", "an address is required for ON_LOCATION"))
    if request.meeting_type != "ON_LOCATION" and request.location is not None:
        problems.append(Detail("$.location", "an address is only taken for ON_LOCATION"))
    if customer.timezone is not None and not _is_time_zone(customer.timezone):
        problems.append(Detail("$.customer.timezone", f'unknown time zone "{customer.timezone}"'))
    subject = next((item for item in org.subjects if item.id == request.subject), None)
    if subject is not None:
        problems += answer_problems(subject.questions, request.answers)
    return problems


def answer_problems(
    questions: Iterable[config.Question], answers: Mapping[str, Any]
) -> list[Detail]:
    """Answers checked against the subject's questions, each problem at `$.answers.<id>`."""
    problems = []
    by_id = {question.id: question for question in questions}
    for key in answers:
        if key not in by_id:
            problems.append(Detail(f"$.answers.{key}", f'no question "{key}" for this subject'))
    for question in by_id.values():
        path = f"$.answers.{question.id}"
        value = answers.get(question.id)
        if _is_empty(value):
            if question.required:
                problems.append(Detail(path, "an answer is required"))
            continue
        message = _answer_problem(question, value)
        if message is not None:
            problems.append(Detail(path, message))
    return problems


def _is_empty(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _answer_problem(question: config.Question, value: object) -> str | None:
    if question.type == "number":
        if (
            not isinstance(value, float | int)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            return "expected a number"
        if question.min is not None and value < question.min:
            return f"expected a number >= {question.min:g}"
        if question.max is not None and value > question.max:
            return f"expected a number <= {question.max:g}"
        return None
    options = [option.id for option in question.options or ()]
    if question.type == "select":
        if not isinstance(value, str) or value not in options:
            return f"expected one of {', '.join(options)}"
        return None
    if question.type == "multi_select":
        if not isinstance(value, list) or any(item not in options for item in value):
            return f"expected a list of some of {', '.join(options)}"
        if len(set(value)) != len(value):
            return "an option is chosen twice"
        return None
    if not isinstance(value, str):
        return "expected text"
    limit = question.max_length or TEXT_LIMITS[question.type]
    if len(value) > limit:
        return f"expected at most {limit} characters"
    return None


def _stored_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """JSON numbers arrive as floats: keep 250000 as 250000, not 250000.0."""
    return {
        key: int(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53
        else value
        for key, value in answers.items()
    }


def _is_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _hold_id(tokens: Tokens, token: str, now: datetime) -> str:
    """The hold id in a hold token; a hold token's expiry is the hold's."""
    try:
        payload = tokens.loads("hold", token, now)
    except TokenExpired as exc:
        raise HoldExpired() from exc
    except TokenInvalid as exc:
        raise InvalidToken("This reservation is not valid.") from exc
    hold_id = payload.get("h")
    if not isinstance(hold_id, str):
        raise InvalidToken("This reservation is not valid.")
    return hold_id


def manage_claim(tokens: Tokens, token: str, now: datetime) -> tuple[str, bool]:
    """The appointment id in a manage token (401 when tampered), and whether the token is
    past its own `exp`: `managed` decides, from the appointment, whether it still works."""
    try:
        payload, expired = tokens.loads_expired_ok("manage", token, now)
    except TokenInvalid as exc:
        raise InvalidToken() from exc
    found = payload.get("a")
    if not isinstance(found, str):
        raise InvalidToken()
    return found, expired


def managed(
    org: config.LoadedOrganisation, row: AppointmentRow | None, expired: bool, now: datetime
) -> AppointmentRow:
    """The appointment a manage link names, while the link works: until
    `manage_days_after` days after the appointment's current end (410), so a link sent
    before a reschedule lives as long as the moved appointment. 404 if it is gone."""
    if row is None:
        if expired:
            raise ExpiredToken()
        raise NotFound("This appointment does not exist (any more).")
    if now >= presenters.manage_until(org, row):
        raise ExpiredToken()
    return row


def _engine(org: config.LoadedOrganisation, target: Target) -> model.Organisation:
    engine = org.engine
    if target.invite is not None:
        engine = invites.open_subject(engine, target.subject)
    return engine


def _pool(engine: model.Organisation, target: Target) -> list[str]:
    """Agents who could serve the target: whose busy time the transaction reads."""
    if target.agent is not None:
        return [target.agent]
    offices = (
        [engine.offices[target.office]] if target.office is not None else engine.offices.values()
    )
    found: set[str] = set()
    for office in offices:
        assignment = office.subjects.get(target.subject)
        if assignment is not None:
            found.update(assignment.agents)
    return sorted(found)


def _status(candidate: availability.Candidate) -> AppointmentStatus:
    return "requested" if candidate.confirm_manually else "confirmed"


def _language(org: config.OrganisationFile, asked: str | None) -> str:
    languages = org.organisation.languages
    return asked if asked in languages else languages[0]


def _display_zone(org: config.OrganisationFile, asked: str | None, office: str | None) -> str:
    if asked is not None:
        return asked
    for item in org.offices:
        if item.id == office:
            return item.timezone
    return org.organisation.timezone


# -- the transaction's part -----------------------------------------------------------


async def _offer(
    tx: Transaction,
    engine: model.Organisation,
    target: Target,
    now: datetime,
    *,
    preferred: str | None = None,
    exclude_hold: HoldRow | None = None,
    exclude_appointment: AppointmentRow | None = None,
) -> availability.Candidate:
    """The candidate who gets `target` now, read inside the transaction; 409 if none."""
    busy = await load_busy(
        tx,
        _pool(engine, target),
        target.start - BUSY_WINDOW,
        target.start + BUSY_WINDOW,
        now,
        exclude_hold=None
        if exclude_hold is None
        else (exclude_hold.agent, exclude_hold.start, exclude_hold.end),
        exclude_appointment=None
        if exclude_appointment is None
        else (exclude_appointment.agent, exclude_appointment.start, exclude_appointment.end),
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
    )
    if not options:
        raise NoAvailability()
    return availability.choose_agent(engine, busy, options, preferred=preferred)


async def _held(tx: Transaction, hold_id: str, target: Target, now: datetime) -> HoldRow:
    """The customer's own hold: live, unused, and for what is being booked."""
    hold = await tx.hold(hold_id)
    if hold is None or hold.used_by is not None or hold.expires_at <= now:
        raise HoldExpired()
    if (
        hold.subject != target.subject
        or hold.meeting_type != target.meeting_type
        or hold.start != target.start
        or (target.office is not None and hold.office != target.office)
        or (target.agent is not None and hold.agent != target.agent)
    ):
        raise ValidationFailed.at("$.hold", "the reservation is for another time or choice")
    return hold


async def _check_invite_unused(tx: Transaction, invite: invites.Invite | None) -> None:
    if invite is not None and invite.single_use and await tx.invite_used(invite.id):
        raise InviteUsed()


# -- operations -----------------------------------------------------------------------


async def place_hold(runtime: Runtime, request: HoldRequest) -> HoldResponse:
    """Reserve a start for `organisation.hold_minutes` while the customer fills in the form."""
    org = runtime.organisation
    now = runtime.now()
    invite = None if request.invite is None else invites.verify(runtime.tokens, request.invite, now)
    target = target_of(
        org,
        subject=request.subject,
        meeting_type=request.meeting_type,
        office=request.office,
        agent=request.agent,
        start=request.start,
        invite=invite,
    )
    expires_at = now + timedelta(minutes=org.organisation.organisation.hold_minutes)
    async with runtime.store.write() as tx:
        await _check_invite_unused(tx, invite)
        await tx.delete_expired_holds(now)
        chosen = await _offer(tx, _engine(org, target), target, now)
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
        hold_id = _hold_id(runtime.tokens, token, runtime.now())
    except HoldExpired:
        return
    async with runtime.store.write() as tx:
        await tx.release_hold(hold_id)


async def book(
    runtime: Runtime, request: AppointmentRequest, *, idempotency_key: str | None, digest: str
) -> Answer:
    """Book an appointment; the answer's body is kept for retries with the same key.

    A retry is answered from the stored answer before anything else is checked: its hold
    is used by then and its tokens may have expired since.
    """
    org = runtime.organisation
    now = runtime.now()
    root = org.organisation
    async with runtime.store.write() as tx:
        if idempotency_key is not None:
            # Forgotten first, so that a key older than the TTL is absent at lookup (and
            # its row is out of the way of the answer saved under it below).
            await tx.delete_idempotency_keys(now - IDEMPOTENCY_TTL)
            earlier = await tx.idempotent_response(idempotency_key)
            if earlier is not None:
                if earlier.request_hash != digest:
                    raise ValidationFailed.at(
                        IDEMPOTENCY_PATH, "this key was already used for another request"
                    )
                return Answer(earlier.status_code, earlier.response_body)
        invite = (
            None if request.invite is None else invites.verify(runtime.tokens, request.invite, now)
        )
        target = target_of(
            org,
            subject=request.subject,
            meeting_type=request.meeting_type,
            office=request.office,
            agent=request.agent,
            start=request.start,
            invite=invite,
        )
        problems = customer_problems(root, request)
        if problems:
            raise ValidationFailed(problems[0].message, problems)
        hold_id = None if request.hold is None else _hold_id(runtime.tokens, request.hold, now)
        engine = _engine(org, target)
        hold = None if hold_id is None else await _held(tx, hold_id, target, now)
        await _check_invite_unused(tx, invite)
        chosen = await _offer(
            tx,
            engine,
            target,
            now,
            preferred=None if hold is None else hold.agent,
            exclude_hold=hold,
        )
        id = new_id()
        template = root.organisation.video_url_template
        row = AppointmentRow(
            id=id,
            status=_status(chosen),
            sequence=0,
            subject=target.subject,
            meeting_type=target.meeting_type,
            office=chosen.office,
            agent=chosen.agent,
            start=chosen.start,
            end=chosen.end,
            trailing_buffer=chosen.rule.trailing_buffer,
            timezone=_display_zone(root, request.customer.timezone, chosen.office),
            language=_language(root, request.customer.language),
            customer=msgspec.to_builtins(request.customer),
            location=None if request.location is None else msgspec.to_builtins(request.location),
            answers=_stored_answers(request.answers),
            metadata=dict(request.metadata),
            video_url=template.format(appointment_id=id)
            if template and target.meeting_type == "VIDEO"
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
        body = presenters.encode(presenters.appointment_response(org, runtime.tokens, row))
        if idempotency_key is not None:
            await tx.save_idempotent_response(idempotency_key, digest, 201, body, now)
    return Answer(201, body)


async def appointment_of(runtime: Runtime, token: str) -> AppointmentRow:
    """The appointment behind a manage token."""
    now = runtime.now()
    id, expired = manage_claim(runtime.tokens, token, now)
    return managed(runtime.organisation, await runtime.store.appointment(id), expired, now)


async def movable(runtime: Runtime, token: str) -> tuple[AppointmentRow, Target]:
    """The appointment behind a manage token, and where `reschedule` may move it: the
    target's start is the current one (the caller asks for others)."""
    row = await appointment_of(runtime, token)
    _check_movable(row)
    return row, _reschedule_target(runtime.organisation, row, row.start)


async def cancel(runtime: Runtime, token: str) -> AppointmentRow:
    """Cancel; the time is free at once. Cancelling twice changes nothing."""
    now = runtime.now()
    id, expired = manage_claim(runtime.tokens, token, now)
    async with runtime.store.write() as tx:
        row = managed(runtime.organisation, await tx.appointment(id), expired, now)
        if row.status in ("cancelled", "declined"):
            return row
        await tx.update_appointment(
            id, updated_at=now, status="cancelled", sequence=row.sequence + 1
        )
        changed = await tx.appointment(id)
    assert changed is not None
    return changed


async def reschedule(runtime: Runtime, token: str, request: RescheduleRequest) -> AppointmentRow:
    """Move an appointment to a new start, checked in one transaction; 409 changes nothing."""
    org = runtime.organisation
    now = runtime.now()
    id, expired = manage_claim(runtime.tokens, token, now)
    start = parse_start(request.start)
    hold_id = None if request.hold is None else _hold_id(runtime.tokens, request.hold, now)
    async with runtime.store.write() as tx:
        row = managed(org, await tx.appointment(id), expired, now)
        _check_movable(row)
        target = _reschedule_target(org, row, start)
        hold = None if hold_id is None else await _held(tx, hold_id, target, now)
        engine = org.engine
        if row.invite_id is not None:
            engine = invites.open_subject(engine, row.subject)
        chosen = await _offer(
            tx,
            engine,
            target,
            now,
            preferred=row.agent if hold is None else hold.agent,
            exclude_hold=hold,
            exclude_appointment=row,
        )
        await tx.update_appointment(
            id,
            updated_at=now,
            status=_status(chosen),
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
    return changed


def _check_movable(row: AppointmentRow) -> None:
    if row.status in ("cancelled", "declined"):
        raise ValidationFailed.at("$", f"a {row.status} appointment cannot be rescheduled")


def _reschedule_target(
    org: config.LoadedOrganisation, row: AppointmentRow, start: datetime
) -> Target:
    if row.subject not in org.engine.subjects or (
        row.office is not None and row.office not in org.engine.offices
    ):
        raise NoAvailability("This appointment can no longer be moved online.")
    keep_office = row.meeting_type not in REMOTE
    return Target(
        subject=row.subject,
        meeting_type=row.meeting_type,
        office=row.office if keep_office else None,
        agent=row.agent if row.invite_id is not None and row.agent in org.engine.agents else None,
        start=start,
        invite=None,
    )


__all__ = [
    "Answer",
    "Target",
    "answer_problems",
    "appointment_of",
    "book",
    "cancel",
    "check_idempotency_key",
    "customer_problems",
    "manage_claim",
    "managed",
    "movable",
    "parse_start",
    "place_hold",
    "release_hold",
    "request_hash",
    "reschedule",
    "target_of",
]
