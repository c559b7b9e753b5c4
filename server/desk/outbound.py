"""Outbound appointments (SPEC 11, the seed's "outgoing"): the agent picks what, how,
where and a free time of their own, enters the customer's details, and books. The
booking is the customer's booking (`server.booking.appointments.book`, the same checks
and the same one transaction), made with `by_agent`: a hidden subject is open to the
agent, and the appointment is confirmed at once. The customer gets the confirmation
with the manage link and the invitation, as if they had booked.

The form carries an idempotency key made when it was shown, so posting it twice (a
double click, the back button) books once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from server import config
from server.booking import appointments
from server.booking.requests import request_hash
from server.desk.forms import Form
from server.desk.problems import from_error
from server.desk.sessions import Viewer
from server.desk.timetable import office_choices
from server.errors import RendezvousError
from server.runtime import Runtime
from server.schemas import AppointmentRequest
from server.snapshot import Snapshot
from server.store import AppointmentRow, new_id
from server.vocabulary import COUNTRY_PATTERN

ANSWER_PREFIX: Final = "answer."
_COUNTRY: Final = re.compile(COUNTRY_PATTERN)
#: Default lengths of text answers when the question sets none (as the API's).
TEXT_LIMITS: Final = {"short_text": 200, "long_text": 4000}


@dataclass(frozen=True, slots=True)
class Chosen:
    subject: str
    meeting_type: str
    office: str


def chosen(snapshot: Snapshot, viewer: Viewer, form: Form) -> Chosen | None:
    """The subject, meeting type and office asked (a query or a form): one of the
    agent's own combinations; None while something is missing."""
    combinations = office_choices(snapshot, viewer.id)
    subject = form.choice("subject", sorted({s for s, _, _ in combinations}))
    meeting_type = form.choice("meeting_type", sorted({m for _, m, _ in combinations}))
    office = form.choice("office", sorted({o for _, _, o in combinations}))
    if subject is None or meeting_type is None or office is None:
        return None
    if (subject, meeting_type, office) not in combinations:
        form.problem("subject", "problems.invite_combination")
        return None
    return Chosen(subject, meeting_type, office)


def new_key() -> str:
    return f"desk-{new_id()}"


async def book(runtime: Runtime, viewer: Viewer, form: Form) -> AppointmentRow:
    """Check the form (every problem at once; nothing written), then book."""
    snapshot = runtime.snapshot
    picked = chosen(snapshot, viewer, form)
    for name in ("subject", "meeting_type", "office"):
        if not form.raw(name):
            form.problem(name, "problems.required")
    start = form.instant("start")
    first_name = form.text("first_name", limit=100, required=True)
    last_name = form.text("last_name", limit=100, required=True)
    email = form.email("email", required=True)
    phone = form.phone("phone", required=picked is not None and picked.meeting_type == "PHONE")
    language = form.choice("language", list(snapshot.languages)) or snapshot.default_language
    location = None
    if picked is not None and picked.meeting_type == "ON_LOCATION":
        location = _location(form)
    answers = _answers(snapshot, picked, form)
    key = form.raw("key")
    if not key.startswith("desk-") or len(key) > 64 or not key.isascii():
        form.problem("key", "problems.bad_form")
    form.check()
    assert picked is not None and start is not None
    request = msgspec.convert(
        {
            "subject": picked.subject,
            "meeting_type": picked.meeting_type,
            "office": picked.office,
            "agent": viewer.id,
            "start": start.isoformat(),
            "customer": {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone,
                "language": language,
            },
            "location": location,
            "answers": answers,
        },
        AppointmentRequest,
    )
    try:
        return await appointments.book(
            runtime, request, idempotency_key=key, digest=request_hash(request), by_agent=True
        )
    except RendezvousError as exc:
        raise from_error(exc) from exc


def _location(form: Form) -> dict[str, str] | None:
    street = form.text("street", limit=200, required=True)
    postal_code = form.text("postal_code", limit=20, required=True)
    city = form.text("city", limit=100, required=True)
    country = (form.text("country", limit=2, required=True) or "").upper()
    if country and not _COUNTRY.match(country):
        form.problem("country", "problems.country")
    if not (street and postal_code and city and country):
        return None
    return {"street": street, "postal_code": postal_code, "city": city, "country": country}


def questions(snapshot: Snapshot, subject: str | None) -> tuple[config.Question, ...]:
    found = None if subject is None else snapshot.subjects.get(subject)
    return () if found is None else found.questions


def _answers(snapshot: Snapshot, picked: Chosen | None, form: Form) -> dict[str, Any]:
    """The subject's questions answered on the form, checked as the API checks them."""
    found: dict[str, Any] = {}
    for question in questions(snapshot, None if picked is None else picked.subject):
        name = ANSWER_PREFIX + question.id
        if question.type == "multi_select":
            options = [o.id for o in question.options or ()]
            picked_options = [v for v in form.all(name) if v]
            if any(v not in options for v in picked_options):
                form.problem(name, "problems.choice")
            elif picked_options:
                found[question.id] = list(dict.fromkeys(picked_options))
            elif question.required:
                form.problem(name, "problems.required")
            continue
        raw = form.raw(name).strip()
        if not raw:
            if question.required:
                form.problem(name, "problems.required")
            continue
        if question.type == "number":
            number = _number(raw)
            if number is None:
                form.problem(name, "problems.number")
            elif question.min is not None and number < question.min:
                form.problem(name, "problems.at_least", limit=f"{question.min:g}")
            elif question.max is not None and number > question.max:
                form.problem(name, "problems.at_most", limit=f"{question.max:g}")
            else:
                found[question.id] = int(number) if number.is_integer() else number
        elif question.type == "select":
            value = form.choice(name, [o.id for o in question.options or ()])
            if value is not None:
                found[question.id] = value
        else:
            limit = question.max_length or TEXT_LIMITS[question.type]
            text = form.text(name, limit=limit)
            if text is not None:
                found[question.id] = text
    return found


def _number(raw: str) -> float | None:
    try:
        value = float(raw.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


__all__ = ["ANSWER_PREFIX", "Chosen", "book", "chosen", "new_key", "questions"]
