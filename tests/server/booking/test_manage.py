"""The manage link: show, cancel and reschedule an appointment through its token."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.booking import invites
from tests.server._booking import (
    CUSTOMER,
    appointment_body,
    book,
    error,
    iso,
    manage_token,
    offered,
    runtime,
)
from tests.support import NOW, Clock

pytestmark = [pytest.mark.organisation("manage"), pytest.mark.both_backends]

TOMORROW = date(2026, 11, 25)


def farids_starts(client: TestClient) -> list[datetime]:
    """Insurance at the Brussels office tomorrow: Farid alone, one customer at a time."""
    return offered(client, "insurance", "OFFICE", "brussels", first_day=TOMORROW, days=1)


def booked(client: TestClient, start: datetime) -> tuple[str, dict[str, Any]]:
    response = book(client, appointment_body("insurance", "OFFICE", start, "brussels"))
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
            "subject": "insurance",
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
        pytest.param({"start": "0001-01-01T00:00:00+01:00"}, "$.start", id="year-1"),
        pytest.param({"start": "9999-12-31T23:59:59-23:59"}, "$.start", id="year-9999"),
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
    client: TestClient, method: str, suffix: str, clock: Clock
) -> None:
    start = farids_starts(client)[0]
    token, _ = booked(client, start)
    body = {"start": iso(start)} if suffix == "/reschedule" else None

    tampered = client.request(method, f"/api/v1/appointments/{_tampered(token)}{suffix}", json=body)
    assert error(tampered)[:2] == (401, "TOKEN_INVALID")

    clock.set(start + timedelta(days=31))  # 30 days after the end, and then some
    expired = client.request(method, f"/api/v1/appointments/{token}{suffix}", json=body)
    assert error(expired)[:2] == (410, "TOKEN_EXPIRED")


def test_a_manage_token_of_an_unknown_appointment_is_not_found(client: TestClient) -> None:
    token = runtime(client).tokens.dumps("manage", {"a": "no-such-id"}, NOW + timedelta(days=1))

    assert error(client.get(f"/api/v1/appointments/{token}"))[:2] == (404, "NOT_FOUND")
    assert error(client.post(f"/api/v1/appointments/{token}/cancel"))[:2] == (404, "NOT_FOUND")


def test_a_token_of_another_kind_is_not_a_manage_token(client: TestClient) -> None:
    token = runtime(client).tokens.dumps("hold", {"a": "no-such-id"}, NOW + timedelta(days=1))

    assert error(client.get(f"/api/v1/appointments/{token}"))[:2] == (401, "TOKEN_INVALID")


# -- the link's lifetime follows the appointment --------------------------------------


def _moved_far_later(client: TestClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Booked tomorrow, then moved seven weeks on: (the first link's token, the
    appointment as booked, as moved)."""
    token, appointment = booked(client, farids_starts(client)[0])
    later = offered(client, "insurance", "OFFICE", "brussels", first_day=date(2027, 1, 13))
    response = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": iso(later[0])}
    )
    assert response.status_code == 200, response.text
    return token, appointment, response.json()["appointment"]


def test_the_first_manage_link_works_as_long_as_the_moved_appointment(
    client: TestClient, clock: Clock
) -> None:
    token, booked_first, moved = _moved_far_later(client)
    first_expiry = datetime.fromisoformat(booked_first["end"]) + timedelta(days=30)
    new_expiry = datetime.fromisoformat(moved["end"]) + timedelta(days=30)

    clock.set(first_expiry + timedelta(days=1))  # the link's own `exp` has passed
    shown = client.get(f"/api/v1/appointments/{token}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["appointment"]["start"] == moved["start"]
    assert client.get(f"/api/v1/appointments/{token}/calendar.ics").status_code == 200
    cancelled = client.post(f"/api/v1/appointments/{token}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["appointment"]["status"] == "cancelled"

    clock.set(new_expiry)
    assert error(client.get(f"/api/v1/appointments/{token}"))[:2] == (410, "TOKEN_EXPIRED")
    response = client.post(f"/api/v1/appointments/{token}/cancel")
    assert error(response)[:2] == (410, "TOKEN_EXPIRED")


def test_the_first_manage_link_can_move_the_appointment_again(
    client: TestClient, clock: Clock
) -> None:
    token, booked_first, moved = _moved_far_later(client)
    clock.set(datetime.fromisoformat(booked_first["end"]) + timedelta(days=31))
    again = datetime.fromisoformat(moved["start"]) + timedelta(days=7)

    response = client.post(f"/api/v1/appointments/{token}/reschedule", json={"start": iso(again)})

    assert response.status_code == 200, response.text


def test_a_link_expires_with_an_appointment_moved_earlier(client: TestClient, clock: Clock) -> None:
    later = offered(client, "insurance", "OFFICE", "brussels", first_day=date(2027, 1, 13))
    token, _ = booked(client, later[0])
    response = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": iso(farids_starts(client)[0])}
    )
    moved = response.json()["appointment"]

    clock.set(datetime.fromisoformat(moved["end"]) + timedelta(days=30))

    assert error(client.get(f"/api/v1/appointments/{token}"))[:2] == (410, "TOKEN_EXPIRED")


def test_an_old_token_of_an_unknown_appointment_is_expired(client: TestClient) -> None:
    token = runtime(client).tokens.dumps("manage", {"a": "no-such-id"}, NOW - timedelta(days=1))

    assert error(client.get(f"/api/v1/appointments/{token}"))[:2] == (410, "TOKEN_EXPIRED")


# -- GET /api/v1/appointments/{token}/slots: where this appointment can move -------------


def movable_starts(client: TestClient, token: str, **params: str) -> list[datetime]:
    query = {"from": "2026-11-25", "to": "2026-11-25", **params}
    response = client.get(f"/api/v1/appointments/{token}/slots", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return [datetime.fromisoformat(slot["start"]) for slot in response.json()["slots"]]


def test_times_that_overlap_the_appointment_itself_are_offered(client: TestClient) -> None:
    # Farid sees one customer at a time: /slots hides what overlaps his appointment.
    starts = farids_starts(client)
    token, _ = booked(client, starts[0])
    overlapping = starts[0] + timedelta(minutes=15)
    assert overlapping not in farids_starts(client)

    movable = movable_starts(client, token)

    assert overlapping in movable
    assert starts[0] not in movable  # its own start is not a move
    assert set(farids_starts(client)) <= set(movable)
    response = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": iso(overlapping)}
    )
    assert response.status_code == 200, response.text


def test_times_are_in_the_appointments_zone_unless_asked(client: TestClient) -> None:
    token, _ = booked(client, farids_starts(client)[0])
    query = {"from": "2026-11-25", "to": "2026-11-25"}

    own = client.get(f"/api/v1/appointments/{token}/slots", params=query).json()
    asked = client.get(
        f"/api/v1/appointments/{token}/slots", params={**query, "tz": "America/New_York"}
    ).json()

    assert own["timezone"] == "Europe/Brussels"
    assert own["slots"][0]["start"].endswith("+01:00")
    assert asked["timezone"] == "America/New_York"
    assert all(slot["start"].endswith("-05:00") for slot in asked["slots"])


def test_an_invite_booked_hidden_subject_gets_times_with_its_agent(client: TestClient) -> None:
    invite = invites.mint(
        runtime(client).tokens,
        agent="bob",
        subject="estate-planning",
        expires_at=NOW + timedelta(days=30),
    )
    slots = client.get(
        "/api/v1/slots",
        params={"invite": invite, "meeting_type": "OFFICE", "office": "brussels",
                "from": "2026-11-25", "to": "2026-11-25"},
    ).json()["slots"]  # fmt: skip
    body = {
        "subject": "estate-planning",
        "meeting_type": "OFFICE",
        "office": "brussels",
        "start": slots[0]["start"],
        "invite": invite,
        "customer": CUSTOMER,
    }
    response = client.post("/api/v1/appointments", json=body)
    assert response.status_code == 201, response.text
    token = manage_token(response)

    movable = movable_starts(client, token)

    assert movable
    assert datetime.fromisoformat(slots[0]["start"]) not in movable
    moved = client.post(
        f"/api/v1/appointments/{token}/reschedule", json={"start": iso(movable[-1])}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["appointment"]["agent"]["id"] == "bob"


def test_a_cancelled_appointment_has_no_times_to_move_to(client: TestClient) -> None:
    token, _ = booked(client, farids_starts(client)[0])
    client.post(f"/api/v1/appointments/{token}/cancel")

    response = client.get(
        f"/api/v1/appointments/{token}/slots", params={"from": "2026-11-25", "to": "2026-11-25"}
    )

    assert error(response) == (422, "VALIDATION_FAILED", ["$"])


def test_the_times_to_move_to_need_a_good_manage_token(client: TestClient, clock: Clock) -> None:
    start = farids_starts(client)[0]
    token, _ = booked(client, start)
    query = {"from": "2026-11-25", "to": "2026-11-25"}

    tampered = client.get(f"/api/v1/appointments/{_tampered(token)}/slots", params=query)
    assert error(tampered)[:2] == (401, "TOKEN_INVALID")
    # The token is checked before the query: a stranger learns nothing.
    assert error(client.get(f"/api/v1/appointments/{_tampered(token)}/slots"))[:2] == (
        401,
        "TOKEN_INVALID",
    )
    clock.set(start + timedelta(days=31))
    expired = client.get(f"/api/v1/appointments/{token}/slots", params=query)
    assert error(expired)[:2] == (410, "TOKEN_EXPIRED")


@pytest.mark.parametrize(
    ("query", "path"),
    [
        pytest.param({"to": "2026-11-25"}, "$.query.from", id="from-missing"),
        pytest.param({"from": "2026-11-26", "to": "2026-11-25"}, "$.query.to", id="backwards"),
        pytest.param({"from": "2026-11-25", "to": "2027-01-26"}, "$.query.to", id="over-62-days"),
        pytest.param({"from": "2026-11-25", "to": "soon"}, "$.query.to", id="not-a-date"),
        pytest.param(
            {"from": "2026-11-25", "to": "2026-11-25", "tz": "Mars/Olympus"},
            "$.query.tz",
            id="unknown-zone",
        ),
    ],
)
def test_a_bad_query_for_times_to_move_to_is_refused(
    client: TestClient, query: dict[str, str], path: str
) -> None:
    token, _ = booked(client, farids_starts(client)[0])

    response = client.get(f"/api/v1/appointments/{token}/slots", params=query)

    assert error(response) == (422, "VALIDATION_FAILED", [path])
