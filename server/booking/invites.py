"""Invites: links from an agent that pre-select the agent and optionally more.

An invite is a row of the store (`InviteRow`: agent, subject?, meeting type?, office?,
customer e-mail?, single use, expiry, who made it, revoked?), made by `create` (the desk
and `rendezvous invite`). Its token (kind "invite") carries only the id and the expiry::

    {"i": <invite id>, "exp": <unix seconds>}

so the customer's e-mail is never readable in the link, and revoking the row ends the
link at once (TOKEN_EXPIRED, "withdrawn").

Invites made before they were stored (migration 0005) were self-contained tokens::

    {"id": <random>, "agent": <agent id>, "subject"?: ..., "meeting_type"?: ...,
     "office"?: ..., "email"?: <customer e-mail to prefill>, "single_use": bool,
     "exp": <unix seconds>}

Decision: those links were sent to customers already, so they keep working until they
expire (at most 366 days after they were made); they cannot be revoked. Nothing makes
new ones (`mint` is kept to read and test that form).

Only a single-use invite is recorded when it books (`used_invites`); any other invite
may book as often as it likes until it expires. An invite also opens subjects that are
hidden from customers (`available_for_customers = false`): those can be booked only
through an agent's invite (see `Snapshot.engine_for`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import msgspec

import availability
from server import vocabulary
from server.errors import (
    Detail,
    ExpiredToken,
    InvalidToken,
    InviteUsed,
    NotFound,
    RendezvousError,
    ValidationFailed,
)
from server.explanations import Names, service_sentence
from server.runtime import Runtime
from server.schemas import AgentRef, CustomerPrefill, InviteResponse
from server.snapshot import Snapshot
from server.store import InviteRow, Reader, Transaction, new_id
from server.tokens import TokenExpired, TokenInvalid, Tokens, expiry
from server.vocabulary import HOW, MeetingType


@dataclass(frozen=True, slots=True)
class Invite:
    id: str
    agent: str
    subject: str | None
    meeting_type: MeetingType | None
    office: str | None
    email: str | None
    single_use: bool
    expires_at: datetime
    #: A stored invite (its token carries only the id); False: a self-contained token.
    stored: bool = False

    def check(self, snapshot: Snapshot) -> None:
        """NotFound at `$.invite` when the invite names something the organisation no
        longer has (the file changed after the invite was made)."""
        if self.agent not in snapshot.agents:
            raise _gone(f'the invite\'s agent "{self.agent}" is gone')
        if self.subject is not None and self.subject not in snapshot.subjects:
            raise _gone(f'the invite\'s subject "{self.subject}" is gone')
        if self.office is not None and self.office not in snapshot.offices:
            raise _gone(f'the invite\'s office "{self.office}" is gone')


class _Payload(msgspec.Struct, frozen=True):
    id: str
    agent: str
    exp: int
    subject: str | None = None
    meeting_type: MeetingType | None = None
    office: str | None = None
    email: str | None = None
    single_use: bool = False


def token_of(tokens: Tokens, row: InviteRow) -> str:
    """The link's token of a stored invite: its id and its expiry, signed."""
    return tokens.dumps("invite", {"i": row.id}, row.expires_at)


def link_of(public_url: str, tokens: Tokens, row: InviteRow) -> str:
    return f"{public_url.rstrip('/')}/book?invite={token_of(tokens, row)}"


async def create(
    tx: Transaction,
    *,
    agent: str,
    subject: str | None = None,
    meeting_type: MeetingType | None = None,
    office: str | None = None,
    customer_email: str | None = None,
    single_use: bool = False,
    expires_at: datetime,
    created_by: str | None,
    now: datetime,
) -> InviteRow:
    """Store an invite (the caller has checked its choices); `token_of` is its link."""
    row = InviteRow(
        id=new_id(),
        agent=agent,
        subject=subject,
        meeting_type=meeting_type,
        office=office,
        customer_email=customer_email,
        single_use=single_use,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
    )
    await tx.insert_invite(row)
    return row


def mint(
    tokens: Tokens,
    *,
    agent: str,
    subject: str | None = None,
    meeting_type: str | None = None,
    office: str | None = None,
    customer_email: str | None = None,
    single_use: bool = False,
    expires_at: datetime,
) -> str:
    """A self-contained invite token, the form invites had before they were stored
    (still accepted until it expires; see the module's docstring)."""
    payload: dict[str, Any] = {"id": secrets.token_urlsafe(12), "agent": agent}
    optional = {
        "subject": subject,
        "meeting_type": meeting_type,
        "office": office,
        "email": customer_email,
    }
    payload.update({key: value for key, value in optional.items() if value is not None})
    payload["single_use"] = single_use
    return tokens.dumps("invite", payload, expires_at)


class _Stored(msgspec.Struct, frozen=True):
    i: str
    exp: int


_WITHDRAWN = "This invitation has been withdrawn."


async def verify(tokens: Tokens, reader: Reader, token: str, now: datetime) -> Invite:
    """The invite behind a token; InvalidToken (401) or ExpiredToken (410: expired or
    withdrawn) otherwise. A stored invite is read from `reader`."""
    try:
        raw = tokens.loads("invite", token, now)
    except TokenExpired as exc:
        raise ExpiredToken("This invitation has expired.") from exc
    except TokenInvalid as exc:
        raise InvalidToken("This invitation link is not valid.") from exc
    if "i" in raw:
        return await _stored(reader, raw, now)
    try:
        payload = msgspec.convert(raw, _Payload)
    except msgspec.ValidationError as exc:
        raise InvalidToken("This invitation link is not valid.") from exc
    return Invite(
        id=payload.id,
        agent=payload.agent,
        subject=payload.subject,
        meeting_type=payload.meeting_type,
        office=payload.office,
        email=payload.email,
        single_use=payload.single_use,
        expires_at=expiry(raw),
    )


async def _stored(reader: Reader, raw: dict[str, Any], now: datetime) -> Invite:
    try:
        payload = msgspec.convert(raw, _Stored)
    except msgspec.ValidationError as exc:
        raise InvalidToken("This invitation link is not valid.") from exc
    row = await reader.invite(payload.i)
    if row is None:
        raise InvalidToken("This invitation link is not valid.")
    if row.revoked_at is not None:
        raise ExpiredToken(_WITHDRAWN)
    if row.expires_at <= now:
        raise ExpiredToken("This invitation has expired.")
    return Invite(
        id=row.id,
        agent=row.agent,
        subject=row.subject,
        meeting_type=row.meeting_type,
        office=row.office,
        email=row.customer_email,
        single_use=row.single_use,
        expires_at=row.expires_at,
        stored=True,
    )


async def check_usable(tx: Transaction, invite: Invite | None) -> None:
    """Inside a booking's or a hold's transaction: a stored invite is not revoked
    (TOKEN_EXPIRED) and a single-use invite has not booked already (INVITE_USED)."""
    if invite is None:
        return
    if invite.stored:
        row = await tx.invite(invite.id)
        if row is None or row.revoked_at is not None:
            raise ExpiredToken(_WITHDRAWN)
    if invite.single_use and await tx.invite_used(invite.id):
        raise InviteUsed()


def _gone(message: str) -> NotFound:
    return NotFound(message, [Detail("$.invite", message)])


async def describe(runtime: Runtime, token: str, lang: str | None) -> InviteResponse:
    """What an invite pre-selects (GET /api/v1/invites/{token}); INVITE_USED once a
    single-use invite has booked."""
    snapshot = runtime.snapshot
    invite = await verify(runtime.tokens, runtime.store, token, runtime.now())
    invite.check(snapshot)
    if invite.single_use and await runtime.store.invite_used(invite.id):
        raise InviteUsed()
    lang = lang if lang in snapshot.languages else snapshot.default_language
    agent = snapshot.agents[invite.agent]
    return InviteResponse(
        agent=AgentRef(
            id=agent.id,
            name=agent.name,
            function=None if agent.function is None else snapshot.text(agent.function, lang),
        ),
        subject=invite.subject,
        meeting_type=invite.meeting_type,
        office=invite.office,
        customer=CustomerPrefill(email=invite.email),
        single_use=invite.single_use,
        expires_at=invite.expires_at.isoformat(),
    )


@dataclass(slots=True)
class Wanted:
    """What a query asks for (resolved ids); an invite fixes some of it."""

    subject: str | None = None
    meeting_type: str | None = None
    office: str | None = None
    agent: str | None = None


#: An invite's scope in a cache key: (agent, subject, meeting type, office).
Scope = tuple[str, str | None, str | None, str | None]


async def scope(
    snapshot: Snapshot, tokens: Tokens, reader: Reader, token: str, wanted: Wanted, now: datetime
) -> tuple[Wanted, Scope]:
    """What the invite in a query fixes, checked against what the query asks, and its
    scope (for cache keys): the listings and the slot search read invites this way.

    TOKEN_INVALID (401) or TOKEN_EXPIRED (410) at `$.query.invite`; a parameter that
    contradicts the invite is VALIDATION_FAILED at `$.query.<name>`; an invite naming
    what the organisation no longer has is NOT_FOUND at `$.query.invite`. Whether a
    single-use invite was used is the booking's business (INVITE_USED).
    """
    try:
        invite = await verify(tokens, reader, token, now)
    except RendezvousError as exc:  # TOKEN_INVALID or TOKEN_EXPIRED
        exc.details = [Detail("$.query.invite", exc.message)]
        raise
    fixed = replace(wanted)
    for name in ("subject", "meeting_type", "office", "agent"):
        value = getattr(invite, name)
        if value is None:
            continue
        asked = getattr(wanted, name)
        if asked is not None and asked != value:
            message = f'The invitation is for {name} "{value}", not "{asked}".'
            raise ValidationFailed(message, [Detail(f"$.query.{name}", message)])
        setattr(fixed, name, value)
    for name, known in (
        ("subject", snapshot.subjects),
        ("office", snapshot.offices),
        ("agent", snapshot.agents),
    ):
        value = getattr(fixed, name)
        if value is not None and value not in known:
            message = f"The {name} of this invitation no longer exists."
            raise NotFound(message, [Detail("$.query.invite", message)])
    return fixed, (invite.agent, invite.subject, invite.meeting_type, invite.office)


# -- the `rendezvous invite` command's part ----------------------------------------------

_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_EMAIL = re.compile(vocabulary.EMAIL_PATTERN)
#: Invites live at most this long.
MAX_LIFETIME = timedelta(days=366)


def parse_duration(value: str) -> timedelta:
    """ "30m", "12h", "7d", "2w"; ValueError otherwise."""
    match = _DURATION.match(value.strip())
    if match is None:
        raise ValueError(f'expected a duration such as 30m, 12h, 7d or 2w, got "{value}"')
    duration = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if duration > MAX_LIFETIME:
        raise ValueError(f"an invite lives at most {MAX_LIFETIME.days} days")
    return duration


def problems(
    snapshot: Snapshot,
    *,
    agent: str,
    subject: str | None,
    meeting_type: str | None,
    office: str | None,
    customer_email: str | None,
) -> list[str]:
    """What is wrong with an invite's choices, in words (empty when nothing is)."""
    found: list[str] = []
    agents, subjects, offices = snapshot.agents, snapshot.subjects, snapshot.offices
    if agent not in agents:
        found.append(f'--agent: no agent "{agent}" (known: {", ".join(sorted(agents))})')
    if subject is not None and subject not in subjects:
        found.append(f'--subject: no subject "{subject}" (known: {", ".join(sorted(subjects))})')
    if meeting_type is not None:
        if meeting_type not in vocabulary.MEETING_TYPES:
            found.append(
                f"--meeting-type: expected one of {', '.join(vocabulary.MEETING_TYPES)},"
                f' got "{meeting_type}"'
            )
        elif (
            subject is not None
            and subject in subjects
            and (meeting_type not in subjects[subject].meeting_types)
        ):
            found.append(f'--meeting-type: "{subject}" is not offered as {meeting_type}')
    if office is not None and office not in offices:
        found.append(f'--office: no office "{office}" (known: {", ".join(sorted(offices))})')
    if customer_email is not None and not _EMAIL.match(customer_email):
        found.append(f'--customer-email: not an e-mail address: "{customer_email}"')
    if not found:
        found += unbookable(snapshot, agent, subject, meeting_type, office)
    return found


def unbookable(
    snapshot: Snapshot,
    agent: str,
    subject: str | None,
    meeting_type: str | None,
    office: str | None,
) -> list[str]:
    """Why an invite with these (known) choices could never book anything, in words; [] when
    the agent can serve some combination they allow (`availability.why_not_served`, the
    engine's own rule; a subject hidden from customers counts, as the invite opens it).

    Of the combinations the choices allow, the reasons nearest to bookable are given
    (`availability.closest`): an agent assigned at the office but without the expertise
    is told about the expertise, not about the offices where they are not assigned."""
    engine = snapshot.engine
    names = Names(snapshot.loaded)
    if office is not None and not any(
        agent in assignment.agents for assignment in engine.offices[office].subjects.values()
    ):
        fields = names.fields(subject="", office=office, agent=agent)
        return [
            "{agent} cannot be booked through this invite: {agent} is not assigned to anything"
            " at {office} (offices.subjects.*.agents).".format(**fields)
        ]
    failures: dict[tuple[str, str, str], str] = {}
    for subject_id in [subject] if subject is not None else list(engine.subjects):
        for kind in [meeting_type] if meeting_type is not None else vocabulary.MEETING_TYPES:
            for place in [office] if office is not None else sorted(engine.offices):
                code = availability.why_not_served(engine, agent, place, subject_id, kind)
                if code is None:
                    return []
                failures[(subject_id, kind, place)] = code
    nearest = availability.closest(failures.values())
    sentences = [
        service_sentence(names, code, agent=agent, office=place, subject=s, meeting_type=kind)
        for (s, kind, place), code in failures.items()
        if code == nearest
    ]
    listed = list(dict.fromkeys(sentences))
    more = f" (and {len(listed) - 3} more)" if len(listed) > 3 else ""
    name = names.agents.get(agent, agent)
    return [
        f"{name} cannot be booked through this invite: {'; '.join(listed[:3])}{more}."
        if listed
        else f"{name} cannot be booked through this invite: nothing matches these choices."
    ]


def description(
    snapshot: Snapshot,
    *,
    agent: str,
    subject: str | None,
    meeting_type: str | None,
    office: str | None,
    customer_email: str | None,
    single_use: bool,
    expires_at: datetime,
) -> str:
    """What an invite pre-selects, for the agent who makes it (`rendezvous invite`)."""
    names = Names(snapshot.loaded)
    zone = vocabulary.time_zone(snapshot.timezone)
    expiry = expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def named(found: dict[str, str], value: str | None, otherwise: str) -> str:
        return otherwise if value is None else f"{found.get(value, value)} ({value})"

    kind = "any" if meeting_type is None else f"{meeting_type} ({HOW[meeting_type]})"
    lines = [
        f"Invite for {named(names.agents, agent, '')}",
        f"  subject:      {named(names.subjects, subject, 'any the agent serves')}",
        f"  meeting type: {kind}",
        f"  office:       {named(names.offices, office, 'any where the agent works')}",
    ]
    if customer_email is not None:
        lines.append(f"  customer:     {customer_email} (prefilled)")
    lines += [
        f"  single use:   {'yes' if single_use else 'no'}",
        f"  expires:      {expiry} ({snapshot.timezone})",
    ]
    return "\n".join(lines)


__all__ = [
    "MAX_LIFETIME",
    "Invite",
    "Scope",
    "Wanted",
    "check_usable",
    "create",
    "describe",
    "description",
    "link_of",
    "mint",
    "parse_duration",
    "problems",
    "scope",
    "token_of",
    "unbookable",
    "verify",
]
