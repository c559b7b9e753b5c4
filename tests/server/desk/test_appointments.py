"""My appointments (SPEC 11): the agent's own upcoming appointments, requests first,
filtered by day, in the office's zone; another agent's appointment is not found; an
office manager sees the whole office."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests.server.desk._desk import booked, sign_in_as

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BRUSSELS)


@pytest.fixture
def booked_week(client: TestClient) -> dict[str, dict[str, object]]:
    return {
        "alice_car": booked(client, "car-loan", "OFFICE", at(26, 10), "brussels", agent="alice"),
        "alice_request": booked(client, "mortgage", "VIDEO", at(27, 11), "brussels", agent="alice"),
        "emma": booked(client, "new-account", "OFFICE", at(25, 10), "brussels", agent="emma"),
        "chloe": booked(client, "savings", "OFFICE", at(25, 10), "antwerp", agent="chloe"),
    }


def test_an_agent_sees_their_upcoming_appointments_requests_first(
    client: TestClient, booked_week: dict[str, dict[str, object]]
) -> None:
    sign_in_as(client, "alice")
    page = client.get("/desk/appointments").text

    request_at = page.index(str(booked_week["alice_request"]["id"]))
    confirmed_at = page.index(str(booked_week["alice_car"]["id"]))
    assert request_at < confirmed_at  # the request first, though it is later
    assert "Requests waiting for an answer (1)" in page
    assert str(booked_week["emma"]["id"]) not in page
    assert str(booked_week["chloe"]["id"]) not in page
    # customer, subject, meeting type, office and address, answers, status, local time
    assert "Ann Smith: Car loan" in page
    assert "Ann Smith: Mortgage" in page
    assert "Video call" in page and "At the office" in page
    assert "Brussels Centre" in page and "Rue Neuve 1, 1000 Brussels, BE" in page
    assert "How much would you like to borrow (EUR)?" in page and "250000" in page
    assert "Buying" in page  # a select answer by its label
    assert "Thursday 26 November 2026 at 10:00" in page
    assert "(Europe/Brussels)" in page


def test_the_list_can_show_one_day(
    client: TestClient, booked_week: dict[str, dict[str, object]]
) -> None:
    sign_in_as(client, "alice")
    page = client.get("/desk/appointments", params={"day": "2026-11-27"}).text
    assert str(booked_week["alice_request"]["id"]) in page
    assert str(booked_week["alice_car"]["id"]) not in page

    bad = client.get("/desk/appointments", params={"day": "27/11/2026"})
    assert bad.status_code == 422
    assert "Enter a date" in bad.text


def test_one_appointment_shows_everything_the_agent_needs(
    client: TestClient, booked_week: dict[str, dict[str, object]]
) -> None:
    sign_in_as(client, "alice")
    page = client.get(f"/desk/appointments/{booked_week['alice_request']['id']}")
    assert page.status_code == 200
    assert "ann@example.com" in page.text
    assert "+32 470 12 34 56" in page.text
    assert "https://meet.demobank.example/r/" in page.text
    assert "/accept" in page.text and "/decline" in page.text  # a request's actions


def test_another_agents_appointment_is_not_found(
    client: TestClient, booked_week: dict[str, dict[str, object]]
) -> None:
    sign_in_as(client, "alice")
    emma = client.get(f"/desk/appointments/{booked_week['emma']['id']}")
    nothing = client.get("/desk/appointments/no-such-appointment")
    assert emma.status_code == nothing.status_code == 404
    # nothing tells the two apart (but the address, which each page names)
    assert emma.text.replace(str(booked_week["emma"]["id"]), "ID") == nothing.text.replace(
        "no-such-appointment", "ID"
    )
    for action in ("cancel", "decline", "reschedule", "reassign"):
        assert (
            client.get(f"/desk/appointments/{booked_week['emma']['id']}/{action}").status_code
            == 404
        )


def test_a_manager_sees_every_appointment_of_their_office_only(
    client: TestClient, booked_week: dict[str, dict[str, object]]
) -> None:
    sign_in_as(client, "jan")  # manages Brussels
    page = client.get("/desk/appointments").text
    for key in ("alice_car", "alice_request", "emma"):
        assert str(booked_week[key]["id"]) in page
    assert "Alice Peeters" in page and "Emma Lambert" in page  # whose they are
    assert str(booked_week["chloe"]["id"]) not in page
    assert client.get(f"/desk/appointments/{booked_week['chloe']['id']}").status_code == 404


def test_the_desk_speaks_the_agents_language_and_can_switch(
    client: TestClient, booked_week: dict[str, dict[str, object]]
) -> None:
    sign_in_as(client, "chloe", language=None)  # languages fr, nl, en
    page = client.get("/desk/appointments")
    assert '<html lang="fr"' in page.text
    from tests.server.desk._desk import submit

    switched = submit(
        client,
        "/desk/appointments",
        "/desk/language",
        {"language": "de", "back": "/desk/appointments"},
    )
    assert switched.status_code == 303
    assert '<html lang="de"' in client.get("/desk/appointments").text
