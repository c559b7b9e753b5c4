"""The last form of /book: the subject's questions, the customer's details and, for a
meeting at the customer's address, the address; read back into the API's request.

The page does not validate on its own: it builds the body a JSON client would send
(`POST /api/v1/appointments`) and lets the API's types and checks judge it, so it
shows the API's messages at the API's paths (`$.customer.email`). msgspec stops at the
first problem; to show every problem at once, a field found wrong is set aside (given
a placeholder that passes) and the body is read again, and the checks that look at
several fields (`requests.customer_problems`) run on what is left.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from server import config, errors
from server.booking.requests import customer_problems
from server.errors import Detail
from server.hosted.words import Words
from server.schemas import AppointmentRequest
from server.snapshot import Snapshot

#: Customer fields: (form name, API path, word, input type, autocomplete).
CUSTOMER: Final = (
    ("first_name", "$.customer.first_name", "firstName", "text", "given-name"),
    ("last_name", "$.customer.last_name", "lastName", "text", "family-name"),
    ("email", "$.customer.email", "email", "email", "email"),
    ("phone", "$.customer.phone", "phone", "tel", "tel"),
)
ADDRESS: Final = (
    ("street", "$.location.street", "street", "text", "street-address"),
    ("postal_code", "$.location.postal_code", "postalCode", "text", "postal-code"),
    ("city", "$.location.city", "city", "text", "address-level2"),
    ("country", "$.location.country", "country", "text", "country"),
)
#: Values that pass the API's types, to set a wrong field aside while looking for more.
_PLACEHOLDERS: Final = {
    "$.customer.first_name": "x",
    "$.customer.last_name": "x",
    "$.customer.email": "x@example.com",
    "$.customer.phone": "+3222222222",
    "$.location.street": "x",
    "$.location.postal_code": "x",
    "$.location.city": "x",
    "$.location.country": "BE",
}
Form = Mapping[str, Sequence[str]]


@dataclass(slots=True)
class Field:
    name: str
    path: str
    label: str
    kind: str  # text, email, tel, number, textarea, select, radio, checkbox
    required: bool
    value: str | list[str] = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    hint: str | None = None
    autocomplete: str | None = None
    max_length: int | None = None
    error: str | None = None

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _first(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def fields(
    snapshot: Snapshot,
    t: Words,
    *,
    subject: str,
    meeting_type: str,
    lang: str,
    country: str,
    form: Form,
) -> dict[str, list[Field]]:
    """The form's fields by section ("questions", "customer", "address"), filled with
    what `form` holds (an earlier, refused, submission)."""
    found = snapshot.subjects[subject]
    questions = [_question(snapshot, t, q, lang, form) for q in found.questions]
    customer = [
        Field(
            name,
            path,
            t(word),
            kind,
            required=name != "phone" or meeting_type == "PHONE",
            value=_first(form, name),
            autocomplete=autocomplete,
            hint=t("phoneHint") if name == "phone" and meeting_type == "PHONE" else None,
        )
        for name, path, word, kind, autocomplete in CUSTOMER
    ]
    if len(snapshot.languages) > 1:
        customer.append(
            Field(
                "language",
                "$.customer.language",
                t("language"),
                "select",
                required=True,
                value=_first(form, "language") or lang,
                options=[(code, _language_name(code)) for code in snapshot.languages],
                autocomplete="language",
            )
        )
    address = []
    if meeting_type == "ON_LOCATION":
        address = [
            Field(
                name,
                path,
                t(word),
                kind,
                required=True,
                value=_first(form, name) or (country if name == "country" else ""),
                autocomplete=autocomplete,
            )
            for name, path, word, kind, autocomplete in ADDRESS
        ]
    return {"questions": questions, "customer": customer, "address": address}


def _language_name(code: str) -> str:
    from server.hosted.words import LANGUAGE_NAMES

    return LANGUAGE_NAMES.get(code, code)


def _question(
    snapshot: Snapshot, t: Words, question: config.Question, lang: str, form: Form
) -> Field:
    name = f"answers.{question.id}"
    options = [(o.id, snapshot.text(o.label, lang)) for o in question.options or ()]
    kind = {
        "short_text": "text",
        "long_text": "textarea",
        "number": "number",
        "select": "radio" if len(options) <= 6 else "select",
        "multi_select": "checkbox",
    }[question.type]
    hint = None
    if question.type == "number" and (question.min is not None or question.max is not None):
        low = "" if question.min is None else _plain_number(question.min)
        high = "" if question.max is None else _plain_number(question.max)
        hint = (
            f"{low} – {high}".strip(" –") if low and high else (f"≥ {low}" if low else f"≤ {high}")
        )
    value: str | list[str] = (
        [v for v in form.get(name, ()) if v] if kind == "checkbox" else _first(form, name)
    )
    return Field(
        name,
        f"$.answers.{question.id}",
        snapshot.text(question.label, lang),
        kind,
        required=question.required,
        value=value,
        options=options,
        hint=hint,
        max_length=question.max_length,
    )


def _plain_number(value: float) -> str:
    """10000, 5000000 or 2.5: never 5e+06."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def request_body(
    sections: Mapping[str, list[Field]],
    hidden: Mapping[str, Any],
    *,
    subject: config.Subject,
    timezone: str | None,
) -> dict[str, Any]:
    """The body of POST /api/v1/appointments that the form stands for: `hidden` holds the
    choices (subject, meeting type, start, duration, office, agent, invite, hold)."""
    customer: dict[str, Any] = {}
    for item in sections["customer"]:
        if item.value or item.required:
            customer[item.name] = item.value
    if timezone is not None:
        customer["timezone"] = timezone
    body: dict[str, Any] = {**hidden, "customer": customer}
    if sections["address"]:
        body["location"] = {item.name: item.value for item in sections["address"]}
    answers: dict[str, Any] = {}
    types = {q.id: q.type for q in subject.questions}
    for item in sections["questions"]:
        key = item.name.removeprefix("answers.")
        if not item.value:
            continue
        answers[key] = _number(item.value) if types.get(key) == "number" else item.value
    body["answers"] = answers
    return body


def _number(value: str | list[str]) -> Any:
    if isinstance(value, list):
        return value
    try:
        number = float(value.replace(",", ".")) if value.count(",") <= 1 else math.nan
    except ValueError:
        return value  # the API says "expected a number"
    return number if math.isfinite(number) else value


def validated(
    snapshot: Snapshot, body: dict[str, Any]
) -> tuple[AppointmentRequest | None, list[Detail]]:
    """The request, or every problem the API finds with it (its messages and paths)."""
    problems: list[Detail] = []
    current = msgspec.json.decode(msgspec.json.encode(body))  # a copy to set fields aside
    for _ in range(len(_PLACEHOLDERS) + 60):
        try:
            request = msgspec.convert(current, AppointmentRequest)
        except msgspec.ValidationError as exc:
            detail = errors.from_msgspec(exc).details[0]
            problems.append(detail)
            if not _set_aside(current, detail.path):
                return None, problems
            continue
        if not problems:
            return request, []
        seen = {problem.path for problem in problems}
        more = [p for p in customer_problems(snapshot, request) if p.path not in seen]
        return None, problems + more
    return None, problems


def _set_aside(body: dict[str, Any], path: str) -> bool:
    """Give the field at `path` a value that passes; False when there is none."""
    if path in _PLACEHOLDERS:
        section, name = path.removeprefix("$.").split(".", 1)
        body.setdefault(section, {})[name] = _PLACEHOLDERS[path]
        return True
    if path.startswith("$.answers."):
        body.get("answers", {}).pop(path.removeprefix("$.answers."), None)
        return True
    return False


def show(sections: Mapping[str, list[Field]], problems: Sequence[Detail]) -> list[tuple[str, str]]:
    """Put each problem on its field; the (anchor, text) list of the error summary."""
    by_path = {item.path: item for section in sections.values() for item in section}
    summary = []
    for problem in problems:
        item = by_path.get(problem.path)
        if item is not None and item.error is None:
            item.error = problem.message
            summary.append((item.id, f"{item.label}: {problem.message}"))
        elif item is None:
            summary.append(("", problem.message))
    return summary
