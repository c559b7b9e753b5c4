"""Fixtures of the calendar tests: the organisation `calendars` (Alice links a calendar,
Bob does not) and its variants, a server app on the tests' clock, a real SMTP server, a
feed server, a webhook receiver.

The app reads no calendar on its own (`calendar_refresh = 0`) and sends nothing on its
own (`delivery_interval = 0`): the tests drive both (`refresh`, `send_due`). They run
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.calendars.refresher import Refresher
from server.deliveries.worker import DeliveryWorker
from server.runtime import Runtime
from server.settings import Settings
from tests.server._tables import select
from tests.server.calendars._servers import FeedServer
from tests.server.deliveries._mail import MailServer, WebhookReceiver
from tests.support import organisation_text

WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

#: Alice's table in tests/server/organisations/calendars.toml.
ALICE_ICS = '  [agents.calendar]\n  kind = "ics"\n  url_env = "ALICE_CALENDAR_URL"\n'
_BOB = (
    'email = "bob@bank.example"\nlanguages = ["en"]\noffices = ["brussels"]\n'
    'expertise = ["mortgage"]\n'
)
_STALE = "calendar_max_stale_hours = 24\n"


def organisation(
    *,
    alice: str = ALICE_ICS,
    bob: str = "",
    max_stale_hours: int = 24,
    webhook: str | None = None,
) -> str:
    """The organisation `calendars` (tests/server/organisations/calendars.toml) with
    `alice` and `bob` as their `[agents.calendar]` tables, the staleness allowed, and a
    webhook that wants the calendar events."""
    text = organisation_text("calendars")
    for old, new in (
        (ALICE_ICS, alice),
        (_BOB, _BOB + bob),
        (_STALE, f"calendar_max_stale_hours = {max_stale_hours}\n"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    if webhook:
        text += (
            f'\n[[webhooks]]\nid = "ops"\nurl = "{webhook}"\nsecret_env = "RDV_TEST_WEBHOOK"\n'
            'events = ["calendar.broken", "calendar.restored"]\n'
        )
    return text


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    monkeypatch.setenv("RDV_TEST_WEBHOOK", WEBHOOK_SECRET)
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: MailServer) -> Settings:
    # The calendars and the deliveries are driven by the tests (`refresh`, `send_due`).
    return dataclasses.replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        delivery_interval=0,
        calendar_refresh=0,
    )


def runtime_of(client: TestClient) -> Runtime:
    found: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return found


def refresher(client: TestClient) -> Refresher:
    found: Refresher = client.app.state.calendars  # type: ignore[attr-defined]
    return found


def refresh(client: TestClient, *, everything: bool = True) -> int:
    """Read the calendars now (every one, or only the due ones, as the background task
    does); returns how many were read."""
    task = refresher(client)
    found: int = client.portal.call(lambda: task.refresh_all(now=everything))  # type: ignore[union-attr]
    client.portal.call(task.watch)  # type: ignore[union-attr]
    return found


def send_due(client: TestClient) -> int:
    """Run the app's delivery worker until nothing is due."""
    worker: DeliveryWorker = client.app.state.deliveries  # type: ignore[attr-defined]
    total = 0
    while claimed := client.portal.call(worker.run_once):  # type: ignore[union-attr]
        total += claimed
    return total


def slots(
    client: TestClient, agent: str | None = "alice", day: date = date(2026, 11, 24), days: int = 1
) -> list[datetime]:
    """The starts offered (UTC) for mortgage at the office in Brussels."""
    params: dict[str, Any] = {
        "subject": "mortgage",
        "meeting_type": "OFFICE",
        "office": "brussels",
        "from": day.isoformat(),
        "to": (day + timedelta(days=days - 1)).isoformat(),
        "tz": "Europe/Brussels",
    }
    if agent is not None:
        params["agent"] = agent
    response = client.get("/api/v1/slots", params=params)
    assert response.status_code == 200, response.text
    return [datetime.fromisoformat(slot["start"]) for slot in response.json()["slots"]]


def calendar_rows(client: TestClient) -> dict[str, dict[str, Any]]:
    rows = select(runtime_of(client).settings, "SELECT * FROM calendars")
    return {row["agent"]: row for row in rows}


def deliveries(client: TestClient) -> list[dict[str, Any]]:
    return select(runtime_of(client).settings, "SELECT * FROM deliveries ORDER BY rowid")


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)
