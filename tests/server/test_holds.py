"""POST /api/v1/holds: a short reservation that blocks the time for everyone else."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests.server._booking import (
    NOW,
    appointment_body,
    book,
    count_rows,
    error,
    freeze,
    iso,
    offered,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def client(client: TestClient) -> TestClient:
    freeze(client)
    return client


def hold(client: TestClient, **fields: Any) -> Any:
    return client.post("/api/v1/holds", json=fields)


def farids_first_start(client: TestClient) -> datetime:
    """Car insurance at the Brussels office, tomorrow: Farid alone, one customer at a time."""
    return offered(client, "car-insurance", "OFFICE", "brussels", first_day=date(2026, 11, 25))[0]


def test_a_hold_answers_a_token_and_when_it_expires(client: TestClient) -> None:
    start = farids_first_start(client)

    response = hold(
        client, subject="car-insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    )

    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["hold"]
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(minutes=7)
    assert count_rows(client, "holds") == 1


def test_a_hold_blocks_the_time_for_everyone_else(client: TestClient) -> None:
    start = farids_first_start(client)
    fields = dict(subject="car-insurance", meeting_type="OFFICE", office="brussels")
    assert hold(client, **fields, start=iso(start)).status_code == 201

    assert error(hold(client, **fields, start=iso(start)))[:2] == (
        409,
        "APPOINTMENT_NO_AVAILABILITY",
    )
    assert start not in offered(client, "car-insurance", "OFFICE", "brussels")
    body = appointment_body("car-insurance", "OFFICE", start, "brussels")
    assert error(book(client, body))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")


def test_a_second_hold_for_the_last_capacity_is_refused(client: TestClient) -> None:
    # Emma may run two savings calls at once (max_concurrent = 2).
    start = offered(client, "savings", "PHONE", "brussels")[0]
    fields = dict(subject="savings", meeting_type="PHONE", office="brussels", start=iso(start))

    answers = [hold(client, **fields).status_code for _ in range(3)]

    assert answers == [201, 201, 409]


def test_the_holder_books_with_the_hold(client: TestClient) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="car-insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]

    response = book(
        client, appointment_body("car-insurance", "OFFICE", start, "brussels", hold=token)
    )

    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["agent"]["id"] == "farid"
    # The hold is used: it neither books twice nor blocks anything any more.
    again = book(client, appointment_body("car-insurance", "OFFICE", start, "brussels", hold=token))
    assert error(again)[:2] == (409, "HOLD_EXPIRED")
    assert count_rows(client) == 1


def test_an_expired_hold_cannot_book_and_frees_the_time(client: TestClient) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="car-insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]

    freeze(client, NOW + timedelta(minutes=7))
    response = book(
        client, appointment_body("car-insurance", "OFFICE", start, "brussels", hold=token)
    )

    assert error(response)[:2] == (409, "HOLD_EXPIRED")
    assert count_rows(client) == 0
    assert start in offered(client, "car-insurance", "OFFICE", "brussels")


def test_a_hold_books_only_what_it_holds(client: TestClient) -> None:
    starts = offered(client, "car-insurance", "OFFICE", "brussels")
    token = hold(
        client,
        subject="car-insurance",
        meeting_type="OFFICE",
        office="brussels",
        start=iso(starts[0]),
    ).json()["hold"]

    body = appointment_body("car-insurance", "OFFICE", starts[1], "brussels", hold=token)

    assert error(book(client, body)) == (422, "VALIDATION_FAILED", ["$.hold"])


def test_a_tampered_hold_token_is_invalid(client: TestClient) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="car-insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    body = appointment_body("car-insurance", "OFFICE", start, "brussels", hold=tampered)

    assert error(book(client, body))[:2] == (401, "TOKEN_INVALID")


INVALID = (422, "VALIDATION_FAILED")
MISSING = (404, "NOT_FOUND")
FORGED = (401, "TOKEN_INVALID")
TAKEN = (409, "APPOINTMENT_NO_AVAILABILITY")
BAD_HOLDS = [
    pytest.param({"subject": "boat"}, *MISSING, "$.subject", id="unknown-subject"),
    pytest.param({"office": "paris"}, *MISSING, "$.office", id="unknown-office"),
    pytest.param({"agent": "zoe"}, *MISSING, "$.agent", id="unknown-agent"),
    pytest.param({"start": "2026-11-25 10:00"}, *INVALID, "$.start", id="no-offset"),
    pytest.param({"start": "soon"}, *INVALID, "$.start", id="not-a-time"),
    pytest.param({"meeting_type": "PHONE"}, *INVALID, "$.meeting_type", id="not-offered"),
    pytest.param({"office": None}, *INVALID, "$.office", id="office-missing"),
    pytest.param({"colour": "red"}, *INVALID, "$", id="unknown-field"),
    pytest.param({"subject": "a b"}, *INVALID, "$.subject", id="not-an-id"),
    pytest.param({"invite": "forged"}, *FORGED, None, id="forged-invite"),
    pytest.param({"start": "2026-11-25T03:00:00+01:00"}, *TAKEN, None, id="night"),
]


@pytest.mark.parametrize(("fields", "status", "code", "path"), BAD_HOLDS)
def test_bad_holds_are_refused_with_their_path(
    client: TestClient, fields: dict[str, Any], status: int, code: str, path: str | None
) -> None:
    body: dict[str, Any] = {
        "subject": "mortgage",
        "meeting_type": "OFFICE",
        "office": "brussels",
        "start": "2026-11-25T10:00:00+01:00",
    }
    body.update(fields)
    body = {key: value for key, value in body.items() if value is not None}

    response = client.post("/api/v1/holds", json=body)

    assert error(response)[:2] == (status, code), response.text
    if path is not None:
        assert path in error(response)[2]
    assert count_rows(client, "holds") == 0


def test_a_retried_booking_with_a_hold_returns_the_first_answer(client: TestClient) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="car-insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]
    body = appointment_body("car-insurance", "OFFICE", start, "brussels", hold=token)
    headers = {"Idempotency-Key": "checkout-1"}
    first = book(client, body, headers=headers)

    freeze(client, NOW + timedelta(minutes=30))  # the hold and its token are long gone
    retry = book(client, body, headers=headers)

    assert (retry.status_code, retry.content) == (201, first.content)
    assert count_rows(client) == 1
