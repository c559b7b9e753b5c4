"""Fixtures of the calendar tests: an organisation whose agents link calendars, a server
app on a clock the test moves, a real SMTP server, a feed server, a webhook receiver.

The app reads no calendar on its own (`calendar_refresh = 0`) and sends nothing on its
own (`delivery_interval = 0`): the tests drive both (`refresh`, `send_due`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.calendars.refresher import Refresher
from server.deliveries.worker import DeliveryWorker
from server.runtime import Runtime
from server.settings import Settings
from tests.server.calendars._servers import FeedServer
from tests.server.deliveries._mail import MailServer, WebhookReceiver

#: A Tuesday, 09:00 in Brussels.
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

WEEK = "\n".join(
    f'  {day} = [{{ start = "09:00", end = "12:00", office = "brussels" }},'
    f' {{ start = "13:00", end = "17:00", office = "brussels" }}]'
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
)


def organisation(
    *,
    alice: str = '[agents.calendar]\nkind = "ics"\nurl_env = "ALICE_CALENDAR_URL"\n',
    bob: str = "",
    max_stale_hours: int = 24,
    webhook: str | None = None,
) -> str:
    """An organisation with one office and two agents, Alice and Bob, who both give
    mortgage advice there on weekdays 09:00-12:00 and 13:00-17:00, 30 minutes a slot;
    `alice` and `bob` are their `[agents.calendar]` tables."""
    hooks = (
        f'[[webhooks]]\nid = "ops"\nurl = "{webhook}"\nsecret_env = "RDV_TEST_WEBHOOK"\n'
        'events = ["calendar.broken", "calendar.restored"]\n'
        if webhook
        else ""
    )
    return f"""
[organisation]
name = "Calendar Bank"
timezone = "Europe/Brussels"
languages = ["en", "nl", "fr", "de"]
public_url = "http://127.0.0.1:8000"
calendar_max_stale_hours = {max_stale_hours}

[organisation.notifications]
from = "Calendar Bank <appointments@bank.example>"
customer_reminders = []

[[categories]]
id = "advice"
name = "Advice"

[[subjects]]
id = "mortgage"
category = "advice"
name = "Mortgage"
  [subjects.meeting_types.OFFICE]
  duration = 30
  granularity = 30
  [subjects.meeting_types.VIDEO]
  duration = 30
  granularity = 30

[[offices]]
id = "brussels"
name = "Brussels"
timezone = "Europe/Brussels"
address = {{ street = "Rue Neuve 1", postal_code = "1000", city = "Brussels", country = "BE" }}
  [offices.subjects.mortgage]
  meeting_types = ["OFFICE", "VIDEO"]
  agents = ["alice", "bob"]

[[agents]]
id = "alice"
name = "Alice Peeters"
email = "alice@bank.example"
languages = ["nl", "en"]
offices = ["brussels"]
expertise = ["mortgage"]
{alice}
  [agents.week]
{WEEK}

[[agents]]
id = "bob"
name = "Bob Janssens"
email = "bob@bank.example"
languages = ["en"]
offices = ["brussels"]
expertise = ["mortgage"]
{bob}
  [agents.week]
{WEEK}

{hooks}
"""


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **parts: float) -> None:
        self.now += timedelta(**parts)


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
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "organisation.toml"
    path.write_text(organisation())
    return path


@pytest.fixture
def settings(tmp_path: Path, config_path: Path, smtp: MailServer) -> Settings:
    return Settings(
        config_path=config_path,
        database_path=tmp_path / "var" / "rendezvous.sqlite3",
        secret_key="test-secret-key-not-for-production",
        reload_interval=0,
        rate_limit_per_minute=0,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        delivery_interval=0,
        calendar_refresh=0,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = clock
        yield client


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
    import sqlite3

    path = runtime_of(client).settings.database_path
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return {row["agent"]: dict(row) for row in conn.execute("SELECT * FROM calendars")}


def deliveries(client: TestClient) -> list[dict[str, Any]]:
    import sqlite3

    path = runtime_of(client).settings.database_path
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM deliveries ORDER BY rowid")]


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)
