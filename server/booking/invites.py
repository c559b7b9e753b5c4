"""Invites: signed links from an agent that pre-select the agent and optionally more.

An invite token (kind "invite") carries the payload::

    {"id": <random>, "agent": <agent id>, "subject"?: ..., "meeting_type"?: ...,
     "office"?: ..., "email"?: <customer e-mail to prefill>, "single_use": bool,
     "exp": <unix seconds>}

Only a single-use invite is recorded when it books (`used_invites`); any other invite
may book as often as it likes until it expires. An invite also opens subjects that are
hidden from customers (`available_for_customers = false`): those can be booked only
through an agent's invite (see `open_subject`).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from availability import model
from server import config
from server.errors import Detail, ExpiredToken, InvalidToken, NotFound
from server.tokens import TokenExpired, TokenInvalid, Tokens, expiry


@dataclass(frozen=True, slots=True)
class Invite:
    id: str
    agent: str
    subject: str | None
    meeting_type: str | None
    office: str | None
    email: str | None
    single_use: bool
    expires_at: datetime


class _Payload(msgspec.Struct, frozen=True):
    id: str
    agent: str
    exp: int
    subject: str | None = None
    meeting_type: str | None = None
    office: str | None = None
    email: str | None = None
    single_use: bool = False


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
    """A signed invite token; the caller checks the ids against the organisation."""
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


def verify(tokens: Tokens, token: str, now: datetime) -> Invite:
    """The invite behind a token; InvalidToken (401) or ExpiredToken (410) otherwise."""
    try:
        raw = tokens.loads("invite", token, now)
    except TokenExpired as exc:
        raise ExpiredToken("This invitation has expired.") from exc
    except TokenInvalid as exc:
        raise InvalidToken("This invitation link is not valid.") from exc
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


def check(invite: Invite, organisation: config.OrganisationFile) -> None:
    """NotFound at `$.invite` when the invite names something the organisation no longer has
    (the file changed after the invite was made)."""
    if invite.agent not in {agent.id for agent in organisation.agents}:
        raise _gone(f'the invite\'s agent "{invite.agent}" is gone')
    if invite.subject is not None and invite.subject not in {s.id for s in organisation.subjects}:
        raise _gone(f'the invite\'s subject "{invite.subject}" is gone')
    if invite.office is not None and invite.office not in {o.id for o in organisation.offices}:
        raise _gone(f'the invite\'s office "{invite.office}" is gone')


def _gone(message: str) -> NotFound:
    return NotFound(message, [Detail("$.invite", message)])


def open_subject(engine: model.Organisation, subject: str) -> model.Organisation:
    """The engine's organisation with `subject` bookable by customers (SPEC 4, condition 1).

    Used for bookings through an invite: a hidden subject is one that only an agent's
    invite can book.
    """
    found = engine.subjects.get(subject)
    if found is None or found.available_for_customers:
        return engine
    subjects = dict(engine.subjects)
    subjects[subject] = dataclasses.replace(found, available_for_customers=True)
    return dataclasses.replace(engine, subjects=subjects)


# -- the `rendezvous invite` command's part ----------------------------------------------

_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
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
    organisation: config.OrganisationFile,
    *,
    agent: str,
    subject: str | None,
    meeting_type: str | None,
    office: str | None,
    customer_email: str | None,
) -> list[str]:
    """What is wrong with an invite's choices, in words (empty when nothing is)."""
    found: list[str] = []
    agents = {item.id: item for item in organisation.agents}
    subjects = {item.id: item for item in organisation.subjects}
    offices = {item.id for item in organisation.offices}
    if agent not in agents:
        found.append(f'--agent: no agent "{agent}" (known: {", ".join(sorted(agents))})')
    if subject is not None and subject not in subjects:
        found.append(f'--subject: no subject "{subject}" (known: {", ".join(sorted(subjects))})')
    if meeting_type is not None:
        if meeting_type not in model.MEETING_TYPES:
            found.append(
                f"--meeting-type: expected one of {', '.join(model.MEETING_TYPES)},"
                f' got "{meeting_type}"'
            )
        elif subject in subjects and meeting_type not in subjects[subject].meeting_types:
            found.append(f'--meeting-type: "{subject}" is not offered as {meeting_type}')
    if office is not None and office not in offices:
        found.append(f'--office: no office "{office}" (known: {", ".join(sorted(offices))})')
    if customer_email is not None and not _EMAIL.match(customer_email):
        found.append(f'--customer-email: not an e-mail address: "{customer_email}"')
    return found


__all__ = [
    "MAX_LIFETIME",
    "Invite",
    "check",
    "mint",
    "open_subject",
    "parse_duration",
    "problems",
    "verify",
]
