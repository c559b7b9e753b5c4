"""Add-to-calendar: the RFC 5545 `calendar.ics` file and the Google and Outlook links
(SPEC 6). The title, description and location come from `server.calendar.text`.

The iCalendar text is written by hand: one VEVENT in a `METHOD:PUBLISH` calendar, CRLF
line ends, content lines folded at 75 octets without splitting a UTF-8 character
(RFC 5545 3.1), TEXT values escaped (3.3.11) and stripped of control characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias
from urllib.parse import quote, urlsplit

CalendarStatus: TypeAlias = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]
#: PUBLISH: an add-to-calendar file; REQUEST / CANCEL: an iTIP invitation or its
#: cancellation, sent by e-mail (RFC 5546, RFC 6047), which needs ORGANIZER and ATTENDEE.
Method: TypeAlias = Literal["PUBLISH", "REQUEST", "CANCEL"]

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
    attendee_name: str | None = None
    attendee_email: str | None = None


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


def render_ics(event: CalendarEvent, method: Method = "PUBLISH") -> bytes:
    """The `calendar.ics` file of one event, as the bytes to send (`text/calendar`);
    with `method` REQUEST or CANCEL, the iTIP object of an invitation e-mail."""
    if method != "PUBLISH" and not (event.organizer_email and event.attendee_email):
        raise ValueError(f"METHOD:{method} needs an ORGANIZER and an ATTENDEE (RFC 5546)")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        *_vevent(event),
        "END:VCALENDAR",
    ]
    return b"".join(_fold(line) for line in lines)


def render_feed(events: Iterable[CalendarEvent], name: str, refresh_minutes: int = 60) -> bytes:
    """A subscribed calendar (the desk's feed, SPEC 11): every event in one
    `METHOD:PUBLISH` calendar named `name`, with a hint how often to look again
    (`REFRESH-INTERVAL`, RFC 7986, and Outlook's `X-PUBLISHED-TTL`)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{_text(name)}",
        f"X-WR-CALNAME:{_text(name)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:PT{int(refresh_minutes)}M",
        f"X-PUBLISHED-TTL:PT{int(refresh_minutes)}M",
    ]
    for event in events:
        lines += _vevent(event)
    lines.append("END:VCALENDAR")
    return b"".join(_fold(line) for line in lines)


def _vevent(event: CalendarEvent) -> list[str]:
    lines = [
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
        cn = _cn(event.organizer_name)
        lines.append(f"ORGANIZER{cn}:mailto:{_uri(quote(event.organizer_email, safe='@+'))}")
    if event.attendee_email:
        # The recipient chose the time (a customer) or it is their work (an agent), and
        # nobody reads replies to the organiser's address: accepted, no reply wanted.
        params = f"{_cn(event.attendee_name)};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE"
        lines.append(f"ATTENDEE{params}:mailto:{_uri(quote(event.attendee_email, safe='@+'))}")
    lines.append("END:VEVENT")
    return lines


def _cn(name: str | None) -> str:
    """A `;CN="..."` parameter: a quoted string holds no DQUOTE and no control
    character (RFC 5545 3.1), so those are dropped and line breaks become spaces."""
    plain = _CONTROL.sub("", (name or "").replace('"', "").replace("\r", " ").replace("\n", " "))
    return f';CN="{plain}"' if plain.strip() else ""


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


__all__ = [
    "PRODID",
    "CalendarEvent",
    "CalendarStatus",
    "Method",
    "event_status",
    "event_uid",
    "google_link",
    "outlook_link",
    "render_feed",
    "render_ics",
]
