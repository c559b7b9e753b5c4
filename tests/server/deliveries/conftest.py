"""Fixtures of the delivery tests: a real SMTP server and a server app that sends to it,
its worker driven by the test (`send_due`) on the frozen clock."""

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
from tests.server._booking import NOW, freeze, runtime
from tests.server.deliveries._mail import MailServer


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
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        freeze(client)
        yield client


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
    """Move the app's clock."""
    runtime(client).clock = lambda: moment


def deliveries(client: TestClient) -> list[dict[str, Any]]:
    """Every row of the outbox, oldest first, as plain dicts."""
    import sqlite3

    path = runtime(client).settings.database_path
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM deliveries ORDER BY rowid")]


__all__ = ["NOW", "at", "deliveries", "send_due", "worker"]


def organisation_with(config_path: Path, org_extra: str = "", extra: str = "") -> None:
    """Add TOML to the [organisation] table (before its sub-tables) and at the end."""
    text = config_path.read_text()
    marker = "# E-mail (SPEC 10"
    assert marker in text
    text = text.replace(marker, org_extra + "\n" + marker, 1)
    config_path.write_text(text + "\n" + extra)
