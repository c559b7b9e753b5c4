"""GET /api/v1/appointments/{token}/calendar.ics, read back with the icalendar package."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from starlette.testclient import TestClient

from tests.server._booking import (
    appointment_body,
    book,
    manage_token,
    offered,
)
from tests.support import NOW

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
