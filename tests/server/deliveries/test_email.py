"""The e-mails of SPEC 10, received by a real SMTP server (aiosmtpd) and read back with
the standard library; every calendar part is parsed by icalendar."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server._booking import book, offered
from tests.server.deliveries._mail import MailServer, Received, calendar_parts, iter_text_parts
from tests.server.deliveries.conftest import appointment_body, deliveries, send_due

pytestmark = [pytest.mark.organisation("demo"), pytest.mark.both_backends]

TOMORROW = date(2026, 11, 25)
CUSTOMER_ADDRESS = "ann@example.com"
FARID = "farid@demobank.example"


def booked(
    client: TestClient,
    subject: str = "car-insurance",
    meeting_type: str = "OFFICE",
    office: str | None = "brussels",
    day: date = TOMORROW,
    **extra: Any,
) -> dict[str, Any]:
    start = offered(client, subject, meeting_type, office, first_day=day, days=3)[0]
    response = book(client, appointment_body(subject, meeting_type, start, office, **extra))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def by_recipient(received: list[Received]) -> dict[str, EmailMessage]:
    found = {}
    for item in received:
        assert len(item.recipients) == 1
        found[item.recipients[0]] = item.message
    return found


def text_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: str = part.get_content()
    return content


def structure(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def test_a_confirmed_booking_sends_the_customer_and_the_agent_an_invitation(
    client: TestClient, smtp: MailServer
) -> None:
    answer = booked(client)
    appointment = answer["appointment"]

    assert send_due(client) == 2
    messages = by_recipient(smtp.wait_for(2))

    assert set(messages) == {CUSTOMER_ADDRESS, FARID}
    for address, message in messages.items():
        assert structure(message) == [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/calendar",
            "application/ics",
        ]
        calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        assert calendar_part.get_param("method") == "REQUEST"
        assert message["From"] == "Demo Bank <appointments@demobank.example>"
        assert message["Reply-To"] == "service@demobank.example"
        assert message["Auto-Submitted"] == "auto-generated"
        assert re.fullmatch(r"<[A-Za-z0-9_-]{22}@127\.0\.0\.1>", message["Message-ID"])
        assert email.utils.parsedate_to_datetime(message["Date"]) == datetime(
            2026, 11, 24, 8, 0, tzinfo=UTC
        )
        assert message["To"].addresses[0].addr_spec == address
        for calendar in calendar_parts(message):
            assert str(calendar["METHOD"]) == "REQUEST"
            (event,) = calendar.walk("VEVENT")
            assert str(event["UID"]) == f"{appointment['id']}@127.0.0.1"
            assert int(event["SEQUENCE"]) == 0
            assert str(event["ORGANIZER"]) == "mailto:appointments@demobank.example"
            assert str(event["ATTENDEE"]) == f"mailto:{address}"
            start = event.decoded("DTSTART")
            assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
            assert start == datetime.fromisoformat(appointment["start"])
            assert event["DTSTART"].to_ical().endswith(b"Z")
            assert str(event["STATUS"]) == "CONFIRMED"
    customer, agent = messages[CUSTOMER_ADDRESS], messages[FARID]
    manage = answer["links"]["manage"]
    assert manage in text_of(customer, "plain")
    assert f'href="{manage}"' in text_of(customer, "html")
    assert customer["To"].addresses[0].display_name == "Ann Smith"
    assert customer["Subject"].startswith("Your appointment on Wednesday 25 November 2026 at ")
    # Farid reads French first; his link is the desk's, never the customer's manage link.
    assert agent["Subject"].startswith("Nouveau rendez-vous : Ann Smith")
    desk = f"http://127.0.0.1:8000/desk/appointments/{appointment['id']}"
    for _, text in iter_text_parts(agent):
        assert manage_token_of(manage) not in text
    assert desk in text_of(agent, "plain")
    assert "ann@example.com" in text_of(agent, "plain")


def manage_token_of(link: str) -> str:
    return link.split("manage=", 1)[1]


def test_each_delivery_is_sent_once(client: TestClient, smtp: MailServer) -> None:
    booked(client)
    send_due(client)
    smtp.wait_for(2)

    assert send_due(client) == 0

    assert len(smtp.received) == 2
    assert {row["status"] for row in deliveries(client) if row["kind"].endswith("_reminder")} <= {
        "pending"
    }
    sent = [row for row in deliveries(client) if row["status"] == "sent"]
    assert sorted(row["kind"] for row in sent) == ["agent_new_appointment", "customer_confirmation"]


def test_a_request_gets_no_invitation_until_it_is_accepted(
    client: TestClient, smtp: MailServer
) -> None:
    # Mortgage by video waits for the advisor (auto_accept = false).
    answer = booked(client, "mortgage", "VIDEO", None, day=date(2026, 11, 26))
    assert answer["appointment"]["status"] == "requested"

    send_due(client)
    messages = by_recipient(smtp.wait_for(2))

    customer = messages[CUSTOMER_ADDRESS]
    assert structure(customer) == ["multipart/alternative", "text/plain", "text/html"]
    assert customer["Subject"].startswith("We received your request for")
    agent_address = next(address for address in messages if address != CUSTOMER_ADDRESS)
    agent = messages[agent_address]
    assert structure(agent) == ["multipart/alternative", "text/plain", "text/html"]
    assert "desk/appointments/" in text_of(agent, "plain")
    # No reminder is written for a request: it is not confirmed.
    assert not [row for row in deliveries(client) if row["kind"].endswith("_reminder")]


def test_cancelling_sends_an_itip_cancel_with_the_next_sequence(
    client: TestClient, smtp: MailServer
) -> None:
    answer = booked(client)
    send_due(client)
    smtp.wait_for(2)
    token = manage_token_of(answer["links"]["manage"])

    assert client.post(f"/api/v1/appointments/{token}/cancel").status_code == 200
    send_due(client)

    cancellations = by_recipient(smtp.wait_for(4)[2:])
    assert set(cancellations) == {CUSTOMER_ADDRESS, FARID}
    for address, message in cancellations.items():
        assert (
            next(p for p in message.walk() if p.get_content_type() == "text/calendar").get_param(
                "method"
            )
            == "CANCEL"
        )
        for calendar in calendar_parts(message):
            assert str(calendar["METHOD"]) == "CANCEL"
            (event,) = calendar.walk("VEVENT")
            assert str(event["UID"]) == f"{answer['appointment']['id']}@127.0.0.1"
            assert int(event["SEQUENCE"]) == 1
            assert str(event["STATUS"]) == "CANCELLED"
            assert str(event["ATTENDEE"]) == f"mailto:{address}"
    assert "is cancelled" in cancellations[CUSTOMER_ADDRESS]["Subject"]
    assert answer["links"]["manage"] in text_of(cancellations[CUSTOMER_ADDRESS], "plain")


def test_a_reschedule_updates_the_invitation_with_the_same_uid(
    client: TestClient, smtp: MailServer
) -> None:
    answer = booked(client)
    send_due(client)
    smtp.wait_for(2)
    token = manage_token_of(answer["links"]["manage"])
    later = offered(client, "car-insurance", "OFFICE", "brussels", first_day=TOMORROW, days=3)[-1]

    moved = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": later.isoformat()}
    )
    assert moved.status_code == 200, moved.text
    send_due(client)

    updates = by_recipient(smtp.wait_for(4)[2:])
    assert set(updates) == {CUSTOMER_ADDRESS, FARID}
    for message in updates.values():
        (calendar, attachment) = calendar_parts(message)
        assert calendar.to_ical() == attachment.to_ical()
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"{answer['appointment']['id']}@127.0.0.1"
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == later
    customer = text_of(updates[CUSTOMER_ADDRESS], "plain")
    assert "has moved from Wednesday 25 November 2026 at" in customer


HOSTILE = "<b>Ann</b>\r\nBcc: evil@attacker.example\r\n\r\n<script>alert(1)</script>"


def test_html_and_line_breaks_in_every_customer_field_stay_text(
    client: TestClient, smtp: MailServer
) -> None:
    customer = {
        "first_name": HOSTILE[:100],
        "last_name": "Smith\r\nX-Injected: yes",
        "email": CUSTOMER_ADDRESS,
        "phone": "+32 470 12 34 56",
        "language": "en",
    }
    location = {
        "street": "<img src=x onerror=alert(1)>\r\nBcc: evil@attacker.example",
        "postal_code": "1000",
        "city": "Brussels</td></tr>",
        "country": "BE",
    }
    start = offered(
        client, "home-insurance", "ON_LOCATION", "brussels", first_day=TOMORROW, days=4
    )[0]
    body = appointment_body("home-insurance", "ON_LOCATION", start, "brussels", location=location)
    body["customer"] = customer
    assert book(client, body).status_code == 201
    investments = appointment_body(
        "investments",
        "VIDEO",
        offered(client, "investments", "VIDEO", None, first_day=TOMORROW, days=3)[0],
        answers={"context": "<a href='https://attacker.example'>click</a>\r\nBcc: evil@x.example"},
    )
    investments["customer"] = customer
    assert book(client, investments).status_code == 201

    send_due(client)
    received = smtp.wait_for(4)

    for item in received:
        assert "evil@attacker.example" not in item.recipients
        assert "evil@x.example" not in item.recipients
        message = item.message
        for name in ("Bcc", "X-Injected", "Cc"):
            assert message[name] is None
        assert set(message.keys()) <= {
            "From",
            "To",
            "Reply-To",
            "Subject",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "X-Auto-Response-Suppress",
            "Content-Language",
            "MIME-Version",
            "Content-Type",
        }
        for header in ("Subject", "To"):
            assert "\r" not in str(message[header]) and "\n" not in str(message[header])
        html = text_of(message, "html")
        assert "<script>" not in html and "<b>Ann" not in html and "<img" not in html
        assert "&lt;script&gt;" in html or "&lt;b&gt;Ann" in html
        plain = text_of(message, "plain")
        assert "<b>Ann</b>" in plain  # text stays as typed, on one line
        assert "\nBcc:" not in plain
        for calendar in calendar_parts(message):
            (event,) = calendar.walk("VEVENT")
            assert "BCC" not in event and "X-INJECTED" not in event
            names = str(event["ATTENDEE"].params.get("CN", ""))
            assert "\r" not in names and "\n" not in names
            if item.recipients != [CUSTOMER_ADDRESS]:  # the agent's event is the customer's name
                assert str(event["SUMMARY"]).startswith("<b>Ann</b> Bcc: evil@attacker.example")
    agent_messages = [i.message for i in received if i.recipients != [CUSTOMER_ADDRESS]]
    details = "".join(text_of(m, "html") for m in agent_messages)
    assert "&lt;a href=&#39;https://attacker.example&#39;&gt;click&lt;/a&gt;" in details
    assert "&lt;img src=x onerror=alert(1)&gt;" in details
    assert "Brussels&lt;/td&gt;&lt;/tr&gt;" in details


def test_the_html_frame_has_no_remote_content(client: TestClient, smtp: MailServer) -> None:
    booked(client)
    send_due(client)
    for item in smtp.wait_for(2):
        html = text_of(item.message, "html")
        assert "src=" not in html and "<link" not in html and "<script" not in html
        assert "url(" not in html and "<style" not in html
        links = re.findall(r'href="([^"]*)"', html)
        assert links
        assert all(url.startswith(("http://127.0.0.1:8000/", "mailto:")) for url in links)
