"""The outbox: what each change writes, in the same transaction as the change."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server import config
from server.app import create_app
from server.deliveries.outbox import Change, plan
from server.settings import Settings
from server.snapshot import Snapshot
from server.store import AppointmentRow
from tests.server._booking import book, offered
from tests.server.deliveries.conftest import appointment_body, at, deliveries, send_due
from tests.support import DEMO as DEMO_CONFIG
from tests.support import NOW

pytestmark = [pytest.mark.organisation("demo"), pytest.mark.both_backends]

TOMORROW = date(2026, 11, 25)


def farids_starts(client: TestClient, day: date = TOMORROW, days: int = 1) -> list[datetime]:
    return offered(client, "car-insurance", "OFFICE", "brussels", first_day=day, days=days)


def booked(client: TestClient, start: datetime) -> dict[str, Any]:
    response = book(client, appointment_body("car-insurance", "OFFICE", start, "brussels"))
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def token_of(answer: dict[str, Any]) -> str:
    return str(answer["links"]["manage"]).split("manage=", 1)[1]


def reminders(client: TestClient) -> list[tuple[str, str, int]]:
    return [
        (row["kind"], row["recipient"], row["due_at"])
        for row in deliveries(client)
        if row["kind"].endswith("_reminder") and row["status"] == "pending"
    ]


def test_a_booking_writes_its_messages_and_reminders_with_it(client: TestClient) -> None:
    start = farids_starts(client, date(2026, 11, 27))[0]

    answer = booked(client, start)

    rows = deliveries(client)
    assert {row["appointment_id"] for row in rows} == {answer["appointment"]["id"]}
    assert sorted((row["kind"], row["recipient"]) for row in rows) == [
        ("agent_new_appointment", "farid@demobank.example"),
        ("agent_reminder", "farid@demobank.example"),
        ("customer_confirmation", "ann@example.com"),
        ("customer_reminder", "ann@example.com"),
        ("customer_reminder", "ann@example.com"),
    ]
    # The demo reminds customers 1440 and 120 minutes ahead, agents 60 minutes ahead.
    moment = int(start.timestamp())
    assert sorted(due for _, _, due in reminders(client)) == [
        moment - 1440 * 60,
        moment - 120 * 60,
        moment - 60 * 60,
    ]
    assert all(row["status"] == "pending" and row["attempts"] == 0 for row in rows)


def test_a_booking_that_fails_writes_nothing(client: TestClient) -> None:
    start = farids_starts(client)[0]
    booked(client, start)
    before = deliveries(client)

    again = book(
        client, appointment_body("car-insurance", "OFFICE", start, "brussels", agent="farid")
    )

    assert again.status_code == 409
    assert deliveries(client) == before


def test_a_reminder_whose_time_has_passed_is_not_written(client: TestClient) -> None:
    # This afternoon: the 1440-minute reminder would be due before now; the others not.
    start = farids_starts(client, date(2026, 11, 24))[-1]
    assert start - timedelta(minutes=1440) < NOW < start - timedelta(minutes=120)

    booked(client, start)

    assert sorted(kind for kind, _, _ in reminders(client)) == [
        "agent_reminder",
        "customer_reminder",
    ]
    assert all(due > int(NOW.timestamp()) for _, _, due in reminders(client))


def test_a_reschedule_moves_the_reminders(client: TestClient) -> None:
    starts = farids_starts(client, date(2026, 11, 27), days=2)
    answer = booked(client, starts[0])
    later = starts[-1]

    moved = client.post(
        f"/api/v1/appointments/{token_of(answer)}/reschedule", json={"start": later.isoformat()}
    )

    assert moved.status_code == 200, moved.text
    moment = int(later.timestamp())
    assert sorted(due for _, _, due in reminders(client)) == [
        moment - 1440 * 60,
        moment - 120 * 60,
        moment - 60 * 60,
    ]
    kinds = [row["kind"] for row in deliveries(client) if not row["kind"].endswith("_reminder")]
    assert kinds == [
        "customer_confirmation",
        "agent_new_appointment",
        "customer_rescheduled",
        "agent_rescheduled",
    ]


def test_a_cancellation_removes_the_reminders(client: TestClient) -> None:
    answer = booked(client, farids_starts(client, date(2026, 11, 27))[0])
    assert reminders(client)

    assert client.post(f"/api/v1/appointments/{token_of(answer)}/cancel").status_code == 200

    assert reminders(client) == []
    kinds = [row["kind"] for row in deliveries(client)]
    assert kinds[-2:] == ["customer_cancelled", "agent_cancelled"]


def test_cancelling_twice_writes_the_cancellation_once(client: TestClient) -> None:
    answer = booked(client, farids_starts(client)[0])
    token = token_of(answer)
    client.post(f"/api/v1/appointments/{token}/cancel")
    count = len(deliveries(client))

    client.post(f"/api/v1/appointments/{token}/cancel")

    assert len(deliveries(client)) == count


def test_a_reminder_is_skipped_at_send_time_when_the_appointment_changed(
    client: TestClient,
) -> None:
    # A reminder row that outlived its appointment's cancellation (written by an older
    # version, say) is checked again when it comes due, and not sent.
    answer = booked(client, farids_starts(client, date(2026, 11, 27))[0])
    import dataclasses

    from tests.server._booking import runtime

    store = runtime(client).store
    rows = client.portal.call(store.appointment_deliveries, answer["appointment"]["id"])  # type: ignore[union-attr]
    saved = next(row for row in rows if row.kind == "customer_reminder")
    client.post(f"/api/v1/appointments/{token_of(answer)}/cancel")

    async def put_back() -> None:
        async with store.write() as tx:
            await tx.insert_deliveries([dataclasses.replace(saved, id="stale-reminder")])

    client.portal.call(put_back)  # type: ignore[union-attr]
    due = datetime.fromisoformat(answer["appointment"]["start"]) - timedelta(minutes=1440)
    from tests.server.deliveries.conftest import at

    at(client, due + timedelta(seconds=1))
    send_due(client)

    stale = next(row for row in deliveries(client) if row["id"] == "stale-reminder")
    assert stale["status"] == "skipped"
    assert stale["last_error"] == "the appointment is cancelled"


def test_without_notifications_no_email_is_written(settings: Settings, config_path: Path) -> None:
    text = config_path.read_text()
    start = text.index("[organisation.notifications]")
    end = text.index("# Add-to-calendar text.")
    config_path.write_text(text[:start] + text[end:])
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        at(client, NOW)
        booked(client, farids_starts(client)[0])

        assert deliveries(client) == []


# -- the events the desk (SPEC 11) will cause: the outbox's plan for each ---------------


def demo_row(**changes: Any) -> AppointmentRow:
    start = NOW + timedelta(days=3)
    fields: dict[str, Any] = {
        "id": "a1",
        "status": "confirmed",
        "sequence": 1,
        "subject": "car-insurance",
        "meeting_type": "OFFICE",
        "office": "brussels",
        "agent": "farid",
        "start": start,
        "end": start + timedelta(minutes=30),
        "trailing_buffer": 0,
        "timezone": "Europe/Brussels",
        "language": "en",
        "customer": {"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"},
        "location": None,
        "answers": {},
        "metadata": {},
        "video_url": None,
        "invite_id": None,
        "created_at": NOW,
        "updated_at": NOW,
        **changes,
    }
    return AppointmentRow(**fields)


def planned(change: Change) -> list[tuple[str, str]]:
    snapshot = Snapshot.build(config.load(DEMO_CONFIG))
    return sorted((row.kind, row.recipient) for row in plan(snapshot, change))


def test_an_accepted_request_confirms_and_schedules_reminders() -> None:
    change = Change(event="accepted", at=NOW, appointment=demo_row(), previous_status="requested")

    assert planned(change) == [
        ("agent_accepted", "farid@demobank.example"),
        ("agent_reminder", "farid@demobank.example"),
        ("customer_accepted", "ann@example.com"),
        ("customer_reminder", "ann@example.com"),
        ("customer_reminder", "ann@example.com"),
    ]


def test_a_declined_request_tells_only_the_customer() -> None:
    row = demo_row(status="declined")
    change = Change(event="declined", at=NOW, appointment=row, reason="On leave")

    assert planned(change) == [("customer_declined", "ann@example.com")]


def test_a_reassignment_tells_both_agents_and_moves_the_agents_reminder() -> None:
    change = Change(
        event="reassigned",
        at=NOW,
        appointment=demo_row(agent="emma"),
        previous_status="confirmed",
        previous_agent="farid",
    )

    assert planned(change) == [
        ("agent_reassigned_away", "farid@demobank.example"),
        ("agent_reassigned_to", "emma@demobank.example"),
        ("agent_reminder", "emma@demobank.example"),
        ("customer_reassigned", "ann@example.com"),
        ("customer_reminder", "ann@example.com"),
        ("customer_reminder", "ann@example.com"),
    ]


def test_a_cancellation_by_the_agent_keeps_its_reason() -> None:
    row = demo_row(status="cancelled")
    change = Change(
        event="cancelled",
        at=NOW,
        appointment=row,
        previous_status="confirmed",
        by="agent",
        reason="Office closed",
    )

    rows = list(plan(Snapshot.build(config.load(DEMO_CONFIG)), change))

    assert sorted(r.kind for r in rows) == ["agent_cancelled", "customer_cancelled"]
    assert {r.payload["reason"] for r in rows} == {"Office closed"}
    assert {r.payload["by"] for r in rows} == {"agent"}
