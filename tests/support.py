"""What tests of every part share: the organisation files made for them, a clock that
moves only when told, and waiting for something to happen."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
#: The demo organisation: for end-to-end tests only (the browser tests, `rendezvous
#: check` and `doctor` on the demo, a few smoke tests of the whole app).
DEMO = ROOT / "examples" / "demo-bank" / "organisation.toml"
#: Small organisations made for the tests, each about one part of the rules; a test
#: names its own with `@pytest.mark.organisation("name")` (tests/conftest.py).
ORGANISATIONS = ROOT / "tests" / "server" / "organisations"


def organisation_path(name: str) -> Path:
    """tests/server/organisations/<name>.toml; "demo" is the demo organisation."""
    if name == "demo":
        return DEMO
    path = ORGANISATIONS / f"{name}.toml"
    if not path.is_file():
        known = sorted(found.stem for found in ORGANISATIONS.glob("*.toml"))
        raise LookupError(f'no organisation "{name}"; known: demo, {", ".join(known)}')
    return path


def organisation_text(name: str) -> str:
    return organisation_path(name).read_text(encoding="utf-8")


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace `old`, which must occur exactly once, with `new`; the file's next stat
    differs even on file systems with coarse modification times."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


#: A Tuesday morning, 09:00 in Brussels: where the tests' clock starts.
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class Clock:
    """The server's clock in tests: it reads `now` until a test sets or advances it.

    The `clock` fixture (tests/conftest.py) installs one on the app's runtime, which
    asks it for the time (`runtime.now()`).
    """

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError(f"the clock needs an aware datetime, got {moment!r}")
        self.now = moment

    def advance(self, delta: timedelta | None = None, **parts: float) -> None:
        """Move on by `delta`, or by `timedelta(**parts)`: `clock.advance(minutes=7)`."""
        self.now += delta if delta is not None else timedelta(**parts)


def eventually(
    read: Callable[[], T],
    until: Callable[[T], object] = bool,
    *,
    timeout: float = 10,
    interval: float = 0.05,
    what: str = "the condition",
) -> T:
    """Call `read` until `until` holds for what it returns, and return that value.

    After `timeout` seconds an AssertionError names `what` and the last value read. An
    exception from `read` or `until` is not a "not yet": it ends the wait at once (a
    `read` that expects failures while it waits, a server still starting, catches
    them and returns something that says so).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{what} did not happen within {timeout:g} s; last value: {value!r}"
            )
        time.sleep(interval)


def another_client(client: TestClient, address: tuple[str, int]) -> TestClient:
    """Another client (its own address) of the app `client` runs, on the same event
    loop: a `TestClient` that is not entered runs each request on a loop of its own,
    which a connection pool made on the app's loop (asyncpg) cannot serve."""
    other = TestClient(client.app, base_url=str(client.base_url), client=address)
    other.portal = client.portal
    return other


def brussels_today() -> date:
    """Today where the browser tests' pages live (their contexts run in Europe/Brussels,
    the demo's offices too): after 23:00 UTC it is already tomorrow there, so the
    machine's `date.today()` would be a day behind what the widget calls today."""
    return datetime.now(ZoneInfo("Europe/Brussels")).date()
