"""Fixtures of the delivery tests: a real SMTP server and a server app that sends to it,
its worker driven by the test (`send_due`) on the frozen clock; on SQLite and on
PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.deliveries.worker import DeliveryWorker
from server.settings import Settings
from tests.server import _booking
from tests.server._booking import runtime
from tests.server._tables import select
from tests.server.deliveries._mail import MailServer
from tests.support import NOW, Clock


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: MailServer) -> Settings:
    # The worker is driven by the tests (`send_due`): no background rounds.
    return dataclasses.replace(
        settings, smtp_url=f"smtp://127.0.0.1:{smtp.port}", delivery_interval=0
    )


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        client.app.state.runtime.clock = clock  # type: ignore[attr-defined]
        yield client


#: The demo's questions that need an answer (the delivery tests run on the demo).
DEMO_ANSWERS: dict[str, dict[str, Any]] = {"mortgage": {"amount": 250000, "property": "buy"}}


def appointment_body(
    subject: str, meeting_type: str, start: datetime, office: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A booking's body on the demo organisation, with the answers its questions need."""
    extra.setdefault("answers", dict(DEMO_ANSWERS.get(subject, {})))
    return _booking.appointment_body(subject, meeting_type, start, office, **extra)


def worker(client: TestClient) -> DeliveryWorker:
    found: DeliveryWorker = client.app.state.deliveries  # type: ignore[attr-defined]
    return found


def send_due(client: TestClient, **kwargs: Any) -> int:
    """Run the app's worker until nothing is due; returns how many it claimed."""
    total = 0
    while claimed := client.portal.call(lambda: worker(client).run_once(**kwargs)):  # type: ignore[union-attr]
        total += claimed
    return total


def at(client: TestClient, moment: datetime) -> None:
    """Move the app's clock (installed by the `client` fixture, or a new one)."""
    clock = runtime(client).clock
    if isinstance(clock, Clock):
        clock.set(moment)
    else:
        runtime(client).clock = Clock(moment)


def deliveries(client: TestClient) -> list[dict[str, Any]]:
    """Every row of the outbox, oldest first, as plain dicts (SQLite's values)."""
    return select(runtime(client).settings, "SELECT * FROM deliveries ORDER BY rowid")


__all__ = ["NOW", "appointment_body", "at", "deliveries", "send_due", "worker"]


def organisation_with(config_path: Path, org_extra: str = "", extra: str = "") -> None:
    """Add TOML to the [organisation] table (before its sub-tables) and at the end."""
    text = config_path.read_text()
    marker = "# E-mail (SPEC 10"
    assert marker in text
    text = text.replace(marker, org_extra + "\n" + marker, 1)
    config_path.write_text(text + "\n" + extra)
