"""Reloading the organisation file on the real server (`rendezvous serve --workers 2`).

A hostile file (the audit's 63 KB of `a.a.a…= 1`, which froze each worker 10–22 s)
is read in a child process within bounds: while its reload is pending, every request
is answered at once with the old organisation, and the refusal names the bound. A file
that is still being written is never put in service: the server waits until two checks
a settle time apart see the same file.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import ROOT, eventually, organisation_text

BASE = organisation_text("minimal")
SETTLE = 1.0
#: Far above what an answer takes (a few ms), far below the old stall (10–22 s; 10.2 s
#: on this 2-core machine when the reload ran on the event loop). Not 1 s: with two
#: hostile parses at 512 MiB and the rest of the suite on two cores, one answer in a
#: hundred can wait for the CPU that long; the median stays at a few milliseconds.
QUICK = 3.0


@dataclass(frozen=True)
class Server:
    url: str
    config_path: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _version(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def write_atomically(path: Path, data: bytes) -> None:
    """As docs/organisation-file.md tells operators: a temporary file in the same
    folder, then a rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config_path = tmp_path / "organisation.toml"
    config_path.write_text(BASE, encoding="utf-8")
    log = tmp_path / "server.log"
    port = _free_port()
    env = {
        **os.environ,
        "RENDEZVOUS_CONFIG": str(config_path),
        "RENDEZVOUS_DATABASE": str(tmp_path / "rendezvous.sqlite3"),
        "RENDEZVOUS_SECRET_KEY": "reload-secret",
        "RENDEZVOUS_RATE_LIMIT": "0",
        "RENDEZVOUS_RELOAD_INTERVAL": "0.1",
        "RENDEZVOUS_RELOAD_SETTLE": str(SETTLE),
        "RENDEZVOUS_DELIVERY_INTERVAL": "0",
        "RENDEZVOUS_CALENDAR_REFRESH": "0",
        # The checkout first, so that the workers import this tree's code.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    executable = Path(sys.executable).with_name("rendezvous")
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(executable), "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers stop with it
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def status() -> int | None:
            if process.poll() is not None:
                raise AssertionError(f"the server exited:\n{log.read_text()}")
            try:
                return httpx.get(f"{url}/healthz", timeout=0.5, trust_env=False).status_code
            except httpx.TransportError:
                return None

        eventually(status, lambda code: code == 200, timeout=20, interval=0.1, what="/healthz")
        yield Server(url, config_path, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _timed(client: httpx.Client, path: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(path)
    return time.perf_counter() - started, response


def _everywhere(client: httpx.Client, check: object, what: str, timeout: float = 60) -> None:
    """Until 20 answers in a row pass `check`: both workers have got there."""
    streak = 0

    def passes() -> int:
        nonlocal streak
        health = client.get("/healthz").json()
        streak = streak + 1 if check(health) else 0  # type: ignore[operator]
        return streak

    eventually(passes, lambda count: count >= 20, timeout=timeout, interval=0.02, what=what)


def test_a_hostile_file_never_stalls_the_server_and_the_old_one_stays(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
        old = client.get("/healthz").json()["config_version"]
        subjects = client.get("/api/v1/subjects").json()
        hostile = ("a" + ".a" * 31_499 + " = 1\n").encode()
        assert 62_000 < len(hostile) < 64_000

        written = time.monotonic()
        write_atomically(server.config_path, hostile)
        latencies: list[float] = []
        refused_after = None
        deadline = written + 90
        while refused_after is None and time.monotonic() < deadline:
            took, health = _timed(client, "/healthz")
            latencies.append(took)
            assert health.json()["config_version"] == old
            took, listing = _timed(client, "/api/v1/subjects")
            latencies.append(took)
            assert listing.json() == subjects
            if not health.json()["config_ok"]:
                refused_after = time.monotonic() - written
        assert refused_after is not None, "the hostile file was never refused"
        # The reload was pending (settle time, then the child's parse) all that while,
        # and every answer came at once.
        assert refused_after > SETTLE
        assert len(latencies) >= 20
        assert max(latencies) < QUICK, f"slowest answer {max(latencies):.3f} s"
        assert statistics.median(latencies) < 0.2

        _everywhere(client, lambda health: not health["config_ok"], "both workers refusing")
        assert client.get("/healthz").json()["config_version"] == old
        assert client.get("/api/v1/subjects").json() == subjects
    log = server.log.read_text()
    # Which bound comes first depends on the machine's load; either is named.
    assert re.search(r"reading the TOML (needed more than 512 MiB|took longer than 10 s)", log)
    assert f"still serving version {old}" in log

    # A normal file still loads after it.
    good = BASE.replace('name = "Minimal Bank"', 'name = "Minimal Bank Reopened"')
    write_atomically(server.config_path, good.encode())
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
        _everywhere(
            client,
            lambda health: health["config_ok"] and health["config_version"] == _version(good),
            "the good file in service on both workers",
        )


def test_a_half_written_file_is_never_put_in_service(server: Server) -> None:
    """The writer stops for a while halfway, at a point where the file is valid; only
    the whole file is ever served."""
    rest = '\n[[categories]]\nid = "later"\nname = "Later"\n'
    prefix = BASE + "\n# Written in two goes.\n"
    whole = prefix + rest
    seen: list[str] = []
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as client:
        with server.config_path.open("w", encoding="utf-8") as file:
            file.write(prefix)
            file.flush()
            os.fsync(file.fileno())
            pause_until = time.monotonic() + 0.3  # well under the settle time
            while time.monotonic() < pause_until:
                seen.append(client.get("/healthz").json()["config_version"])
            file.write(rest)

        def version() -> str:
            seen.append(client.get("/healthz").json()["config_version"])
            return seen[-1]

        eventually(version, lambda v: v == _version(whole), timeout=30, interval=0.02)
        _everywhere(
            client, lambda health: health["config_version"] == _version(whole), "the whole file"
        )
        categories = client.get("/api/v1/subjects").json()["categories"]
    assert _version(prefix) not in seen
    assert len(seen) > 10
    assert [category["id"] for category in categories] == ["advice"]  # "later" has no subject
