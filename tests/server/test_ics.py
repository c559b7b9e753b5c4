from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from server.ics import (
    CalendarEvent,
    CalendarTemplateError,
    CalendarTemplates,
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
VARIABLES = {
    "customer_name": "Éva Janssens",
    "customer_address": "Kerkstraat 2, 9000 Gent",
    "agent_name": "Alice Peeters",
    "subject": "Mortgage",
    "office_name": "Brussels Centre",
    "office_address": "Rue Neuve 1, 1000 Brussels",
    "start_local": "Monday 2 March 2026, 10:00",
    "timezone": "Europe/Brussels",
    "video_url": "https://meet.demobank.example/r/abc123",
    "manage_url": "https://book.demobank.example/book?manage=t",
    "phone": "+32 2 123 45 67",
}


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


@pytest.mark.parametrize(
    ("lang", "meeting_type", "location"),
    [
        pytest.param("en", "OFFICE", "Rue Neuve 1, 1000 Brussels", id="office"),
        pytest.param("en", "ON_LOCATION", "Kerkstraat 2, 9000 Gent", id="on-location"),
        pytest.param("en", "VIDEO", "https://meet.demobank.example/r/abc123", id="video"),
        pytest.param("en", "PHONE", "Phone call", id="phone"),
        pytest.param("nl", "PHONE", "Telefoongesprek", id="phone-nl"),
        pytest.param("fr", "PHONE", "Appel téléphonique", id="phone-fr"),
        pytest.param("de", "PHONE", "Telefonat", id="phone-de"),
        pytest.param("es", "PHONE", "Phone call", id="unknown-language-falls-back-to-en"),
    ],
)
def test_default_templates_per_language_and_meeting_type(
    lang: str, meeting_type: str, location: str
) -> None:
    text = CalendarTemplates().render(lang, meeting_type, VARIABLES)
    assert text.location == location
    assert "Mortgage" in text.title and "Alice Peeters" in text.title
    assert VARIABLES["start_local"] in text.description
    assert VARIABLES["manage_url"] in text.description


def test_every_shipped_language_renders_every_meeting_type() -> None:
    templates = CalendarTemplates()
    assert set(templates.languages) >= {"en", "nl", "fr", "de"}
    for lang in templates.languages:
        for meeting_type in ("OFFICE", "VIDEO", "PHONE", "ON_LOCATION"):
            title, description, location = templates.render(lang, meeting_type, VARIABLES)
            assert title and description and location
            assert "\n\n\n" not in description


def test_overrides_take_precedence_part_by_part() -> None:
    templates = CalendarTemplates(
        {
            "nl": {
                "VIDEO": {"title": "Video: {{ subject }}"},
                "default": {"title": "Afspraak: {{ subject }}", "location": "Bij ons"},
            },
            "en": {"default": {"description": "Hello {{ customer_name }}"}},
        }
    )
    video = templates.render("nl", "VIDEO", VARIABLES)
    office = templates.render("nl", "OFFICE", VARIABLES)
    english = templates.render("en", "OFFICE", VARIABLES)
    assert video.title == "Video: Mortgage"  # (lang, M) beats (lang, default)
    assert video.location == "Bij ons"  # (lang, default) beats the shipped default
    assert office.title == "Afspraak: Mortgage"
    assert office.description.startswith("Uw afspraak")  # shipped default for nl
    assert english.description == "Hello Éva Janssens"
    assert english.title == "Mortgage with Alice Peeters"
    # an override for one language does not leak into another
    assert templates.render("fr", "VIDEO", VARIABLES).title.startswith("Appel vidéo")


def test_html_in_variables_stays_text() -> None:
    templates = CalendarTemplates({"en": {"default": {"title": "{{ customer_name }}"}}})
    payload = "<script>alert('x')</script> & \"quotes\""
    text = templates.render("en", "OFFICE", {**VARIABLES, "customer_name": payload})
    assert text.title == payload
    assert parse(render_ics(replace(EVENT, title=text.title)))[1]["SUMMARY"] == payload


def test_missing_variables_render_empty_and_none_is_empty() -> None:
    text = CalendarTemplates().render("en", "VIDEO", {"subject": "Mortgage", "video_url": None})
    assert text.location == ""
    assert "You will receive the link" in text.description


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ ''.__class__.__mro__ }}", id="mro"),
        pytest.param("{{ subject.__init__.__globals__ }}", id="globals"),
        pytest.param("{{ cycler.__init__.__globals__.os }}", id="cycler"),
    ],
)
def test_sandbox_escapes_are_refused_with_a_clear_error(source: str) -> None:
    with pytest.raises(CalendarTemplateError, match=r"\[en\]\[VIDEO\]\[title\].*sandbox"):
        CalendarTemplates({"en": {"VIDEO": {"title": source}}})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"en": {"default": {"title": "{% if %}"}}}, "[en][default][title]", id="syntax"
        ),
        pytest.param({"en": {"default": {"title": "{{ nope }}"}}}, "nope", id="undefined"),
        pytest.param({"en": {"CHAT": {"title": "x"}}}, "meeting type", id="meeting-type"),
        pytest.param({"en": {"default": {"subject": "x"}}}, "title", id="part"),
    ],
)
def test_broken_overrides_fail_at_construction(
    overrides: dict[str, dict[str, dict[str, str]]], message: str
) -> None:
    with pytest.raises(CalendarTemplateError) as caught:
        CalendarTemplates(overrides)
    assert message in str(caught.value)


def test_a_part_set_to_none_is_not_overridden() -> None:
    templates = CalendarTemplates({"fr": {"default": {"title": None, "location": "Chez nous"}}})
    text = templates.render("fr", "OFFICE", VARIABLES)
    assert (text.title, text.location) == ("Mortgage avec Alice Peeters", "Chez nous")
