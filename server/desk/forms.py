"""Posted forms: the body read as `application/x-www-form-urlencoded`, and the checks
that every desk form shares (text lengths, e-mail addresses, dates and times).

Each check returns the clean value or records a problem for its field (a catalogue key
and values), so that one answer lists every problem of the form and nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final
from urllib.parse import parse_qsl

from server import vocabulary
from server.desk.problems import FormProblems, Problem

_EMAIL: Final = re.compile(vocabulary.EMAIL_PATTERN)
_PHONE: Final = re.compile(vocabulary.PHONE_PATTERN)
# Control characters (but TAB and line breaks) never reach the store.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_FIELDS: Final = 200
#: A reason shown to the customer (decline, cancel), a note.
MAX_REASON: Final = 500


def parse_body(content_type: str | None, body: bytes) -> dict[str, list[str]]:
    """The fields of a urlencoded form (each name to its values, in order)."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if kind != "application/x-www-form-urlencoded":
        raise Problem("problems.bad_form", 415)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise Problem("problems.bad_form", 400) from None
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    return found


@dataclass
class Form:
    """A posted form and the problems found while reading it."""

    fields: Mapping[str, list[str]]
    problems: dict[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)

    def raw(self, name: str) -> str:
        values = self.fields.get(name) or [""]
        return values[0]

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name) or [])

    def problem(self, name: str, key: str, **values: Any) -> None:
        self.problems.setdefault(name, (key, values))

    def text(self, name: str, *, limit: int, required: bool = False) -> str | None:
        """Trimmed one-line or multi-line text; None when empty."""
        value = _CONTROL.sub("", self.raw(name).replace("\r\n", "\n")).strip()
        if not value:
            if required:
                self.problem(name, "problems.required")
            return None
        if len(value) > limit:
            self.problem(name, "problems.too_long", limit=limit)
            return None
        return value

    def email(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, limit=vocabulary.EMAIL_MAX_LENGTH, required=required)
        if value is not None and not _EMAIL.match(value):
            self.problem(name, "problems.email")
            return None
        return value

    def phone(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, limit=vocabulary.PHONE_MAX_LENGTH, required=required)
        if value is not None and (
            len(value) < vocabulary.PHONE_MIN_LENGTH or not _PHONE.match(value)
        ):
            self.problem(name, "problems.phone")
            return None
        return value

    def choice(
        self, name: str, allowed: Mapping[str, Any] | list[str], *, required: bool = False
    ) -> str | None:
        value = self.raw(name).strip()
        if not value:
            if required:
                self.problem(name, "problems.required")
            return None
        if value not in allowed:
            self.problem(name, "problems.choice")
            return None
        return value

    def checked(self, name: str) -> bool:
        return self.raw(name) in ("1", "on", "true", "yes")

    def day(self, name: str, *, required: bool = False) -> date | None:
        value = self.raw(name).strip()
        if not value:
            if required:
                self.problem(name, "problems.required")
            return None
        parsed = parse_day(value)
        if parsed is None:
            self.problem(name, "problems.date")
        return parsed

    def instant(self, name: str) -> datetime | None:
        """An ISO 8601 time with an offset (the desk's own timetable buttons)."""
        value = self.raw(name).strip()
        parsed = parse_instant(value)
        if parsed is None:
            self.problem(name, "problems.time")
        return parsed

    def check(self) -> None:
        """Raise the form's problems, if it has any: nothing is written."""
        if self.problems:
            raise FormProblems(self.problems)


def parse_day(value: str) -> date | None:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    if not 1970 <= parsed.year <= 2200 or len(value) != 10:
        return None
    return parsed


def parse_instant(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None or not 1970 <= parsed.year <= 2200:
        return None
    return parsed


__all__ = ["MAX_REASON", "Form", "parse_body", "parse_day", "parse_instant"]
