"""POST /api/v1/holds: a short reservation that blocks the time for everyone else;
DELETE /api/v1/holds/{token}: the customer gives it back at once."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server._booking import (
    appointment_body,
    book,
    count_rows,
    error,
    iso,
    manage_token,
    offered,
    runtime,
)
from tests.support import NOW, Clock, another_client

pytestmark = [pytest.mark.organisation("holds"), pytest.mark.both_backends]

BRUSSELS = ZoneInfo("Europe/Brussels")


def hold(client: TestClient, **fields: Any) -> Any:
    return client.post("/api/v1/holds", json=fields)


def farids_first_start(client: TestClient) -> datetime:
    """Insurance at the Brussels office, tomorrow: Farid alone, one customer at a time."""
    return offered(client, "insurance", "OFFICE", "brussels", first_day=date(2026, 11, 25))[0]


def test_a_hold_answers_a_token_and_when_it_expires(client: TestClient) -> None:
    start = farids_first_start(client)

    response = hold(
        client, subject="insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    )

    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["hold"]
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(minutes=7)
    assert count_rows(client, "holds") == 1


def test_a_hold_blocks_the_time_for_everyone_else(client: TestClient) -> None:
    start = farids_first_start(client)
    fields = dict(subject="insurance", meeting_type="OFFICE", office="brussels")
    assert hold(client, **fields, start=iso(start)).status_code == 201

    assert error(hold(client, **fields, start=iso(start)))[:2] == (
        409,
        "APPOINTMENT_NO_AVAILABILITY",
    )
    assert start not in offered(client, "insurance", "OFFICE", "brussels")
    body = appointment_body("insurance", "OFFICE", start, "brussels")
    assert error(book(client, body))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")


def test_a_second_hold_for_the_last_capacity_is_refused(client: TestClient) -> None:
    # Emma may run two savings calls at once (max_concurrent = 2).
    start = offered(client, "savings", "PHONE", "brussels")[0]
    fields = dict(subject="savings", meeting_type="PHONE", office="brussels", start=iso(start))

    stranger = another_client(client, ("203.0.113.9", 1))

    answers = [hold(c, **fields).status_code for c in (client, client, stranger)]

    # (One client taking a third would release its own oldest: test_bots.py.)
    assert answers == [201, 201, 409]


def test_the_holder_books_with_the_hold(client: TestClient) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]

    response = book(client, appointment_body("insurance", "OFFICE", start, "brussels", hold=token))

    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["agent"]["id"] == "farid"
    # The hold is used: it neither books twice nor blocks anything any more.
    again = book(client, appointment_body("insurance", "OFFICE", start, "brussels", hold=token))
    assert error(again)[:2] == (409, "HOLD_EXPIRED")
    assert count_rows(client) == 1


def test_an_expired_hold_cannot_book_and_frees_the_time(client: TestClient, clock: Clock) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]

    clock.advance(minutes=7)
    response = book(client, appointment_body("insurance", "OFFICE", start, "brussels", hold=token))

    assert error(response)[:2] == (409, "HOLD_EXPIRED")
    assert count_rows(client) == 0
    assert start in offered(client, "insurance", "OFFICE", "brussels")


def test_a_hold_books_only_what_it_holds(client: TestClient) -> None:
    starts = offered(client, "insurance", "OFFICE", "brussels")
    token = hold(
        client,
        subject="insurance",
        meeting_type="OFFICE",
        office="brussels",
        start=iso(starts[0]),
    ).json()["hold"]

    body = appointment_body("insurance", "OFFICE", starts[1], "brussels", hold=token)

    assert error(book(client, body)) == (422, "VALIDATION_FAILED", ["$.hold"])


def test_a_tampered_hold_token_is_invalid(client: TestClient) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    body = appointment_body("insurance", "OFFICE", start, "brussels", hold=tampered)

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
    pytest.param({"start": "0001-01-01T00:00:00+01:00"}, *INVALID, "$.start", id="year-1"),
    pytest.param({"start": "9999-12-31T23:00:00-05:00"}, *INVALID, "$.start", id="year-9999"),
    pytest.param({"start": "1900-01-01T10:00:00+01:00"}, *INVALID, "$.start", id="year-1900"),
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
        "subject": "insurance",
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


def test_a_deeply_nested_hold_body_is_refused_not_a_crash(client: TestClient) -> None:
    deep = '{"subject": "insurance", "office": ' + "[" * 1000 + "]" * 1000 + "}"

    response = client.post(
        "/api/v1/holds", content=deep, headers={"Content-Type": "application/json"}
    )

    assert error(response)[:2] == (422, "VALIDATION_FAILED")


def test_a_retried_booking_with_a_hold_returns_the_first_answer(
    client: TestClient, clock: Clock
) -> None:
    start = farids_first_start(client)
    token = hold(
        client, subject="insurance", meeting_type="OFFICE", office="brussels", start=iso(start)
    ).json()["hold"]
    body = appointment_body("insurance", "OFFICE", start, "brussels", hold=token)
    headers = {"Idempotency-Key": "checkout-1"}
    first = book(client, body, headers=headers)

    clock.advance(minutes=30)  # the hold and its token are long gone
    retry = book(client, body, headers=headers)

    assert (retry.status_code, retry.content) == (201, first.content)
    assert count_rows(client) == 1


# -- DELETE /api/v1/holds/{token}: give the time back (an extension of SPEC 5) -------------

ALLOWED_ORIGIN = "http://127.0.0.1:8001"  # in the organisation's allowed_origins
STRANGER = "https://evil.example"
FARID = dict(subject="insurance", meeting_type="OFFICE", office="brussels")


def farids_hold(client: TestClient) -> tuple[datetime, str]:
    """Farid's first start tomorrow, held: with max_concurrent = 1 nobody else gets it."""
    start = farids_first_start(client)
    response = hold(client, **FARID, start=iso(start))
    assert response.status_code == 201, response.text
    token: str = response.json()["hold"]
    return start, token


def release(client: TestClient, token: str, **kwargs: Any) -> Any:
    return client.delete(f"/api/v1/holds/{token}", **kwargs)


def test_a_released_hold_frees_the_time_for_another_customer_at_once(
    client: TestClient,
) -> None:
    start, token = farids_hold(client)
    assert error(hold(client, **FARID, start=iso(start)))[:2] == TAKEN

    response = release(client, token)

    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert count_rows(client, "holds") == 0
    assert start in offered(client, "insurance", "OFFICE", "brussels")
    # Another customer holds the time and books it, with no wait for an expiry.
    other = hold(client, **FARID, start=iso(start))
    assert other.status_code == 201, other.text
    body = appointment_body("insurance", "OFFICE", start, "brussels", hold=other.json()["hold"])
    assert book(client, body).status_code == 201
    # The released token can no longer book: its hold is gone.
    mine = appointment_body("insurance", "OFFICE", start, "brussels", hold=token)
    assert error(book(client, mine))[:2] == (409, "HOLD_EXPIRED")


def test_a_released_hold_frees_the_time_for_a_booking_without_a_hold(client: TestClient) -> None:
    start, token = farids_hold(client)
    assert release(client, token).status_code == 204

    response = book(client, appointment_body("insurance", "OFFICE", start, "brussels"))

    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["agent"]["id"] == "farid"


def test_releasing_is_idempotent(client: TestClient) -> None:
    start, token = farids_hold(client)

    answers = [release(client, token) for _ in range(3)]

    assert [(r.status_code, r.content) for r in answers] == [(204, b"")] * 3
    assert count_rows(client, "holds") == 0
    assert start in offered(client, "insurance", "OFFICE", "brussels")


def test_an_expired_or_unknown_hold_has_nothing_to_release(
    client: TestClient, clock: Clock
) -> None:
    start, token = farids_hold(client)
    later = NOW + timedelta(minutes=8)
    unknown = runtime(client).tokens.dumps("hold", {"h": "no-such-hold"}, later + timedelta(1))

    clock.set(later)  # the hold and its token (same expiry) ran out

    assert release(client, token).status_code == 204
    assert release(client, unknown).status_code == 204
    assert start in offered(client, "insurance", "OFFICE", "brussels")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"), id="tampered"
        ),
        pytest.param(lambda token: "not-a-token", id="garbage"),
        pytest.param(lambda token: token.replace(".", "", 1), id="mangled"),
    ],
)
def test_a_tampered_token_is_refused_and_releases_nothing(client: TestClient, forge: Any) -> None:
    start, token = farids_hold(client)

    response = release(client, forge(token))

    assert error(response) == (401, "TOKEN_INVALID", [])
    assert response.json()["error"]["message"]
    assert count_rows(client, "holds") == 1
    assert start not in offered(client, "insurance", "OFFICE", "brussels")


def test_another_kind_of_token_is_not_a_hold(client: TestClient) -> None:
    start, token = farids_hold(client)
    booked = book(client, appointment_body("insurance", "OFFICE", start, "brussels", hold=token))
    manage = manage_token(booked)

    assert error(release(client, manage))[:2] == (401, "TOKEN_INVALID")
    assert count_rows(client) == 1


def test_a_hold_used_by_a_booking_is_not_released(client: TestClient) -> None:
    start, token = farids_hold(client)
    booked = book(client, appointment_body("insurance", "OFFICE", start, "brussels", hold=token))
    assert booked.status_code == 201, booked.text

    response = release(client, token)

    assert response.status_code == 204
    assert count_rows(client, "holds") == 1  # kept, used: it records the booking
    shown = client.get(f"/api/v1/appointments/{manage_token(booked)}")
    assert shown.status_code == 200
    assert shown.json()["appointment"]["status"] == "confirmed"
    assert datetime.fromisoformat(shown.json()["appointment"]["start"]) == start
    # The time is still taken.
    assert start not in offered(client, "insurance", "OFFICE", "brussels")
    assert error(hold(client, **FARID, start=iso(start)))[:2] == TAKEN
    other = book(client, appointment_body("insurance", "OFFICE", start, "brussels"))
    assert error(other)[:2] == TAKEN
    assert count_rows(client) == 1


def test_a_preflight_for_a_release_allows_delete(client: TestClient) -> None:
    _, token = farids_hold(client)
    headers = {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "DELETE"}

    preflight = client.options(f"/api/v1/holds/{token}", headers=headers)

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    methods = preflight.headers["access-control-allow-methods"].split(", ")
    assert "DELETE" in methods
    response = release(client, token, headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert count_rows(client, "holds") == 0


def test_a_stranger_cannot_release_a_hold(client: TestClient) -> None:
    start, token = farids_hold(client)
    headers = {"Origin": STRANGER, "Access-Control-Request-Method": "DELETE"}

    preflight = client.options(f"/api/v1/holds/{token}", headers=headers)
    response = release(client, token, headers={"Origin": STRANGER})

    assert error(preflight)[:2] == (403, "ORIGIN_NOT_ALLOWED")
    assert error(response)[:2] == (403, "ORIGIN_NOT_ALLOWED")
    assert "access-control-allow-origin" not in response.headers
    assert count_rows(client, "holds") == 1
    assert start not in offered(client, "insurance", "OFFICE", "brussels")


def test_releases_count_against_the_rate_limit(settings: Settings) -> None:
    limited = dataclasses.replace(settings, rate_limit_per_minute=2)
    with TestClient(create_app(limited), base_url="http://127.0.0.1:8000") as client:
        statuses = [release(client, "not-a-token").status_code for _ in range(3)]
        assert statuses == [401, 401, 429]
        assert error(release(client, "not-a-token"))[:2] == (429, "RATE_LIMITED")


def test_the_release_is_described_in_openapi(client: TestClient) -> None:
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/holds/{token}"]
    delete = operation["delete"]
    assert set(delete["responses"]) == {"204", "401", "403", "413", "429"}
    assert "content" not in delete["responses"]["204"]
    assert delete["responses"]["401"]["x-error-codes"] == ["TOKEN_INVALID"]
    assert "SPEC 5" in delete["description"]
