"""Agents' CalDAV calendars (SPEC 12) against a real Radicale server: busy time read with
a time-range query, bad credentials, and appointments written back through the outbox
and the real delivery worker: they appear, move, change hands and disappear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.deliveries import outbox
from server.settings import Settings
from tests.server.calendars._servers import PASSWORD, USER, Radicale, event
from tests.server.calendars.conftest import (
    calendar_rows,
    deliveries,
    organisation,
    refresh,
    runtime_of,
    send_due,
    slots,
)
from tests.server.deliveries._mail import MailServer
from tests.support import Clock

pytestmark = pytest.mark.organisation("calendars")

TEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Brussels
ELEVEN = TEN + timedelta(hours=1)


def caldav_table(url: str, *, write: bool = True) -> str:
    return (
        f'[agents.calendar]\nkind = "caldav"\nurl = "{url}"\nusername = "{USER}"\n'
        f'password_env = "ALICE_DAV_PASSWORD"\nwrite = {str(write).lower()}\n'
    )


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    folder = tmp_path / "radicale"
    folder.mkdir()
    with Radicale(folder) as server:
        yield server


@pytest.fixture
def dav(
    radicale: Radicale,
    config_path: Path,
    settings: Settings,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    """An app whose Alice writes to Radicale's `work` calendar and Bob to `bob`."""
    monkeypatch.setenv("ALICE_DAV_PASSWORD", PASSWORD)
    config_path.write_text(
        organisation(
            alice=caldav_table(radicale.url("work")),
            bob=caldav_table(radicale.url("bob")).replace("ALICE_DAV", "BOB_DAV"),
        )
    )
    monkeypatch.setenv("BOB_DAV_PASSWORD", PASSWORD)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = clock
        refresh(client)  # read once: a calendar never read offers nothing
        yield client


def book(client: TestClient, start: datetime, agent: str = "alice") -> dict[str, object]:
    answer = client.post(
        "/api/v1/appointments",
        json={
            "subject": "mortgage",
            "meeting_type": "OFFICE",
            "office": "brussels",
            "agent": agent,
            "start": start.isoformat(),
            "customer": {"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"},
        },
    )
    assert answer.status_code == 201, answer.text
    found: dict[str, object] = answer.json()
    return found


def vevent(data: str) -> icalendar.Event:
    [found] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    return found


def test_busy_time_is_read_with_a_time_range_query(radicale: Radicale, dav: TestClient) -> None:
    radicale.put(event("dentist", TEN, ELEVEN))
    radicale.put(
        event("weekly", TEN + timedelta(hours=4), ELEVEN + timedelta(hours=4), "RRULE:FREQ=WEEKLY")
    )
    radicale.put(event("free", TEN - timedelta(hours=1), TEN, "TRANSP:TRANSPARENT"))
    assert refresh(dav) == 2  # Alice's and Bob's
    offered = slots(dav, "alice")
    assert TEN not in offered and TEN + timedelta(hours=4) not in offered
    assert TEN - timedelta(hours=1) in offered  # free time is free
    next_week = slots(dav, "alice", day=(TEN + timedelta(days=7)).date())
    assert (
        TEN + timedelta(days=7, hours=4) not in next_week and TEN + timedelta(days=7) in next_week
    )
    row = calendar_rows(dav)["alice"]
    assert (row["kind"], row["problem"], row["intervals"] > 2) == ("caldav", None, True)


def test_bad_credentials_are_a_clear_error(
    radicale: Radicale, dav: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALICE_DAV_PASSWORD", "not the password")
    refresh(dav)
    row = calendar_rows(dav)["alice"]
    assert row["problem"] == "refused"
    assert row["error"] == "the CalDAV server at 127.0.0.1 refused the user name or password"
    assert slots(dav, "alice") != []  # it worked a moment ago: the last good data is used
    assert [d["kind"] for d in deliveries(dav)] == ["agent_calendar_broken"]


def test_a_calendar_that_does_not_exist_is_not_found(
    radicale: Radicale, config_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALICE_DAV_PASSWORD", PASSWORD)
    config_path.write_text(organisation(alice=caldav_table(radicale.url("nope"))))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        refresh(client)
        assert calendar_rows(client)["alice"]["problem"] == "not_found"


def test_an_appointment_appears_moves_and_disappears(radicale: Radicale, dav: TestClient) -> None:
    booked = book(dav, TEN)
    appointment = booked["appointment"]
    assert isinstance(appointment, dict)
    uid = f"{appointment['id']}@127.0.0.1"
    assert [d["kind"] for d in deliveries(dav) if d["channel"] == "caldav"] == ["calendar_put"]
    send_due(dav)
    found = vevent(radicale.events()[uid])
    assert found["DTSTART"].dt == TEN and found["DTEND"].dt == TEN + timedelta(minutes=30)
    assert str(found["STATUS"]) == "CONFIRMED" and int(found["SEQUENCE"]) == 0
    assert str(found["SUMMARY"]).startswith("Ann Smith: ")
    assert "ann@example.com" in str(found["DESCRIPTION"])
    assert "/desk/appointments/" in str(found["URL"])

    token = str(booked["links"]["manage"]).split("manage=", 1)[1]  # type: ignore[index]
    later = TEN + timedelta(hours=4)
    moved = dav.post(f"/api/v1/appointments/{token}/reschedule", json={"start": later.isoformat()})
    assert moved.status_code == 200, moved.text
    send_due(dav)
    found = vevent(radicale.events()[uid])
    assert found["DTSTART"].dt == later and int(found["SEQUENCE"]) == 1

    assert dav.post(f"/api/v1/appointments/{token}/cancel").status_code == 200
    send_due(dav)
    assert uid not in radicale.events()
    sent = [d for d in deliveries(dav) if d["channel"] == "caldav"]
    assert [(d["kind"], d["status"]) for d in sent] == [
        ("calendar_put", "sent"),
        ("calendar_put", "sent"),
        ("calendar_remove", "sent"),
    ]


def test_the_appointment_written_back_is_not_busy_twice(
    radicale: Radicale, dav: TestClient
) -> None:
    booked = book(dav, TEN)
    send_due(dav)
    refresh(dav)  # the calendar now holds the appointment, with its own UID
    assert calendar_rows(dav)["alice"]["intervals"] == 0
    token = str(booked["links"]["manage"]).split("manage=", 1)[1]  # type: ignore[index]
    assert dav.post(f"/api/v1/appointments/{token}/cancel").status_code == 200
    assert TEN in slots(dav, "alice")  # free at once, before the calendar is written


def test_a_reassignment_moves_the_event_to_the_new_agent_s_calendar(
    radicale: Radicale, dav: TestClient
) -> None:
    booked = book(dav, TEN)
    send_due(dav)
    runtime = runtime_of(dav)
    appointment_id = str(booked["appointment"]["id"])  # type: ignore[index]
    uid = f"{appointment_id}@127.0.0.1"

    async def reassign() -> None:  # as the agent's desk does (SPEC 11)
        async with runtime.store.write() as tx:
            before = await tx.appointment(appointment_id)
            assert before is not None
            await tx.update_appointment(
                appointment_id, updated_at=runtime.now(), agent="bob", sequence=before.sequence + 1
            )
            after = await tx.appointment(appointment_id)
            assert after is not None
            await outbox.appointment_reassigned(tx, runtime.snapshot, before, after)

    dav.portal.call(reassign)  # type: ignore[union-attr]
    send_due(dav)
    assert uid not in radicale.events("work")
    assert int(vevent(radicale.events("bob")[uid])["SEQUENCE"]) == 1


def test_a_request_is_tentative_and_a_declined_one_is_removed(
    radicale: Radicale, dav: TestClient
) -> None:
    runtime = runtime_of(dav)
    booked = book(dav, TEN)
    appointment_id = str(booked["appointment"]["id"])  # type: ignore[index]
    uid = f"{appointment_id}@127.0.0.1"

    async def change(status: str, call: str) -> None:
        async with runtime.store.write() as tx:
            before = await tx.appointment(appointment_id)
            assert before is not None
            await tx.update_appointment(appointment_id, updated_at=runtime.now(), status=status)  # type: ignore[arg-type]
            after = await tx.appointment(appointment_id)
            assert after is not None
            if call == "rescheduled":
                await outbox.appointment_rescheduled(tx, runtime.snapshot, before, after)
            else:
                await outbox.appointment_declined(tx, runtime.snapshot, after)

    dav.portal.call(lambda: change("requested", "rescheduled"))  # type: ignore[union-attr]
    send_due(dav)
    assert str(vevent(radicale.events()[uid])["STATUS"]) == "TENTATIVE"
    dav.portal.call(lambda: change("declined", "declined"))  # type: ignore[union-attr]
    send_due(dav)
    assert uid not in radicale.events()


def test_deliveries_sent_late_or_out_of_order_leave_the_calendar_right(
    radicale: Radicale, dav: TestClient
) -> None:
    booked = book(dav, TEN)
    token = str(booked["links"]["manage"]).split("manage=", 1)[1]  # type: ignore[index]
    # Cancelled before the worker sent the booking's delivery: the put finds it
    # cancelled, and leaves nothing in the calendar either.
    assert dav.post(f"/api/v1/appointments/{token}/cancel").status_code == 200
    send_due(dav)
    assert radicale.events() == {}


def test_without_write_nothing_is_written(
    radicale: Radicale,
    config_path: Path,
    settings: Settings,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALICE_DAV_PASSWORD", PASSWORD)
    config_path.write_text(organisation(alice=caldav_table(radicale.url(), write=False)))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = clock
        refresh(client)
        book(client, TEN)
        assert [d for d in deliveries(client) if d["channel"] == "caldav"] == []


def test_a_calendar_that_refuses_writes_is_reported_like_a_broken_one(
    radicale: Radicale,
    config_path: Path,
    settings: Settings,
    clock: Clock,
    smtp: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALICE_DAV_PASSWORD", PASSWORD)
    config_path.write_text(organisation(alice=caldav_table(radicale.url("readonly"))))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = clock
        refresh(client)
        assert calendar_rows(client)["alice"]["problem"] is None  # it can be read
        book(client, TEN)
        book(client, TEN + timedelta(hours=1))
        send_due(client)
        row = calendar_rows(client)["alice"]
        assert row["write_problem"] == "write_refused"
        assert "does not let this account write" in row["write_error"]
        put = [d for d in deliveries(client) if d["channel"] == "caldav"]
        assert {d["status"] for d in put} == {"pending"}  # retried later, with growing delays
        mails = [m for m in smtp.wait_for(1) if m.recipients == ["alice@bank.example"]]
        notices = [m for m in mails if "agenda" in str(m.message["Subject"])]
        assert len(notices) == 1  # one notice, however many writes fail
        assert "schrijven" in notices[0].message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        # Reading still works, and the agent is still offered.
        assert slots(client, "alice") != []
