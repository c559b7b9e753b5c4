"""Time off on the desk (SPEC 11): whole local days or a time range, busy time for the
engine at once (slots and bookings, reason TIME_OFF), daylight-saving days, the question
asked before saving time off over appointments, managers, and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from availability import TIME_OFF, Busy, Interval
from server import config, doctor
from tests.server._booking import book, error, offered, runtime
from tests.server.deliveries.conftest import appointment_body
from tests.server.desk._desk import SAME_SITE, booked, rows, sign_in_as, submit
from tests.support import DEMO as DEMO_CONFIG
from tests.support import NOW

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank

BRUSSELS = ZoneInfo("Europe/Brussels")
DAYS = {"kind": "days"}
HOURS = {"kind": "hours"}


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def add(client: TestClient, kind: dict[str, str], page: str = "/desk/time-off", **data: str) -> Any:
    return submit(client, page, "/desk/time-off", data, where=kind)


def entries(client: TestClient) -> list[dict[str, Any]]:
    return [dict(row) for row in rows(client, "SELECT * FROM time_off ORDER BY start_utc")]


def alices_new_account_starts(client: TestClient, day: date) -> list[datetime]:
    return offered(client, "new-account", "OFFICE", "brussels", "alice", first_day=day, days=1)


def test_a_day_off_removes_that_day_from_the_slots_and_refuses_its_bookings(
    client: TestClient,
) -> None:
    wednesday, thursday = date(2026, 11, 25), date(2026, 11, 26)
    assert alices_new_account_starts(client, wednesday)
    sign_in_as(client, "alice")

    response = add(client, DAYS, first_day="2026-11-25", note="Dentist")

    assert response.status_code == 303
    assert alices_new_account_starts(client, wednesday) == []
    assert alices_new_account_starts(client, thursday)
    refused = book(
        client, appointment_body("new-account", "OFFICE", at(25, 10), "brussels", agent="alice")
    )
    assert error(refused)[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")
    (row,) = entries(client)
    assert (row["agent"], row["created_by"], row["note"], row["whole_days"]) == (
        "alice",
        "alice",
        "Dentist",
        1,
    )
    assert row["timezone"] == "Europe/Brussels"
    assert datetime.fromtimestamp(row["start_utc"], UTC) == at(25, 0)
    assert datetime.fromtimestamp(row["end_utc"], UTC) == at(26, 0)


def test_a_time_range_removes_exactly_the_slots_it_overlaps(client: TestClient) -> None:
    wednesday = date(2026, 11, 25)
    before = alices_new_account_starts(client, wednesday)
    sign_in_as(client, "alice")

    assert (
        add(client, HOURS, day="2026-11-25", start_time="10:00", end_time="11:00").status_code
        == 303
    )

    after = alices_new_account_starts(client, wednesday)
    removed = sorted(set(before) - set(after))
    # 20-minute slots every 10 minutes: those from 09:50 (until 10:10) to 10:50 overlap;
    # 09:40 ends as the time off begins, 11:00 begins as it ends.
    assert removed == [at(25, 9, 50) + timedelta(minutes=10 * k) for k in range(7)]
    assert at(25, 9, 40) in after and at(25, 11, 0) in after
    assert set(after) <= set(before)


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        pytest.param("2027-03-28", 23, id="spring-forward-sunday"),
        pytest.param("2027-10-31", 25, id="autumn-back-sunday"),
        pytest.param("2027-03-27", 24, id="the-saturday-before"),
    ],
)
def test_a_whole_day_is_the_local_day_however_long(
    client: TestClient, day: str, hours: int
) -> None:
    sign_in_as(client, "alice")
    assert add(client, DAYS, first_day=day).status_code == 303
    (row,) = entries(client)
    assert row["end_utc"] - row["start_utc"] == hours * 3600
    start = datetime.fromtimestamp(row["start_utc"], UTC).astimezone(BRUSSELS)
    assert (start.date().isoformat(), start.hour, start.minute) == (day, 0, 0)


def test_time_off_over_appointments_asks_first_and_then_lists_them(client: TestClient) -> None:
    appointment = booked(client, "new-account", "OFFICE", at(25, 10), "brussels", agent="alice")
    sign_in_as(client, "alice")

    asked = add(client, DAYS, first_day="2026-11-25")

    assert asked.status_code == 409
    assert "1 appointment(s) fall in this time off" in asked.text
    assert "Nothing is cancelled for you" in asked.text
    assert entries(client) == []
    again = client.post(
        "/desk/time-off",
        data={**_replayed(asked.text), "confirm": "1"},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert again.status_code == 303
    page = client.get(again.headers["location"]).text
    assert f"/desk/appointments/{appointment['id']}/reschedule" in page
    assert f"/desk/appointments/{appointment['id']}/reassign" in page
    assert f"/desk/appointments/{appointment['id']}/cancel" in page
    assert rows(client, "SELECT status FROM appointments")[0]["status"] == "confirmed"


def _replayed(html: str) -> dict[str, str]:
    from tests.server.desk._desk import forms

    (found,) = [f for f in forms(html) if "confirm" in f.fields]
    return {name: values[0] for name, values in found.fields.items()}


def test_a_manager_sets_time_off_for_an_agent_of_their_office(client: TestClient) -> None:
    sign_in_as(client, "jan")
    page = client.get("/desk/time-off", params={"agent": "alice"})
    assert "Time off of Alice Peeters" in page.text
    assert (
        add(client, DAYS, page="/desk/time-off?agent=alice", first_day="2026-11-27").status_code
        == 303
    )
    (row,) = entries(client)
    assert (row["agent"], row["created_by"]) == ("alice", "jan")

    sign_in_as(client, "alice")
    listed = client.get("/desk/time-off").text
    assert "Friday 27 November 2026" in listed
    assert "Set by Jan De Smet" in listed

    sign_in_as(client, "jan")
    assert client.get("/desk/time-off", params={"agent": "chloe"}).status_code == 404  # Antwerp


def test_another_agent_cannot_see_or_remove_it(client: TestClient) -> None:
    sign_in_as(client, "alice")
    saved = add(client, DAYS, first_day="2026-11-27", note="Gone fishing")
    entry = saved.headers["location"].split("?")[0]

    session = sign_in_as(client, "emma")
    assert client.get(entry).status_code == 404
    assert client.get("/desk/time-off", params={"agent": "alice"}).status_code == 404
    assert "Gone fishing" not in client.get("/desk/time-off").text
    path = entry + "/remove"
    csrf = runtime(client).tokens.dumps(
        "desk_form", {"s": session.id, "a": path}, session.expires_at
    )
    assert client.post(path, data={"csrf": csrf}, headers=SAME_SITE).status_code == 404
    assert len(entries(client)) == 1


def test_an_entry_can_be_changed_and_removed(client: TestClient) -> None:
    sign_in_as(client, "alice")
    entry = add(client, DAYS, first_day="2026-11-27").headers["location"].split("?")[0]

    changed = submit(client, entry, entry, {"first_day": "2026-11-30", "last_day": "2026-12-01"})
    assert changed.status_code == 303
    (row,) = entries(client)
    assert datetime.fromtimestamp(row["start_utc"], UTC) == at(30, 0)
    assert datetime.fromtimestamp(row["end_utc"], UTC) == at(2, 0, month=12)
    assert alices_new_account_starts(client, date(2026, 11, 27))  # free again

    removed = submit(client, entry, entry + "/remove")
    assert removed.status_code == 303
    assert entries(client) == []
    assert alices_new_account_starts(client, date(2026, 11, 30))


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (
            DAYS,
            {"first_day": "2026-11-27", "last_day": "2026-11-26"},
            "The end must come after the start",
        ),
        (DAYS, {"first_day": "2026-11-27", "last_day": "2027-11-28"}, "At most 366 days"),
        (DAYS, {"first_day": "2026-11-23"}, "in the past"),
        (DAYS, {"first_day": ""}, "This is required"),
        (DAYS, {"first_day": "27/11/2026"}, "Enter a date"),
        (DAYS, {"first_day": "2026-11-27", "note": "x" * 501}, "At most 500 characters"),
        (
            HOURS,
            {"day": "2026-11-25", "start_time": "11:00", "end_time": "10:00"},
            "The end must come after the start",
        ),
        (
            HOURS,
            {"day": "2026-11-25", "start_time": "10:00", "end_time": "10:00"},
            "The end must come after the start",
        ),
        (HOURS, {"day": "2026-11-24", "start_time": "07:00", "end_time": "08:30"}, "in the past"),
        (HOURS, {"day": "2026-11-25", "start_time": "ten", "end_time": "11:00"}, "Enter a time"),
        (
            HOURS,
            {"day": "2027-03-28", "start_time": "02:30", "end_time": "04:00"},
            "does not exist",
        ),
        (HOURS, {"day": "2026-11-25", "start_time": "", "end_time": "11:00"}, "This is required"),
    ],
)
def test_bad_input_is_a_clear_message_and_nothing_is_written(
    client: TestClient, kind: dict[str, str], data: dict[str, str], message: str
) -> None:
    sign_in_as(client, "alice")
    response = add(client, kind, **data)
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert entries(client) == []


def test_overlapping_entries_are_refused(client: TestClient) -> None:
    sign_in_as(client, "alice")
    assert add(client, DAYS, first_day="2026-11-26", last_day="2026-11-27").status_code == 303
    overlapping = add(client, HOURS, day="2026-11-27", start_time="09:00", end_time="10:00")
    assert overlapping.status_code == 422
    assert "overlaps time off that is already entered" in overlapping.text
    assert len(entries(client)) == 1
    beside = add(client, DAYS, first_day="2026-11-28")  # the next day touches, no overlap
    assert beside.status_code == 303


def test_another_agents_id_in_the_form_is_not_found(client: TestClient) -> None:
    sign_in_as(client, "alice")
    response = add(client, DAYS, first_day="2026-11-27", agent="emma")
    assert response.status_code == 404
    assert entries(client) == []


def test_doctor_names_time_off() -> None:
    loaded = config.load(DEMO_CONFIG)
    leave = Busy(time_off={"farid": [Interval(NOW - timedelta(days=1), NOW + timedelta(days=30))]})
    report = doctor.diagnose(
        loaded, leave, NOW, days=14, subject="car-insurance", office="brussels"
    )
    assert "Farid El Amrani has taken time off" in report.text()
    assert TIME_OFF in doctor.MESSAGES
