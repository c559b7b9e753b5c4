"""Stored appointments as the API shows them (server/booking/presenters.py): the
appointment object in its language, slots with the asked zone's offsets, and the calendar
file (GET /api/v1/appointments/{token}/calendar.ics, read back with icalendar)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from starlette.testclient import TestClient

from availability import model
from server import config
from server.booking import presenters
from server.snapshot import Snapshot
from server.store import AppointmentRow
from tests.server._booking import (
    appointment_body,
    book,
    manage_token,
    offered,
)
from tests.support import NOW, organisation_path

pytestmark = pytest.mark.organisation("calendar")

BRUSSELS = ZoneInfo("Europe/Brussels")


def event_of(response: Any) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    return event


def test_the_calendar_file_describes_the_appointment(client: TestClient) -> None:
    start = offered(client, "insurance", "VIDEO", "brussels")[0]
    booking = book(client, appointment_body("insurance", "VIDEO", start, "brussels"))
    appointment = booking.json()["appointment"]
    token = manage_token(booking)

    response = client.get(f"/api/v1/appointments/{token}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="appointment.ics"'
    assert response.headers["cache-control"] == "no-store"
    assert b"\r\n" in response.content
    event = event_of(response)
    assert str(event["UID"]) == f"{appointment['id']}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == start.astimezone(UTC)
    assert event.decoded("DTEND") == datetime.fromisoformat(appointment["end"]).astimezone(UTC)
    assert event.decoded("DTSTAMP") == NOW
    # The organisation's own title for a video call in English.
    assert str(event["SUMMARY"]) == "Video call with Farid El Amrani (Test Bank): Insurance"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == appointment["video_url"]
    assert appointment["video_url"] in str(event["DESCRIPTION"])
    assert str(event["URL"]) == booking.json()["links"]["manage"]


def test_a_cancelled_appointment_is_cancelled_in_the_calendar(client: TestClient) -> None:
    start = offered(client, "insurance", "OFFICE", "brussels")[0]
    booking = book(client, appointment_body("insurance", "OFFICE", start, "brussels"))
    token = manage_token(booking)
    before = event_of(client.get(f"/api/v1/appointments/{token}/calendar.ics"))

    client.post(f"/api/v1/appointments/{token}/cancel")
    after = event_of(client.get(f"/api/v1/appointments/{token}/calendar.ics"))

    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == 1
    assert str(after["STATUS"]) == "CANCELLED"
    assert after.decoded("DTSTART") == before.decoded("DTSTART")


def test_a_requested_appointment_is_tentative(client: TestClient) -> None:
    start = offered(client, "mortgage", "VIDEO", "brussels")[0]
    token = manage_token(book(client, appointment_body("mortgage", "VIDEO", start, "brussels")))

    event = event_of(client.get(f"/api/v1/appointments/{token}/calendar.ics"))

    assert str(event["STATUS"]) == "TENTATIVE"


def test_a_rescheduled_appointment_keeps_its_uid_and_counts_up(client: TestClient) -> None:
    starts = offered(client, "insurance", "OFFICE", "brussels")
    token = manage_token(
        book(client, appointment_body("insurance", "OFFICE", starts[0], "brussels"))
    )
    before = event_of(client.get(f"/api/v1/appointments/{token}/calendar.ics"))

    client.post(f"/api/v1/appointments/{token}/reschedule", json={"start": starts[6].isoformat()})
    after = event_of(client.get(f"/api/v1/appointments/{token}/calendar.ics"))

    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == 1
    assert after.decoded("DTSTART") == starts[6].astimezone(UTC)


def test_html_in_a_customers_name_is_text_in_the_calendar(client: TestClient) -> None:
    start = offered(client, "insurance", "ON_LOCATION", "brussels")[0]
    body = appointment_body(
        "insurance",
        "ON_LOCATION",
        start,
        "brussels",
        location={
            "street": "<b>Rue</b> de l'Étoile 5",
            "postal_code": "1000",
            "city": "Brussels",
            "country": "BE",
        },
    )
    body["customer"]["first_name"] = "<img src=x onerror=alert(1)>"
    token = manage_token(book(client, body))

    event = event_of(client.get(f"/api/v1/appointments/{token}/calendar.ics"))

    assert str(event["LOCATION"]) == "<b>Rue</b> de l'Étoile 5, 1000 Brussels, BE"
    assert "&lt;" not in event.to_ical().decode()


def test_the_calendar_text_is_in_the_customers_language(client: TestClient) -> None:
    start = offered(client, "insurance", "VIDEO", "brussels")[0]
    body = appointment_body("insurance", "VIDEO", start, "brussels")
    body["customer"]["language"] = "nl"
    token = manage_token(book(client, body))

    event = event_of(client.get(f"/api/v1/appointments/{token}/calendar.ics"))

    assert str(event["SUMMARY"]) == "Videogesprek met Farid El Amrani (Testbank): Verzekering"


def test_a_language_the_organisation_does_not_speak_falls_back_to_its_first(
    client: TestClient,
) -> None:
    start = offered(client, "insurance", "VIDEO", "brussels")[0]
    body = appointment_body("insurance", "VIDEO", start, "brussels")
    body["customer"]["language"] = "de"
    booking = book(client, body)

    event = event_of(client.get(f"/api/v1/appointments/{manage_token(booking)}/calendar.ics"))

    assert booking.json()["appointment"]["customer"]["language"] == "de"  # as given
    assert str(event["SUMMARY"]).startswith("Video call with Farid")


# -- without the app: a row and a snapshot in, what the API shows out -----------------------

#: Farid does insurance (in Dutch: "Verzekering") in Brussels; tests/.../calendar.toml.
SNAPSHOT = Snapshot.build(config.load(organisation_path("calendar")))
NINE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Brussels
ROW = AppointmentRow(
    id="a1",
    status="confirmed",
    sequence=0,
    subject="insurance",
    meeting_type="OFFICE",
    office="brussels",
    agent="farid",
    start=NINE,
    end=NINE + timedelta(minutes=30),
    trailing_buffer=0,
    timezone="Europe/Brussels",
    language="nl",
    customer={"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"},
    location=None,
    answers={},
    metadata={},
    video_url=None,
    invite_id=None,
    created_at=NOW,
    updated_at=NOW,
)


def test_an_appointment_is_shown_in_its_language_and_zone() -> None:
    shown = presenters.appointment_out(SNAPSHOT, ROW)

    assert shown.subject.name == "Verzekering"
    assert (shown.start, shown.end) == ("2026-11-25T09:00:00+01:00", "2026-11-25T09:30:00+01:00")
    assert shown.office is not None and shown.office.address.street == "Rue Neuve 1"
    assert shown.agent.name == "Farid El Amrani"
    assert shown.customer.email == "ann@example.com"


def test_what_the_file_no_longer_has_is_shown_by_its_id() -> None:
    gone = dataclasses.replace(ROW, subject="retired", office="closed", agent="left")

    shown = presenters.appointment_out(SNAPSHOT, gone)

    assert shown.subject.name == "retired"
    assert shown.office is not None and (shown.office.id, shown.office.name) == ("closed", "closed")
    assert shown.office.address.street == ""
    assert (shown.agent.name, shown.agent.function) == ("left", None)


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        pytest.param("UTC", "2026-11-25T08:00:00+00:00", id="utc-is-not-z"),
        pytest.param("Europe/Brussels", "2026-11-25T09:00:00+01:00", id="brussels"),
        pytest.param("America/New_York", "2026-11-25T03:00:00-05:00", id="new-york"),
    ],
)
def test_slots_are_written_with_the_offsets_of_the_asked_zone(zone: str, start: str) -> None:
    minute = int(NINE.timestamp()) // 60
    found = model.SlotMinutes(starts=[minute], durations=[30])

    body = json.loads(presenters.slots_body(zone, ZoneInfo(zone), found))

    assert body["timezone"] == zone
    assert [s["start"] for s in body["slots"]] == [start]
    assert datetime.fromisoformat(body["slots"][0]["end"]) == NINE + timedelta(minutes=30)


def test_no_slots_is_an_empty_list() -> None:
    empty = model.SlotMinutes(starts=[], durations=[])
    body = json.loads(presenters.slots_body("UTC", ZoneInfo("UTC"), empty))

    assert body == {"timezone": "UTC", "slots": []}
