"""Outbound appointments (SPEC 11): the agent books a free time of their own for a
customer, who gets the confirmation with the manage link and the invitation, as if
they had booked themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests.server._booking import book
from tests.server.deliveries._mail import MailServer, calendar_parts
from tests.server.deliveries.conftest import appointment_body
from tests.server.desk._desk import (
    form_to,
    rows,
    send_due,
    sign_in_as,
    submit,
    text_of,
)

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank

BRUSSELS = ZoneInfo("Europe/Brussels")
CUSTOMER = {"first_name": "Bea", "last_name": "Peeters", "email": "bea@example.com"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BRUSSELS)


def form_page(subject: str, meeting_type: str, office: str, start: datetime) -> str:
    from urllib.parse import urlencode

    query = urlencode(
        {
            "subject": subject,
            "meeting_type": meeting_type,
            "office": office,
            "start": start.isoformat(),
        }
    )
    return f"/desk/book?{query}"


def book_for(client: TestClient, page: str, **data: Any) -> Any:
    return submit(client, page, "/desk/book", {**CUSTOMER, **data})


def appointments(client: TestClient) -> list[dict[str, Any]]:
    return [dict(row) for row in rows(client, "SELECT * FROM appointments ORDER BY created_at")]


def test_the_steps_lead_from_what_to_when_to_who(client: TestClient) -> None:
    sign_in_as(client, "alice")
    first = client.get("/desk/book").text
    assert "Car loan" in first and "Opening an account" in first
    assert "/desk/book?subject=car-loan&amp;meeting_type=PHONE&amp;office=brussels" in first
    assert "Saving" not in first  # not Alice's expertise

    week = client.get(
        "/desk/book",
        params={"subject": "new-account", "meeting_type": "OFFICE", "office": "brussels"},
    ).text
    assert "Times in Europe/Brussels." in week
    assert f"start={at(25, 10).isoformat()}".replace(":", "%3A").replace("+", "%2B") in week

    form = client.get(form_page("new-account", "OFFICE", "brussels", at(25, 10))).text
    assert 'name="first_name"' in form and 'name="key"' in form


def test_an_outbound_appointment_is_booked_and_the_customer_gets_the_confirmation(
    client: TestClient, smtp: MailServer
) -> None:
    send_due(client)
    sign_in_as(client, "alice")

    response = book_for(
        client, form_page("new-account", "OFFICE", "brussels", at(25, 10)), phone="+32 470 00 00 00"
    )

    assert response.status_code == 303
    (row,) = appointments(client)
    assert response.headers["location"] == f"/desk/appointments/{row['id']}?done=booked"
    assert (row["agent"], row["status"], row["subject"]) == ("alice", "confirmed", "new-account")
    send_due(client)
    (message,) = [r.message for r in smtp.received if "bea@example.com" in r.recipients]
    assert "http://127.0.0.1:8000/book?manage=" in text_of(message)
    assert str(calendar_parts(message)[0].get("METHOD")) == "REQUEST"
    assert [r for r in smtp.received if "alice@demobank.example" in r.recipients]


def test_a_request_type_is_confirmed_at_once_when_the_agent_books_it(client: TestClient) -> None:
    sign_in_as(client, "alice")
    page = form_page("mortgage", "VIDEO", "brussels", at(25, 11))
    response = book_for(client, page, **{"answer.amount": "250000", "answer.property": "buy"})
    assert response.status_code == 303
    (row,) = appointments(client)
    assert row["status"] == "confirmed"  # a customer's booking would be a request
    assert '"amount":250000' in row["answers"]


def test_a_subject_hidden_from_customers_can_be_booked_by_its_agent(client: TestClient) -> None:
    sign_in_as(client, "bob")
    response = book_for(client, form_page("estate-planning", "OFFICE", "brussels", at(25, 9, 30)))
    assert response.status_code == 303
    assert appointments(client)[0]["subject"] == "estate-planning"


def test_posting_the_form_twice_books_once(client: TestClient) -> None:
    sign_in_as(client, "alice")
    page = form_page("new-account", "OFFICE", "brussels", at(25, 10))
    shown = client.get(page).text
    fields = {k: v[0] for k, v in form_to(shown, "/desk/book").fields.items()} | CUSTOMER
    from tests.server.desk._desk import SAME_SITE

    first = client.post("/desk/book", data=fields, headers=SAME_SITE, follow_redirects=False)
    second = client.post("/desk/book", data=fields, headers=SAME_SITE, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(appointments(client)) == 1


def test_a_time_taken_meanwhile_books_nothing(client: TestClient) -> None:
    sign_in_as(client, "alice")
    page = form_page("new-account", "OFFICE", "brussels", at(25, 10))
    client.get(page)
    other = appointment_body("new-account", "OFFICE", at(25, 10), "brussels", agent="alice")
    assert book(client, other).status_code == 201

    response = book_for(client, page)

    assert response.status_code == 409
    assert "no longer free" in response.text
    assert len(appointments(client)) == 1


@pytest.mark.parametrize(
    ("page", "data", "field", "message"),
    [
        (
            ("new-account", "OFFICE", "brussels", at(25, 10)),
            {"first_name": ""},
            "first_name",
            "This is required",
        ),
        (
            ("new-account", "OFFICE", "brussels", at(25, 10)),
            {"email": "bea"},
            "email",
            "Enter an e-mail address",
        ),
        (
            ("new-account", "OFFICE", "brussels", at(25, 10)),
            {"last_name": "x" * 101},
            "last_name",
            "At most 100 characters",
        ),
        (("car-loan", "PHONE", "brussels", at(25, 10)), {"phone": ""}, "phone", "This is required"),
        (
            ("car-loan", "PHONE", "brussels", at(25, 10)),
            {"phone": "call me"},
            "phone",
            "Enter a phone number",
        ),
        (
            ("mortgage", "VIDEO", "brussels", at(25, 11)),
            {"answer.property": "buy"},
            "answer-amount",
            "This is required",
        ),
        (
            ("mortgage", "VIDEO", "brussels", at(25, 11)),
            {"answer.amount": "5", "answer.property": "buy"},
            "answer-amount",
            "At least 10000",
        ),
        (
            ("mortgage", "VIDEO", "brussels", at(25, 11)),
            {"answer.amount": "lots", "answer.property": "buy"},
            "answer-amount",
            "Enter a number",
        ),
        (
            ("mortgage", "VIDEO", "brussels", at(25, 11)),
            {"answer.amount": "250000", "answer.property": "boat"},
            "answer-property",
            "Choose one of the options",
        ),
        (
            ("new-account", "OFFICE", "brussels", at(25, 10)),
            {"start": "soon"},
            "start",
            "Choose one of the times",
        ),
        (
            ("new-account", "OFFICE", "brussels", at(25, 10)),
            {"subject": "savings"},
            "subject",
            "Choose one of the options",
        ),
    ],
)
def test_bad_input_is_a_clear_message_and_books_nothing(
    client: TestClient,
    page: tuple[str, str, str, datetime],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    sign_in_as(client, "alice")
    response = book_for(client, form_page(*page), **data)
    assert response.status_code == 422
    assert message in response.text
    assert appointments(client) == []


def test_an_address_is_required_at_the_customers_home(client: TestClient) -> None:
    sign_in_as(client, "farid")
    page = form_page("home-insurance", "ON_LOCATION", "brussels", at(27, 14))
    missing = book_for(client, page)
    assert missing.status_code == 422
    assert 'id="street-error"' in missing.text
    assert appointments(client) == []

    done = book_for(
        client, page, street="Kerkstraat 5", postal_code="1000", city="Brussel", country="be"
    )
    assert done.status_code == 303
    assert '"country":"BE"' in appointments(client)[0]["location"]
