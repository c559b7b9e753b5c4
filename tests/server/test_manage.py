"""The manage link: show, cancel and reschedule an appointment through its token."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server._booking import (
    NOW,
    appointment_body,
    book,
    error,
    freeze,
    iso,
    manage_token,
    offered,
    runtime,
)

TOMORROW = date(2026, 11, 25)


@pytest.fixture
def client(client: TestClient) -> TestClient:
    freeze(client)
    return client


def farids_starts(client: TestClient) -> list[datetime]:
    """Car insurance at the Brussels office: Farid alone, one customer at a time."""
    return offered(client, "car-insurance", "OFFICE", "brussels", first_day=TOMORROW, days=1)


def booked(client: TestClient, start: datetime) -> tuple[str, dict[str, Any]]:
    response = book(client, appointment_body("car-insurance", "OFFICE", start, "brussels"))
    assert response.status_code == 201, response.text
    return manage_token(response), response.json()["appointment"]


def test_the_manage_token_shows_the_appointment(client: TestClient) -> None:
    token, appointment = booked(client, farids_starts(client)[0])

    response = client.get(f"/api/v1/appointments/{token}")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["appointment"] == appointment
    assert response.json()["links"]["manage"].endswith(token)


def test_cancelling_frees_the_time_at_once(client: TestClient) -> None:
    start = farids_starts(client)[0]
    token, appointment = booked(client, start)
    assert start not in farids_starts(client)

    response = client.post(f"/api/v1/appointments/{token}/cancel")

    assert response.status_code == 200
    cancelled = response.json()["appointment"]
    assert cancelled["id"] == appointment["id"]
    assert cancelled["status"] == "cancelled"
    assert cancelled["sequence"] == 1
    assert start in farids_starts(client)
    assert client.get(f"/api/v1/appointments/{token}").json()["appointment"] == cancelled


def test_cancelling_twice_changes_nothing_more(client: TestClient) -> None:
    token, _ = booked(client, farids_starts(client)[0])
    first = client.post(f"/api/v1/appointments/{token}/cancel")

    second = client.post(f"/api/v1/appointments/{token}/cancel")

    assert second.status_code == 200
    assert second.json() == first.json()


def test_rescheduling_moves_the_same_appointment(client: TestClient) -> None:
    old, new = farids_starts(client)[0], farids_starts(client)[4]
    token, appointment = booked(client, old)

    response = client.post(f"/api/v1/appointments/{token}/reschedule", json={"start": iso(new)})

    assert response.status_code == 200, response.text
    moved = response.json()["appointment"]
    assert moved["id"] == appointment["id"]
    assert moved["sequence"] == 1
    assert datetime.fromisoformat(moved["start"]) == new
    assert moved["status"] == "confirmed"
    starts = farids_starts(client)
    assert old in starts
    assert new not in starts
    # The answer's links carry a token valid for the new time; the old one still works.
    assert client.get(f"/api/v1/appointments/{token}").json()["appointment"] == moved


def test_rescheduling_into_its_own_time_is_allowed(client: TestClient) -> None:
    # The appointment does not block its own move (Farid sees one customer at a time).
    starts = farids_starts(client)
    token, _ = booked(client, starts[0])

    later = starts[0] + timedelta(minutes=15)  # overlaps the old time (30 minutes long)
    response = client.post(f"/api/v1/appointments/{token}/reschedule", json={"start": iso(later)})

    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["appointment"]["start"]) == later


def test_rescheduling_to_a_taken_time_changes_nothing(client: TestClient) -> None:
    starts = farids_starts(client)
    token, appointment = booked(client, starts[0])
    booked(client, starts[4])

    response = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": iso(starts[4])}
    )

    assert error(response)[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")
    assert client.get(f"/api/v1/appointments/{token}").json()["appointment"] == appointment


def test_a_cancelled_appointment_cannot_be_rescheduled(client: TestClient) -> None:
    starts = farids_starts(client)
    token, _ = booked(client, starts[0])
    client.post(f"/api/v1/appointments/{token}/cancel")

    response = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": iso(starts[4])}
    )

    assert error(response)[:2] == (422, "VALIDATION_FAILED")
    assert "cancelled appointment cannot be rescheduled" in response.json()["error"]["message"]


def test_rescheduling_with_a_hold_on_the_new_time(client: TestClient) -> None:
    starts = farids_starts(client)
    token, _ = booked(client, starts[0])
    hold = client.post(
        "/api/v1/holds",
        json={
            "subject": "car-insurance",
            "meeting_type": "OFFICE",
            "office": "brussels",
            "start": iso(starts[4]),
        },
    ).json()["hold"]

    response = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": iso(starts[4]), "hold": hold}
    )

    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["appointment"]["start"]) == starts[4]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param({"start": "tomorrow"}, "$.start", id="not-a-time"),
        pytest.param({"start": "2026-11-26T10:00:00"}, "$.start", id="no-offset"),
        pytest.param({}, "$", id="start-missing"),
        pytest.param(
            {"start": "2026-11-26T10:00:00+01:00", "agent": "bob"}, "$", id="unknown-field"
        ),
    ],
)
def test_a_bad_reschedule_body_is_refused(
    client: TestClient, body: dict[str, Any], path: str
) -> None:
    token, _ = booked(client, farids_starts(client)[0])

    response = client.post(f"/api/v1/appointments/{token}/reschedule", json=body)

    assert error(response) == (422, "VALIDATION_FAILED", [path])


def _tampered(token: str) -> str:
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        pytest.param("GET", "", id="show"),
        pytest.param("POST", "/cancel", id="cancel"),
        pytest.param("POST", "/reschedule", id="reschedule"),
        pytest.param("GET", "/calendar.ics", id="calendar"),
    ],
)
def test_a_tampered_or_expired_manage_token_is_refused(
    client: TestClient, method: str, suffix: str
) -> None:
    start = farids_starts(client)[0]
    token, _ = booked(client, start)
    body = {"start": iso(start)} if suffix == "/reschedule" else None

    tampered = client.request(method, f"/api/v1/appointments/{_tampered(token)}{suffix}", json=body)
    assert error(tampered)[:2] == (401, "TOKEN_INVALID")

    freeze(client, start + timedelta(days=31))  # 30 days after the end, and then some
    expired = client.request(method, f"/api/v1/appointments/{token}{suffix}", json=body)
    assert error(expired)[:2] == (410, "TOKEN_EXPIRED")


def test_a_manage_token_of_an_unknown_appointment_is_not_found(client: TestClient) -> None:
    token = runtime(client).tokens.dumps("manage", {"a": "no-such-id"}, NOW + timedelta(days=1))

    assert error(client.get(f"/api/v1/appointments/{token}"))[:2] == (404, "NOT_FOUND")
    assert error(client.post(f"/api/v1/appointments/{token}/cancel"))[:2] == (404, "NOT_FOUND")


def test_a_token_of_another_kind_is_not_a_manage_token(client: TestClient) -> None:
    token = runtime(client).tokens.dumps("hold", {"a": "no-such-id"}, NOW + timedelta(days=1))

    assert error(client.get(f"/api/v1/appointments/{token}"))[:2] == (401, "TOKEN_INVALID")
