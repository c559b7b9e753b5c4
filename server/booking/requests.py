"""What a customer asks for, checked against the organisation before anything is locked.

Everything here is pure: a request and a snapshot in, a `Target` or an error out. The
services call these checks before they open a write transaction, so a bad request
never holds the write lock that every process shares.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from server import config, vocabulary
from server.booking.invites import Invite
from server.errors import Detail, NotFound, ValidationFailed
from server.schemas import AppointmentRequest
from server.snapshot import Snapshot
from server.vocabulary import MeetingType

#: Starts outside these years (UTC) are refused: nothing is bookable there, and the far
#: ends of `datetime` overflow when converted to UTC.
FIRST_YEAR, LAST_YEAR = 1970, 2200
MAX_IDEMPOTENCY_KEY: Final = 255
IDEMPOTENCY_PATH: Final = "$.headers.Idempotency-Key"
#: Default length caps of text answers when the question sets no `max_length`.
TEXT_LIMITS: Final = {"short_text": 200, "long_text": 4000}


@dataclass(frozen=True, slots=True)
class Target:
    """What a customer asks for, checked against the organisation file."""

    subject: str
    meeting_type: MeetingType
    office: str | None
    agent: str | None  # named by the customer or fixed by an invite: a filter
    start: datetime  # UTC
    invite: Invite | None
    #: Minutes, as the slot the customer was shown; None: what the slots answer offers.
    duration: int | None = None

    @property
    def opened(self) -> str | None:
        """The subject an invite opens (hidden subjects are booked through invites)."""
        return None if self.invite is None else self.subject


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
    """The decoded request, hashed canonically: whitespace and key order do not count,
    nor the answer to a challenge (`altcha`: a retry may carry a new one)."""
    if getattr(request, "altcha", None) is not None:
        request = msgspec.structs.replace(request, altcha=None)
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
    snapshot: Snapshot,
    *,
    subject: str,
    meeting_type: MeetingType,
    office: str | None,
    agent: str | None,
    start: str,
    invite: Invite | None,
    duration: int | None = None,
) -> Target:
    """Check ids (NOT_FOUND), the start, and an invite's constraints (VALIDATION_FAILED)."""
    if invite is not None:
        invite.check(snapshot)
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
    found = snapshot.subjects.get(subject)
    if found is None:
        raise not_found("$.subject", f'no subject "{subject}"')
    if office is not None and office not in snapshot.offices:
        raise not_found("$.office", f'no office "{office}"')
    if agent is not None and agent not in snapshot.agents:
        raise not_found("$.agent", f'no agent "{agent}"')
    if meeting_type not in found.meeting_types:
        enabled = ", ".join(found.meeting_types) or "none"
        raise ValidationFailed.at(
            "$.meeting_type",
            f'meeting type "{meeting_type}" is not offered for "{subject}" (offered: {enabled})',
        )
    if office is None and meeting_type in vocabulary.NEEDS_OFFICE:
        raise ValidationFailed.at("$.office", f"an office is required for {meeting_type}")
    return Target(subject, meeting_type, office, agent, parse_start(start), invite, duration)


def customer_problems(snapshot: Snapshot, request: AppointmentRequest) -> list[Detail]:
    """What the schema cannot say about the customer, their address and their answers."""
    problems = []
    customer = request.customer
    if request.meeting_type == "PHONE" and not customer.phone:
        problems.append(Detail("$.customer.phone", "a phone number is required for PHONE"))
    if request.meeting_type == "ON_LOCATION" and request.location is None:
        problems.append(Detail("$.location", "an address is required for ON_LOCATION"))
    if request.meeting_type != "ON_LOCATION" and request.location is not None:
        problems.append(Detail("$.location", "an address is only taken for ON_LOCATION"))
    if customer.timezone is not None and not vocabulary.is_time_zone(customer.timezone):
        problems.append(Detail("$.customer.timezone", f'unknown time zone "{customer.timezone}"'))
    subject = snapshot.subjects.get(request.subject)
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


def stored_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """JSON numbers arrive as floats: keep 250000 as 250000, not 250000.0."""
    return {
        key: int(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53
        else value
        for key, value in answers.items()
    }


def language_of(snapshot: Snapshot, asked: str | None) -> str:
    """The appointment's language: the customer's if the organisation speaks it."""
    return asked if asked in snapshot.languages else snapshot.default_language


def display_zone(snapshot: Snapshot, asked: str | None, office: str | None) -> str:
    """The zone the appointment is shown in: the customer's, else the office's, else the
    organisation's."""
    if asked is not None:
        return asked
    found = None if office is None else snapshot.offices.get(office)
    return snapshot.timezone if found is None else found.timezone


def _is_empty(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _plain(bound: int | float) -> str:
    """A question's bound as people write it: 5000000, not 5e+06; 0.5 stays 0.5."""
    if isinstance(bound, int) or (bound.is_integer() and abs(bound) < 1e15):
        return str(int(bound))
    return repr(bound)


def _answer_problem(question: config.Question, value: object) -> str | None:
    if question.type == "number":
        if (
            not isinstance(value, float | int)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            return "expected a number"
        if question.min is not None and value < question.min:
            return f"expected a number >= {_plain(question.min)}"
        if question.max is not None and value > question.max:
            return f"expected a number <= {_plain(question.max)}"
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
