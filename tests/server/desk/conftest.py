"""Fixtures of the desk's tests: a real SMTP server, and the server app sending to it
with the suite's clock (tests/support.NOW, a Tuesday morning); on SQLite and on
PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.deliveries._mail import MailServer
from tests.support import Clock


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
