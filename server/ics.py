"""Add-to-calendar: the RFC 5545 `calendar.ics` file, Google and Outlook links, and the
templates that write an event's title, description and location (SPEC 6).

The iCalendar text is written by hand: one VEVENT in a `METHOD:PUBLISH` calendar, CRLF
line ends, content lines folded at 75 octets without splitting a UTF-8 character
(RFC 5545 3.1), TEXT values escaped (3.3.11) and stripped of control characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NamedTuple, TypeAlias
from urllib.parse import quote, urlsplit

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from availability.model import MEETING_TYPES

CalendarStatus: TypeAlias = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]

PRODID = "-//Rendezvous//Rendezvous 0.1//EN"
#: Octets per content line, CRLF excluded (RFC 5545 3.1).
MAX_LINE_OCTETS = 75

# C0 and C1 controls and DEL, except TAB and LF (newlines are escaped as \n).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NOT_IN_URI = re.compile(r"[\x00-\x20\x7f-\x9f\"<>\\^`{|}]")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str  # `{appointment id}@{public host}`: see `event_uid`
    sequence: int
    dtstamp: datetime  # aware; written in UTC
    start: datetime  # aware; written in UTC
    end: datetime  # aware; written in UTC
    title: str
    description: str = ""
    location: str = ""
    url: str | None = None
    status: CalendarStatus = "CONFIRMED"
    organizer_name: str | None = None
    organizer_email: str | None = None


def event_uid(appointment_id: str, public_url: str) -> str:
    """The stable UID of an appointment's event: `{id}@{host of public_url}`."""
    host = urlsplit(public_url).hostname or "localhost"
    return f"{appointment_id}@{host}"


def event_status(appointment_status: str) -> CalendarStatus:
    """An appointment's status as a VEVENT STATUS."""
    if appointment_status == "confirmed":
        return "CONFIRMED"
    if appointment_status == "requested":
        return "TENTATIVE"
    return "CANCELLED"  # cancelled, declined


def render_ics(event: CalendarEvent) -> bytes:
    """The `calendar.ics` file of one event, as the bytes to send (`text/calendar`)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{_text(event.uid)}",
        f"SEQUENCE:{int(event.sequence)}",
        f"DTSTAMP:{_utc(event.dtstamp)}",
        f"DTSTART:{_utc(event.start)}",
        f"DTEND:{_utc(event.end)}",
        f"SUMMARY:{_text(event.title)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{_text(event.location)}")
    if event.url:
        lines.append(f"URL:{_uri(event.url)}")
    lines.append(f"STATUS:{event.status}")
    if event.organizer_email:
        name = _CONTROL.sub("", (event.organizer_name or "").replace('"', "")).replace("\n", " ")
        cn = f';CN="{name}"' if name else ""
        lines.append(f"ORGANIZER{cn}:mailto:{_uri(quote(event.organizer_email, safe='@+'))}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return b"".join(_fold(line) for line in lines)


def google_link(event: CalendarEvent) -> str:
    """Google Calendar's "add event" page for this event."""
    return "https://calendar.google.com/calendar/render?" + _query(
        [
            ("action", "TEMPLATE"),
            ("text", _plain(event.title)),
            ("dates", f"{_utc(event.start)}/{_utc(event.end)}"),
            ("details", _plain(event.description)),
            ("location", _plain(event.location)),
        ]
    )


def outlook_link(event: CalendarEvent) -> str:
    """Outlook on the web's "add event" page for this event."""
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + _query(
        [
            ("path", "/calendar/action/compose"),
            ("rru", "addevent"),
            ("subject", _plain(event.title)),
            ("startdt", _iso(event.start)),
            ("enddt", _iso(event.end)),
            ("body", _plain(event.description)),
            ("location", _plain(event.location)),
        ]
    )


def _fold(line: str) -> bytes:
    """One content line, folded at 75 octets on UTF-8 character boundaries, with CRLF."""
    data = line.encode("utf-8")
    chunks = []
    limit = MAX_LINE_OCTETS
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: back up to the lead byte
            cut -= 1
        chunks.append(data[:cut])
        data = data[cut:]
        limit = MAX_LINE_OCTETS - 1  # the continuation line's leading space counts
    chunks.append(data)
    return b"\r\n ".join(chunks) + b"\r\n"


def _plain(value: str) -> str:
    """Text without control characters, newlines as LF."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _text(value: str) -> str:
    """An RFC 5545 TEXT value."""
    return (
        _plain(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def _uri(value: str) -> str:
    if _NOT_IN_URI.search(value) or not value.isascii():
        raise ValueError(f"not a URI that can go in a calendar file: {value!r}")
    return value


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _utc(moment: datetime) -> str:
    return _as_utc(moment).strftime("%Y%m%dT%H%M%SZ")


def _iso(moment: datetime) -> str:
    return _as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{key}={quote(value, safe='/')}" for key, value in pairs)


# Templates

PARTS = ("title", "description", "location")
DEFAULT_LANGUAGE = "en"
#: The variables every template may use; any left out by the caller are "".
VARIABLES = (
    "customer_name",
    "customer_address",
    "agent_name",
    "subject",
    "office_name",
    "office_address",
    "start_local",
    "timezone",
    "meeting_type",
    "video_url",
    "manage_url",
    "phone",
)
_SHIPPED = Path(__file__).parent / "templates" / "calendar"


class CalendarTemplateError(Exception):
    """A calendar template that does not compile or render; the message names it as
    `[lang][MEETING_TYPE or default][part]`."""


class CalendarText(NamedTuple):
    title: str
    description: str
    location: str


class CalendarTemplates:
    """Title, description and location per language × meeting type.

    `overrides[lang][MEETING_TYPE or "default"][title|description|location]` is Jinja2
    source (None: not overridden). For each part the first that exists wins: override
    (lang, meeting type) > override (lang, default) > shipped default for lang > shipped
    default for "en".
    Templates run in Jinja2's sandbox with autoescape off: the output is text, and every
    variable is a plain string (None becomes ""), so HTML in a name stays text.
    Overrides are compiled and tried on sample values here, so a broken one fails at
    startup rather than at the first booking.
    """

    def __init__(
        self, overrides: Mapping[str, Mapping[str, Mapping[str, str | None]]] | None = None
    ) -> None:
        self._env = SandboxedEnvironment(
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._shipped: dict[str, dict[str, Template]] = {}
        for directory in sorted(_SHIPPED.iterdir()):
            if directory.is_dir():
                self._shipped[directory.name] = {
                    part: self._compile(
                        (directory / f"{part}.txt").read_text(encoding="utf-8"),
                        (directory.name, "default", part),
                    )
                    for part in PARTS
                }
        self._overrides: dict[tuple[str, str, str], Template] = {}
        for lang, by_type in (overrides or {}).items():
            for meeting_type, parts in by_type.items():
                if meeting_type != "default" and meeting_type not in MEETING_TYPES:
                    raise CalendarTemplateError(
                        f"calendar template [{lang}][{meeting_type}]: expected a meeting type "
                        f"({', '.join(MEETING_TYPES)}) or 'default'"
                    )
                for part, source in parts.items():
                    if source is None:  # not overridden
                        continue
                    if part not in PARTS:
                        raise CalendarTemplateError(
                            f"calendar template [{lang}][{meeting_type}][{part}]: expected "
                            f"one of {', '.join(PARTS)}"
                        )
                    key = (lang, meeting_type, part)
                    self._overrides[key] = self._compile(source, key)
        for lang, meeting_type, _ in self._overrides:
            for sample_type in MEETING_TYPES if meeting_type == "default" else (meeting_type,):
                self.render(lang, sample_type, {name: name for name in VARIABLES})

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with shipped defaults."""
        return tuple(self._shipped)

    def render(
        self, lang: str, meeting_type: str, variables: Mapping[str, str | None]
    ) -> CalendarText:
        values = dict.fromkeys(VARIABLES, "")
        values.update(
            {name: "" if value is None else str(value) for name, value in variables.items()}
        )
        values["meeting_type"] = meeting_type
        texts = []
        for part in PARTS:
            key, template = self._choose(lang, meeting_type, part)
            try:
                text = template.render(values)
            except SecurityError as exc:
                raise CalendarTemplateError(
                    f"calendar template {_name(key)} is not allowed in the sandbox: {exc}"
                ) from exc
            except TemplateError as exc:
                raise CalendarTemplateError(f"calendar template {_name(key)}: {exc}") from exc
            texts.append(text.strip())
        return CalendarText(*texts)

    def _choose(self, lang: str, meeting_type: str, part: str) -> tuple[tuple[str, ...], Template]:
        for key in ((lang, meeting_type, part), (lang, "default", part)):
            if key in self._overrides:
                return key, self._overrides[key]
        shipped_lang = lang if lang in self._shipped else DEFAULT_LANGUAGE
        return ("shipped", shipped_lang, part), self._shipped[shipped_lang][part]

    def _compile(self, source: str, key: tuple[str, str, str]) -> Template:
        if not isinstance(source, str):
            raise CalendarTemplateError(f"calendar template {_name(key)}: expected a string")
        try:
            return self._env.from_string(source)
        except TemplateError as exc:
            raise CalendarTemplateError(f"calendar template {_name(key)}: {exc}") from exc


def _name(key: tuple[str, ...]) -> str:
    return "".join(f"[{part}]" for part in key)


__all__ = [
    "PRODID",
    "CalendarEvent",
    "CalendarStatus",
    "CalendarTemplateError",
    "CalendarTemplates",
    "CalendarText",
    "event_status",
    "event_uid",
    "google_link",
    "outlook_link",
    "render_ics",
]
