from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from server.calendar.ics import (
    CalendarEvent,
    event_status,
    event_uid,
    google_link,
    outlook_link,
    render_ics,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVENT = CalendarEvent(
    uid="abc123@book.demobank.example",
    sequence=2,
    dtstamp=datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC),
    start=START,
    end=START + timedelta(minutes=45),
    title="Mortgage with Alice Peeters",
    description="Your appointment\nChange or cancel: https://book.demobank.example/book?manage=t",
    location="Rue Neuve 1, 1000 Brussels",
    url="https://book.demobank.example/book?manage=t",
    status="CONFIRMED",
    organizer_name="Alice Peeters",
    organizer_email="alice@demobank.example",
)


def lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[:-2].split(b"\r\n")


def unfold(data: bytes) -> list[str]:
    return data.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")[:-1]


def parse(data: bytes) -> tuple[icalendar.Calendar, icalendar.cal.Component]:
    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_every_line_ends_with_crlf_and_has_at_most_75_octets() -> None:
    data = render_ics(replace(EVENT, description="word " * 200))
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines(data))
    assert any(line.startswith(b" ") for line in lines(data))


def test_the_calendar_has_the_required_properties_in_order() -> None:
    unfolded = unfold(render_ics(EVENT))
    assert unfolded[:6] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rendezvous//Rendezvous 0.1//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
    ]
    assert unfolded[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    for expected in [
        "UID:abc123@book.demobank.example",
        "SEQUENCE:2",
        "DTSTAMP:20260301T123015Z",
        "DTSTART:20260302T090000Z",
        "DTEND:20260302T094500Z",
        "STATUS:CONFIRMED",
        'ORGANIZER;CN="Alice Peeters":mailto:alice@demobank.example',
    ]:
        assert expected in unfolded


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("é" * 120, id="two-byte"),
        pytest.param("日本" * 60, id="three-byte"),
        pytest.param("🗓️👩🏽‍💼" * 30, id="emoji-and-zwj"),
        pytest.param("a" + "é" * 80 + "x日本🙂" * 20, id="mixed-offsets"),
    ],
)
def test_folding_never_splits_a_character_and_unfolds_to_the_original(text: str) -> None:
    data = render_ics(replace(EVENT, description=text, title=text))
    for line in lines(data):
        assert len(line) <= 75
        line.decode("utf-8")  # each physical line is valid UTF-8 on its own
    unfolded = unfold(data)
    assert f"DESCRIPTION:{text}" in unfolded
    assert f"SUMMARY:{text}" in unfolded
    assert parse(data)[1]["DESCRIPTION"] == text


def test_text_is_escaped() -> None:
    text = "back\\slash; semi, comma\nnew line\r\nwindows\rmac"
    unfolded = unfold(render_ics(replace(EVENT, description=text)))
    assert "DESCRIPTION:back\\\\slash\\; semi\\, comma\\nnew line\\nwindows\\nmac" in unfolded
    parsed = parse(render_ics(replace(EVENT, description=text)))[1]
    assert parsed["DESCRIPTION"] == text.replace("\r\n", "\n").replace("\r", "\n")


def test_control_characters_are_stripped_from_text_and_refused_in_uris() -> None:
    data = render_ics(replace(EVENT, title="A\x00B\x07C\x1bD\x7fE\x85F\tG"))
    assert "SUMMARY:ABCDEF\tG" in unfold(data)
    with pytest.raises(ValueError):
        render_ics(replace(EVENT, url="https://x.example/\r\nATTACH:evil"))


def test_the_file_parses_back_to_every_field() -> None:
    calendar, event = parse(render_ics(EVENT))
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["VERSION"] == "2.0"
    assert event["UID"] == EVENT.uid
    assert event["SEQUENCE"] == EVENT.sequence
    assert event.decoded("DTSTAMP") == EVENT.dtstamp
    assert event.decoded("DTSTART") == EVENT.start
    assert event.decoded("DTEND") == EVENT.end
    assert event["SUMMARY"] == EVENT.title
    assert event["DESCRIPTION"] == EVENT.description
    assert event["LOCATION"] == EVENT.location
    assert event["URL"] == EVENT.url
    assert event["STATUS"] == "CONFIRMED"
    assert event["ORGANIZER"] == "mailto:alice@demobank.example"


def test_times_in_other_zones_are_written_in_utc() -> None:
    brussels = timezone(timedelta(hours=1))
    event = replace(EVENT, start=START.astimezone(brussels), end=EVENT.end.astimezone(brussels))
    assert "DTSTART:20260302T090000Z" in unfold(render_ics(event))
    with pytest.raises(ValueError, match="aware"):
        render_ics(replace(EVENT, start=datetime(2026, 3, 2, 9, 0)))


@pytest.mark.parametrize(
    ("appointment_status", "ics_status"),
    [
        pytest.param("confirmed", "CONFIRMED", id="confirmed"),
        pytest.param("requested", "TENTATIVE", id="requested"),
        pytest.param("cancelled", "CANCELLED", id="cancelled"),
        pytest.param("declined", "CANCELLED", id="declined"),
    ],
)
def test_the_status_follows_the_appointment(appointment_status: str, ics_status: str) -> None:
    event = replace(EVENT, status=event_status(appointment_status))
    assert parse(render_ics(event))[1]["STATUS"] == ics_status


def test_the_uid_is_the_appointment_id_at_the_public_host() -> None:
    assert event_uid("abc", "https://book.demobank.example:8443/base") == (
        "abc@book.demobank.example"
    )


def test_google_link_carries_the_encoded_fields() -> None:
    event = replace(EVENT, title="Rendez-vous & co #1", location="Rue Neuve 1; 1000 Brussels")
    link = google_link(event)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    assert " " not in link and "\n" not in link
    assert parse_qs(parts.query) == {
        "action": ["TEMPLATE"],
        "text": ["Rendez-vous & co #1"],
        "dates": ["20260302T090000Z/20260302T094500Z"],
        "details": [EVENT.description],
        "location": ["Rue Neuve 1; 1000 Brussels"],
    }


def test_outlook_link_carries_the_encoded_fields() -> None:
    link = outlook_link(replace(EVENT, title="Hypotheek — Éva"))
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == (
        "outlook.live.com",
        "/calendar/0/deeplink/compose",
    )
    assert parse_qs(parts.query) == {
        "path": ["/calendar/action/compose"],
        "rru": ["addevent"],
        "subject": ["Hypotheek — Éva"],
        "startdt": ["2026-03-02T09:00:00Z"],
        "enddt": ["2026-03-02T09:45:00Z"],
        "body": [EVENT.description],
        "location": [EVENT.location],
    }


def test_html_in_the_text_stays_text() -> None:
    payload = "<script>alert('x')</script> & \"quotes\""
    assert parse(render_ics(replace(EVENT, title=payload)))[1]["SUMMARY"] == payload
