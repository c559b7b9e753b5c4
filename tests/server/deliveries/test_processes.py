"""Deliveries across real server processes (`rendezvous serve`): pending deliveries
survive a kill -9, and four worker processes send each message exactly once."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server._booking import CUSTOMER
from tests.server.deliveries._mail import MailServer, eventually, free_port
from tests.support import DEMO as DEMO_CONFIG
from tests.support import ROOT

pytestmark = pytest.mark.organisation("demo")

BOOKABLE = [
    ("car-insurance", "OFFICE", "brussels"),
    ("savings", "OFFICE", "brussels"),
    ("savings", "PHONE", "antwerp"),
    ("car-loan", "OFFICE", "antwerp"),
    ("new-account", "OFFICE", "london"),
    ("home-insurance", "OFFICE", "brussels"),
    ("new-account", "OFFICE", "brussels"),
    ("investments", "VIDEO", "london"),
]


class Server:
    """`rendezvous serve` in its own process group."""

    def __init__(
        self, directory: Path, smtp_port: int, *, workers: int = 1, interval: str = "0.5"
    ) -> None:
        self.database = directory / "rendezvous.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "RENDEZVOUS_CONFIG": str(directory / "organisation.toml"),
            "RENDEZVOUS_DATABASE": str(self.database),
            "RENDEZVOUS_SECRET_KEY": "processes-secret",
            "RENDEZVOUS_RATE_LIMIT": "0",
            "RENDEZVOUS_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "RENDEZVOUS_DELIVERY_INTERVAL": interval,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        executable = Path(sys.executable).with_name("rendezvous")
        self.process = subprocess.Popen(
            [
                str(executable),
                "serve",
                "--workers",
                str(workers),
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode() if self.process.stderr else ""
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{stderr}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5, trust_env=False).is_success:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError("the server did not answer /healthz in time")

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    shutil.copyfile(DEMO_CONFIG, tmp_path / "organisation.toml")
    return tmp_path


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


async def book_many(url: str, wanted: int) -> list[dict[str, Any]]:
    """`wanted` bookings at free times from two days ahead, 16 at a time."""
    first = datetime.now(UTC).date() + timedelta(days=2)
    async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as client:
        starts: list[dict[str, Any]] = []
        for subject, meeting_type, office in BOOKABLE:
            query = {
                "subject": subject,
                "meeting_type": meeting_type,
                "office": office,
                "from": first.isoformat(),
                "to": (first + timedelta(days=27)).isoformat(),
            }
            slots = (await client.get("/api/v1/slots", params=query)).json()["slots"]
            starts += [{**query, "start": slot["start"]} for slot in slots]
        booked: list[dict[str, Any]] = []

        async def attempt(slot: dict[str, Any], n: int) -> None:
            body = {
                "subject": slot["subject"],
                "meeting_type": slot["meeting_type"],
                "office": slot["office"],
                "start": slot["start"],
                "customer": {**CUSTOMER, "email": f"customer{n}@example.com"},
            }
            response = await client.post("/api/v1/appointments", json=body)
            assert response.status_code in (201, 409), response.text
            if response.status_code == 201:
                booked.append(response.json())

        # Rounds of at most 16 concurrent requests, never more than are still wanted.
        n = 0
        while len(booked) < wanted and n < len(starts):
            batch = starts[n : n + min(16, wanted - len(booked))]
            await asyncio.gather(*(attempt(slot, n + i) for i, slot in enumerate(batch)))
            n += len(batch)
    assert len(booked) == wanted, f"only {len(booked)} free times were found"
    return booked


def outbox(database: Path) -> list[tuple[str, str, int, int]]:
    """(id, status, attempts, due) of every e-mail delivery that is due now."""
    with sqlite3.connect(database) as conn:
        return conn.execute(
            "SELECT id, status, attempts, due_at FROM deliveries "
            "WHERE channel = 'email' AND due_at <= ?",
            [int(time.time())],
        ).fetchall()


def message_ids(smtp: MailServer) -> Counter[str]:
    return Counter(str(item.message["Message-ID"]) for item in smtp.received)


def test_pending_deliveries_survive_a_kill_and_are_sent_once_after_the_restart(
    directory: Path, smtp: MailServer
) -> None:
    # A first server that sends nothing (its worker is off): it books, and dies hard.
    first = Server(directory, smtp.port, interval="0")
    try:
        asyncio.run(book_many(first.url, 5))
        pending = outbox(first.database)
        assert len(pending) == 10 and {status for _, status, _, _ in pending} == {"pending"}
    finally:
        first.kill(signal.SIGKILL)
    assert smtp.received == []

    second = Server(directory, smtp.port)
    try:
        received = smtp.wait_for(10)
        eventually(lambda: {s for _, s, _, _ in outbox(second.database)} == {"sent"})
    finally:
        second.kill(signal.SIGTERM)

    expected = {f"<{id}@127.0.0.1>" for id, _, _, _ in pending}
    assert message_ids(smtp) == Counter({message_id: 1 for message_id in expected})
    assert len(received) == 10
    assert {attempts for _, _, attempts, _ in outbox(second.database)} == {1}


def test_four_worker_processes_send_every_message_exactly_once(
    directory: Path, smtp: MailServer
) -> None:
    server = Server(directory, smtp.port, workers=4)
    try:
        booked = asyncio.run(book_many(server.url, 200))
        rows = outbox(server.database)
        assert len(rows) == 400  # a confirmation and the agent's message each
        smtp.wait_for(len(rows), timeout=120)
        eventually(lambda: {s for _, s, _, _ in outbox(server.database)} == {"sent"}, 60)
    finally:
        server.kill(signal.SIGTERM)

    ids = message_ids(smtp)
    assert len(booked) == 200
    assert set(ids.values()) == {1}, "a message was sent twice"
    assert set(ids) == {f"<{id}@127.0.0.1>" for id, _, _, _ in rows}
    assert {attempts for _, _, attempts, _ in outbox(server.database)} == {1}
