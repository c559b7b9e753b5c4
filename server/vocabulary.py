"""The words every part of the server shares, each defined once.

- meeting types (the engine's constants, as a `Literal` for the Structs);
- the formats of ids, e-mail addresses, phone numbers, language and country codes:
  the organisation file, the API and the widget (`plugin/rules.js`, kept equal by a
  test) accept the same values;
- time zones: whether a name is a real IANA zone;
- translatable text and the choice of a language;
- unix seconds, the store's and the tokens' form of an instant.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, get_args

from availability import model

MeetingType = Literal["OFFICE", "VIDEO", "PHONE", "ON_LOCATION"]
MEETING_TYPES: Final[tuple[MeetingType, ...]] = get_args(MeetingType)
assert MEETING_TYPES == model.MEETING_TYPES, "the engine and the server name the same types"
#: Meeting types for which the office may be left out (every office counts).
REMOTE_MEETING_TYPES: Final = model.REMOTE_MEETING_TYPES
#: Meeting types whose slots, holds and bookings need an office: for ON_LOCATION it is
#: the office the agent travels from.
NEEDS_OFFICE: Final = frozenset(MEETING_TYPES) - REMOTE_MEETING_TYPES

#: How each meeting type reads in an operator's sentence ("Mortgage by video").
HOW: Final[Mapping[str, str]] = {
    "OFFICE": "at the office",
    "VIDEO": "by video",
    "PHONE": "by phone",
    "ON_LOCATION": "at the customer's address",
}

AppointmentStatus = Literal["confirmed", "requested", "cancelled", "declined"]

#: An id in the organisation file: subjects, offices, agents, questions...
ID_PATTERN: Final = r"^[A-Za-z0-9_.-]{1,64}$"
#: An id as a query or body names it: an id, or `ext:` and an external id.
REFERENCE_PATTERN: Final = r"^[A-Za-z0-9_.:-]{1,64}$"
LANGUAGE_PATTERN: Final = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
COUNTRY_PATTERN: Final = r"^[A-Z]{2}$"
TIME_PATTERN: Final = r"^[0-9]{2}:[0-9]{2}$"
#: A practical e-mail address: no spaces or characters that need quoting before the
#: "@", a domain of dot-separated labels after it (RFC 1035 label rules).
EMAIL_PATTERN: Final = (
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
EMAIL_MAX_LENGTH: Final = 254
#: Digits with an optional leading "+", spaces, dots, dashes, slashes and brackets.
PHONE_PATTERN: Final = r"^\+?[0-9][0-9 ().\-/]{4,30}$"
PHONE_MIN_LENGTH: Final = 6
PHONE_MAX_LENGTH: Final = 32


@functools.lru_cache(maxsize=1024)
def time_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA zone `name`, or None when there is no such zone."""
    if not name or len(name) > 64 or name != name.strip():
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def is_time_zone(name: str) -> bool:
    return time_zone(name) is not None


def text(value: str | Mapping[str, str], lang: str, fallback_lang: str) -> str:
    """The text of a translatable `value` in `lang`, else `fallback_lang`, else any."""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get(fallback_lang) or next(iter(value.values()), "")


def choose_language(
    known: Collection[str], requested: str | None = None, accept_language: str | None = None
) -> str | None:
    """`requested` if it (or its primary subtag) is in `known`, else the best of an
    `Accept-Language` header; None when neither names a known language. Tags compare
    without regard to case (RFC 5646); the answer is spelled as in `known`."""
    by_folded = {lang.lower(): lang for lang in known}
    for candidate in (requested, *_accepted(accept_language or "")):
        if candidate:
            lang = candidate.strip().lower()
            if lang in by_folded:
                return by_folded[lang]
            primary = lang.split("-", 1)[0]
            if primary in by_folded:
                return by_folded[primary]
    return None


def _accepted(header: str) -> Iterator[str]:
    """The languages of an `Accept-Language` header, best first (q=0 left out)."""
    weighted = []
    for position, part in enumerate(header.split(",")[:32]):
        lang, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if lang and lang != "*" and quality > 0:
            weighted.append((-quality, position, lang))
    for _, _, lang in sorted(weighted):
        yield lang


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def to_unix(moment: datetime) -> int:
    """Whole unix seconds of an aware datetime (ValueError for a naive one)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {moment!r}")
    return (moment - _EPOCH) // timedelta(seconds=1)


def from_unix(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)
