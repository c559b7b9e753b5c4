"""One start is one offer (issue 13, item 1): two offices give one start two durations.

Tax advice by video comes from two offices; Antwerp overrides the duration to 45
minutes, Brussels keeps the subject's 30. Without an office, GET /slots lists each
start once, with the shortest duration, and what a hold or a booking gives is exactly
the duration it names (or, without one, what the slots answer showed).
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server._booking import error

TEN = "2026-11-25T10:00:00+01:00"  # Wednesday


CUSTOMER = {"first_name": "Eva", "last_name": "Maes", "email": "eva@example.com"}


pytestmark = pytest.mark.organisation("one_offer")


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def video_slots(api: TestClient, **params: str) -> list[dict[str, Any]]:
    query = {"subject": "tax", "meeting_type": "VIDEO", "from": "2026-11-25", "to": "2026-11-25"}
    response = api.get("/api/v1/slots", params={**query, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["slots"]
    return found


def book(api: TestClient, start: str = TEN, **extra: Any) -> Any:
    body = {"subject": "tax", "meeting_type": "VIDEO", "start": start, "customer": CUSTOMER}
    return api.post("/api/v1/appointments", json={**body, **extra})


def test_without_an_office_each_start_is_listed_once_with_the_shortest_duration(
    api: TestClient,
) -> None:
    found = video_slots(api)
    starts = [slot["start"] for slot in found]
    assert len(starts) == len(set(starts))
    ten = next(slot for slot in found if slot["start"] == TEN)
    assert ten == {"start": TEN, "end": "2026-11-25T10:30:00+01:00", "duration": 30}


def test_each_office_on_its_own_offers_its_own_duration(api: TestClient) -> None:
    assert {slot["duration"] for slot in video_slots(api, office="antwerp")} == {45}
    assert {slot["duration"] for slot in video_slots(api, office="brussels")} == {30}


def test_a_booking_without_a_duration_gets_what_the_slots_answer_showed(api: TestClient) -> None:
    response = book(api)
    assert response.status_code == 201, response.text
    appointment = response.json()["appointment"]
    assert (appointment["end"], appointment["office"]["id"]) == (
        "2026-11-25T10:30:00+01:00",
        "brussels",
    )


def test_a_booking_with_a_duration_considers_only_candidates_that_give_it(
    api: TestClient,
) -> None:
    response = book(api, duration=45)
    assert response.status_code == 201, response.text
    appointment = response.json()["appointment"]
    assert appointment["end"] == "2026-11-25T10:45:00+01:00"
    assert appointment["agent"]["id"] == "ann"
    # No office gives 60 minutes: nothing is booked.
    assert error(book(api, "2026-11-25T11:00:00+01:00", duration=60))[:2] == (
        409,
        "APPOINTMENT_NO_AVAILABILITY",
    )


def test_once_the_short_offer_is_booked_the_long_one_is_shown_and_booked(
    api: TestClient,
) -> None:
    assert book(api, duration=30).status_code == 201  # Bob at 10:00
    ten = next(slot for slot in video_slots(api) if slot["start"] == TEN)
    assert ten["duration"] == 45
    response = book(api, duration=ten["duration"])
    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["end"] == "2026-11-25T10:45:00+01:00"


def test_a_hold_keeps_its_duration_for_the_booking_that_uses_it(api: TestClient) -> None:
    hold = api.post(
        "/api/v1/holds",
        json={"subject": "tax", "meeting_type": "VIDEO", "start": TEN, "duration": 45},
    )
    assert hold.status_code == 201, hold.text
    token = hold.json()["hold"]
    # Another duration than the hold's is refused, and nothing is booked.
    assert error(book(api, hold=token, duration=30)) == (422, "VALIDATION_FAILED", ["$.hold"])
    response = book(api, hold=token)  # no duration: the hold's
    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["end"] == "2026-11-25T10:45:00+01:00"


def test_a_reschedule_may_name_the_duration_of_the_slot_it_moves_to(api: TestClient) -> None:
    booked = book(api, duration=30)
    token = booked.json()["links"]["manage"].split("manage=", 1)[1]
    moved = api.post(
        f"/api/v1/appointments/{token}/reschedule",
        json={"start": "2026-11-25T11:00:00+01:00", "duration": 45},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["appointment"]["end"] == "2026-11-25T11:45:00+01:00"
    times = api.get(f"/api/v1/appointments/{token}/slots?from=2026-11-25&to=2026-11-25").json()
    starts = [slot["start"] for slot in times["slots"]]
    assert len(starts) == len(set(starts))
    assert "2026-11-25T11:00:00+01:00" not in starts  # its own start is no move


@pytest.mark.parametrize(
    "duration",
    [
        pytest.param(0, id="zero"),
        pytest.param(1441, id="over-a-day"),
        pytest.param("45", id="text"),
    ],
)
def test_a_malformed_duration_is_refused_at_its_path(api: TestClient, duration: object) -> None:
    assert error(book(api, duration=duration)) == (422, "VALIDATION_FAILED", ["$.duration"])
