"""Two real instances on one PostgreSQL database (SPEC 13): separate `rendezvous serve`
processes on separate ports, two workers each, as two machines would run them.

- 200 customers racing for one agent's slot, spread over both instances: one 201.
- 20 concurrent retries of one `Idempotency-Key`, spread over both: one appointment.
- One instance killed (SIGKILL, its whole process group: the machine gone) while
  customers book through both: every booking a client was told about (201) is in the
  database, nothing is double-booked, and the other instance goes on serving.

The organisation is tests/server/organisations/race.toml (Farid alone does insurance;
Alice and Emma open accounts; one customer at a time each, every day).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.databases import PostgreSQLServer
from tests.server._booking import CUSTOMER
from tests.support import ROOT, eventually, organisation_path

RACERS = 200
RETRIES = 20
BRUSSELS = ZoneInfo("Europe/Brussels")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Instance:
    """`rendezvous serve --workers 2` in its own process group, on a free port."""

    directory: Path
    database: str
    url: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Instance:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "RENDEZVOUS_CONFIG": str(self.directory.parent / "organisation.toml"),
            "RENDEZVOUS_DATABASE": self.database,
            "RENDEZVOUS_DATABASE_POOL": "8",
            # One key for every instance: a link signed by one verifies on the other.
            "RENDEZVOUS_SECRET_KEY": "instances-secret-key",
            "RENDEZVOUS_RATE_LIMIT": "0",  # hundreds of requests from one address
            "RENDEZVOUS_MAILDIR": str(self.directory / "mail"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        executable = str(Path(sys.executable).with_name("rendezvous"))
        self.process = subprocess.Popen(
            [executable, "serve", "--workers", "2", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: the workers go with it
        )
        process = self.process

        def health() -> int | None:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"the instance exited ({process.returncode}):\n{stderr}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1, trust_env=False).status_code
            except httpx.TransportError:
                return None

        eventually(health, lambda code: code == 200, timeout=30, interval=0.1, what="/healthz")
        return self

    def kill(self) -> None:
        """SIGKILL to the master and its workers at once: no clean-up runs."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def pair(
    postgresql: PostgreSQLServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Instance, Instance, str]]:
    """Two instances on a new database; the database's URL."""
    directory = tmp_path_factory.mktemp("instances")
    shutil.copyfile(organisation_path("race"), directory / "organisation.toml")
    database = postgresql.create()
    instances: list[Instance] = []
    try:
        for name in ("a", "b"):
            (directory / name).mkdir()
            instances.append(Instance(directory / name, database).start())
        yield instances[0], instances[1], database
    finally:
        for instance in instances:
            instance.stop()
        postgresql.drop(database)


def starts(instance: Instance, subject: str, days: int = 14) -> list[str]:
    """Free starts from tomorrow on, as the API offers them (the server's real clock)."""
    first = datetime.now(BRUSSELS).date() + timedelta(days=1)
    response = httpx.get(
        f"{instance.url}/api/v1/slots",
        params={
            "subject": subject,
            "meeting_type": "OFFICE",
            "office": "brussels",
            "from": first.isoformat(),
            "to": (first + timedelta(days=days - 1)).isoformat(),
            "tz": "Europe/Brussels",
        },
        trust_env=False,
    )
    assert response.status_code == 200, response.text
    return [slot["start"] for slot in response.json()["slots"]]


def body(subject: str, start: str, **extra: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "meeting_type": "OFFICE",
        "office": "brussels",
        "start": start,
        "customer": CUSTOMER,
        **extra,
    }


async def together(
    instances: tuple[Instance, Instance], count: int, request: dict[str, Any], **headers: str
) -> list[httpx.Response]:
    """`count` POSTs of one booking released at once, alternately to each instance."""
    go = asyncio.Event()
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=120, trust_env=False) as client:

        async def one(n: int) -> httpx.Response:
            await go.wait()
            url = f"{instances[n % 2].url}/api/v1/appointments"
            return await client.post(url, json=request, headers=headers)

        tasks = [asyncio.create_task(one(n)) for n in range(count)]
        await asyncio.sleep(0.2)  # every request is waiting at the line
        go.set()
        return await asyncio.gather(*tasks)


def rows(postgresql: PostgreSQLServer, database: str, sql: str, *args: Any) -> Any:
    return postgresql.scalar(database, sql, *args)


def test_two_hundred_customers_racing_on_two_instances_get_one_booking(
    pair: tuple[Instance, Instance, str], postgresql: PostgreSQLServer
) -> None:
    a, b, database = pair
    start = starts(a, "insurance")[0]

    responses = asyncio.run(together((a, b), RACERS, body("insurance", start, agent="farid")))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (RACERS - 1)
    codes = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert codes == {"APPOINTMENT_NO_AVAILABILITY"}
    winner = next(r for r in responses if r.status_code == 201).json()["appointment"]["id"]
    moment = datetime.fromisoformat(start).astimezone(UTC)
    booked = rows(
        postgresql,
        database,
        "SELECT array_agg(id) FROM appointments WHERE start_utc = $1 AND status = 'confirmed'",
        moment,
    )
    assert booked == [winner]
    # The 201s came from either instance: both served the race.
    assert {str(r.url).rsplit("/api", 1)[0] for r in responses} == {a.url, b.url}


def test_concurrent_retries_of_one_key_on_two_instances_book_once(
    pair: tuple[Instance, Instance, str], postgresql: PostgreSQLServer
) -> None:
    a, b, database = pair
    start = starts(b, "account")[0]

    responses = asyncio.run(
        together((a, b), RETRIES, body("account", start), **{"Idempotency-Key": "retry-me-1234"})
    )

    assert [r.status_code for r in responses] == [201] * RETRIES
    ids = {r.json()["appointment"]["id"] for r in responses}
    assert len(ids) == 1
    assert rows(postgresql, database, "SELECT count(*) FROM appointments") == 1
    assert rows(postgresql, database, "SELECT appointment_id FROM idempotency_keys") == ids.pop()
    # A retry later, on either instance, still answers with that appointment.
    later = httpx.post(
        f"{a.url}/api/v1/appointments",
        json=body("account", start),
        headers={"Idempotency-Key": "retry-me-1234"},
        trust_env=False,
    )
    assert later.status_code == 201
    assert later.json()["appointment"]["id"] == responses[0].json()["appointment"]["id"]


@dataclass
class Load:
    """What the clients saw: the appointment of every 201, by instance and time."""

    acknowledged: list[tuple[str, str, float]] = field(default_factory=list)  # (url, id, when)
    refused: int = 0
    failed: int = 0


async def book_until(
    instances: tuple[Instance, Instance], free: list[str], seconds: float, load: Load
) -> None:
    """16 clients booking the free starts in turn (each start twice: Alice and Emma),
    alternately through each instance, for `seconds`."""
    queue = [start for start in free for _ in range(2)]
    deadline = time.monotonic() + seconds

    async def client_loop(n: int, client: httpx.AsyncClient) -> None:
        instance = instances[n % 2]
        while time.monotonic() < deadline and queue:
            start = queue.pop(0)
            try:
                response = await client.post(
                    f"{instance.url}/api/v1/appointments", json=body("account", start)
                )
            except httpx.TransportError:
                load.failed += 1  # no answer: not acknowledged
                await asyncio.sleep(0.05)
                continue
            if response.status_code == 201:
                appointment = response.json()["appointment"]["id"]
                load.acknowledged.append((instance.url, appointment, time.monotonic()))
            elif response.status_code == 409:
                load.refused += 1
            else:
                raise AssertionError(f"{response.status_code}: {response.text[:300]}")

    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        await asyncio.gather(*(client_loop(n, client) for n in range(16)))


def test_a_killed_instance_loses_no_acknowledged_booking_and_the_other_serves_on(
    pair: tuple[Instance, Instance, str], postgresql: PostgreSQLServer
) -> None:
    a, b, database = pair
    free = starts(a, "account", days=28)
    load = Load()

    async def scenario() -> float:
        booking = asyncio.create_task(book_until((a, b), free, 6.0, load))
        await asyncio.sleep(2.0)
        await asyncio.to_thread(a.kill)
        killed_at = time.monotonic()
        await booking
        return killed_at

    killed_at = asyncio.run(scenario())

    ids = [appointment for _, appointment, _ in load.acknowledged]
    stored = set(
        rows(
            postgresql,
            database,
            "SELECT coalesce(array_agg(id), '{}') FROM appointments WHERE status = 'confirmed'",
        )
    )
    assert ids, "no booking was acknowledged before the kill"
    assert set(ids) <= stored  # nothing acknowledged is lost
    assert len(set(ids)) == len(ids)
    before = [url for url, _, when in load.acknowledged if when < killed_at]
    after = [url for url, _, when in load.acknowledged if when > killed_at + 0.5]
    assert a.url in before and b.url in before
    assert after and set(after) == {b.url}  # the other instance went on booking
    assert load.failed > 0  # the clients did see instance A go
    double = rows(
        postgresql,
        database,
        "SELECT count(*) FROM (SELECT agent, start_utc FROM appointments"
        " WHERE status = 'confirmed' GROUP BY agent, start_utc HAVING count(*) > 1) AS twice",
    )
    assert double == 0
    assert httpx.get(f"{b.url}/healthz", trust_env=False).status_code == 200
