"""What a customer has chosen so far on /book: the query string of a step, and the hidden
fields of its form.

Only choices travel this way (ids, the language, the time zone, the week shown, an
invite or a manage token: the links SPEC 5 itself defines); what the customer types
about themselves travels only in the body of a POST. Values are read leniently: too
long, malformed or unknown values are dropped (an unknown preselection is reported by
the step that would have used it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Final
from urllib.parse import urlencode

from server import vocabulary

_ID: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,140}$")
_TOKEN: Final = re.compile(r"^[A-Za-z0-9_.=-]{1,2048}$")
_ZONE: Final = re.compile(r"^[A-Za-z0-9_+/-]{1,64}$")
_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
#: The hidden fields of a form and the parameters of a link, in this order.
KEYS: Final = (
    "lang",
    "category",
    "subject",
    "meeting_type",
    "office",
    "agent",
    "invite",
    "timezone",
    "week",
)


@dataclass(frozen=True, slots=True)
class State:
    lang: str | None = None
    category: str | None = None
    subject: str | None = None
    meeting_type: str | None = None
    office: str | None = None
    agent: str | None = None
    invite: str | None = None
    timezone: str | None = None
    week: date | None = None

    @classmethod
    def read(cls, params: Mapping[str, str]) -> State:
        """The choices in a query string or a form body (`language` is `lang`'s alias)."""

        def get(name: str, pattern: re.Pattern[str]) -> str | None:
            value = params.get(name)
            return value if value and pattern.fullmatch(value) else None

        kind = params.get("meeting_type")
        zone = get("timezone", _ZONE)
        return cls(
            lang=get("lang", _LANGUAGE) or get("language", _LANGUAGE),
            category=get("category", _ID),
            subject=get("subject", _ID),
            meeting_type=kind if kind in vocabulary.MEETING_TYPES else None,
            office=get("office", _ID),
            agent=get("agent", _ID),
            invite=get("invite", _TOKEN),
            timezone=zone if zone and vocabulary.is_time_zone(zone) else None,
            week=_date(params.get("week")),
        )

    def but(self, **changes: object) -> State:
        return replace(self, **changes)  # type: ignore[arg-type]

    def items(self) -> list[tuple[str, str]]:
        """The choices made, as (name, value) pairs for a link or hidden fields."""
        found = []
        for name in KEYS:
            value = getattr(self, name)
            if value is not None:
                found.append((name, value.isoformat() if isinstance(value, date) else value))
        return found

    def url(self, **extra: str | None) -> str:
        """/book with these choices (and `extra` parameters that are not None)."""
        pairs = self.items() + [(k, v) for k, v in extra.items() if v is not None]
        return "/book?" + urlencode(pairs) if pairs else "/book"


def _date(value: str | None) -> date | None:
    if not value or len(value) != 10:
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        return None
    return found if 2000 <= found.year <= 2200 else None  # far ends overflow date math


assert tuple(field.name for field in fields(State)) == KEYS
