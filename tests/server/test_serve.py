"""`rendezvous serve` as deployed (server/serve.py, server/logs.py): real server
processes on free ports, with one worker and with two.

- Kept-open connections are answered at once with several workers (TCP_NODELAY on the
  listener we bind), not after the client's delayed ACK (~40 ms a request before).
- Every process writes its log, one JSON object a line, without tokens or query strings.
- X-Forwarded-For is believed only from the proxies named.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.serve import implementations, listening_socket
from tests.support import DEMO, ROOT, eventually

pytestmark = pytest.mark.organisation("demo")


def needs_fast_parser_and_loop() -> None:
    """httptools and uvloop come with `uvicorn[standard]`, a dependency: a venv made
    before it was one lacks them (skipped, or a failure in CI)."""
    missing = [name for name in ("httptools", "uvloop") if importlib.util.find_spec(name) is None]
    if missing:
        message = f"{', '.join(missing)} not installed: run `pip install -e .` (uvicorn[standard])"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + "; in CI a missing package is a failure", pytrace=False)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """`rendezvous serve` in its own process group; its log (stderr) in a file."""

    def __init__(self, directory: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.directory = directory
        self.config = directory / "organisation.toml"
        if not self.config.exists():
            shutil.copyfile(DEMO, self.config)
        self.port = free_port()
        self.log_path = directory / f"serve-{self.port}.log"
        self.banner_path = directory / f"serve-{self.port}.out"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("RENDEZVOUS_")}
        environ = {
            **inherited,
            "RENDEZVOUS_CONFIG": str(self.config),
            "RENDEZVOUS_DATABASE": str(directory / "var" / "rendezvous.sqlite3"),
            "RENDEZVOUS_SECRET_KEY": "serve-test-secret",
            "RENDEZVOUS_DELIVERY_INTERVAL": "0",
            "RENDEZVOUS_CALENDAR_REFRESH": "0",
            "RENDEZVOUS_RELOAD_INTERVAL": "0.2",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(env or {}),
        }
        executable = Path(sys.executable).with_name("rendezvous")
        with self.log_path.open("wb") as log, self.banner_path.open("wb") as banner:
            self.process = subprocess.Popen(
                [str(executable), "serve", "--port", str(self.port), *args],
                env=environ,
                stdout=banner,
                stderr=log,
                start_new_session=True,  # its own process group: the workers stop with it
            )
        eventually(self._live, timeout=30, interval=0.1, what="the server's /livez")

    def _live(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log()}")
        try:
            return self.request("GET", "/livez")[0] == 200
        except OSError:
            return False

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """One request on a connection of its own."""
        connection = self.connection()
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[dict[str, Any]]:
        """The log's lines, each parsed as JSON (a line that is not JSON fails)."""
        return [json.loads(line) for line in self.log().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Served:
        served = Served(tmp_path, *args, env=env)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


# -- TCP_NODELAY ---------------------------------------------------------------------------


def test_the_listener_and_the_connections_it_accepts_have_nagle_off() -> None:
    with listening_socket("127.0.0.1", 0) as listener:
        listener.listen()
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on a connection only then.
        assert listener.proto == socket.IPPROTO_TCP
        with socket.create_connection(listener.getsockname()) as client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            client.close()


def keep_alive_latencies(served: Served, count: int) -> list[float]:
    """Milliseconds per GET /livez, `count` in a row on one kept-open connection."""
    connection = served.connection()
    try:
        connection.connect()
        first = connection.sock
        latencies = []
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", "/livez")
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b'{"status":"ok"}')
            latencies.append((time.perf_counter() - started) * 1000)
        assert connection.sock is first, "the connection was not kept open"
        return latencies
    finally:
        connection.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
@pytest.mark.parametrize("workers", ["2", "1"])
def test_kept_open_connections_wait_for_no_delayed_ack(start: Any, workers: str, loop: str) -> None:
    served = start("--workers", workers, "--loop", loop)
    assert f"{workers} worker(s), httptools on {loop}" in served.banner_path.read_text()
    keep_alive_latencies(served, 10)  # warm up
    median = statistics.median(keep_alive_latencies(served, 50))
    # Nagle's algorithm waiting for the delayed ACK costs ~40 ms a request; a local
    # answer takes well under a millisecond. 10 ms leaves room for a busy machine.
    assert median < 10, f"median {median:.1f} ms on {workers} worker(s), {loop}"


def test_the_fast_parser_and_loop_are_installed_and_used(start: Any) -> None:
    needs_fast_parser_and_loop()
    assert implementations() == ("httptools", "uvloop")
    served = start("--workers", "1")
    assert "1 worker(s), httptools on uvloop" in served.banner_path.read_text()


# -- the log -------------------------------------------------------------------------------

MANAGE_TOKEN = "eyJhIjoiMTIzNDUifQ.c2VydmUtdGVzdC1zaWduYXR1cmUtMjctY2g"


def answering_workers(served: Served) -> set[int]:
    """The pids in the access log once both workers have answered requests: new
    connections until then (which worker accepts a connection is up to the kernel, and
    /livez answers as soon as the first worker is up)."""

    def access_pids() -> set[int]:
        for _ in range(10):
            served.request("GET", "/livez")
        return {line["pid"] for line in served.lines() if line["logger"] == "rendezvous.access"}

    return eventually(access_pids, lambda pids: len(pids) >= 2, timeout=60, what="2 workers")


def test_every_worker_logs_json_lines_without_tokens_or_queries(start: Any) -> None:
    served = start("--workers", "2")
    assert served.process.pid not in answering_workers(served)

    status, _ = served.request(
        "GET", f"/api/v1/appointments/{MANAGE_TOKEN}?email=ann%40example.com&manage=x"
    )
    assert status in (401, 404, 410)
    served.request("GET", f"/book/manage?manage={MANAGE_TOKEN}")
    served.request("GET", "/api/v1/subjects?lang=en&customer=ann%40example.com")

    def access_to_appointments() -> list[dict[str, Any]]:
        return [
            line
            for line in served.lines()
            if line["logger"] == "rendezvous.access"
            and line["path"].startswith("/api/v1/appointments/")
        ]

    [line] = eventually(access_to_appointments, timeout=10, what="the access line")
    assert line["path"] == "/api/v1/appointments/{token}"
    assert line["method"] == "GET"
    assert line["status"] == status
    assert isinstance(line["duration_ms"], float | int)
    assert line["level"] == "INFO"
    assert line["time"].endswith("+00:00")

    text = served.log()
    assert MANAGE_TOKEN not in text
    assert "MTIzNDUifQ" not in text
    assert "ann%40example.com" not in text and "ann@example.com" not in text
    assert "?" not in "".join(line.get("path", "") for line in served.lines())
    # Every line of every process is one JSON object with the same keys.
    for line in served.lines():
        assert {"time", "level", "logger", "message", "pid"} <= set(line), line


def test_a_reload_is_logged_by_each_worker_with_its_level_and_logger(start: Any) -> None:
    served = start("--workers", "2")
    workers = answering_workers(served)  # both up: each will see the edit as a reload
    text = served.config.read_text(encoding="utf-8")
    served.config.write_text(text + "\n# edited while serving\n", encoding="utf-8")
    stat = served.config.stat()
    os.utime(served.config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    def reloads() -> list[dict[str, Any]]:
        return [
            line
            for line in served.lines()
            if line["logger"] == "rendezvous.runtime" and "reloaded" in line["message"]
        ]

    found = eventually(
        reloads, lambda found: {line["pid"] for line in found} >= workers, timeout=60
    )
    assert {line["level"] for line in found} == {"INFO"}
    assert {line["pid"] for line in found} == workers


# -- forwarded headers ---------------------------------------------------------------------


def answers_to_forwarded_clients(served: Served, count: int) -> list[int]:
    """Statuses of `count` state-changing calls, each claiming another client address."""
    return [
        served.request(
            "POST",
            "/api/v1/holds",
            {"X-Forwarded-For": f"203.0.113.{n}", "Content-Type": "application/json"},
        )[0]
        for n in range(1, count + 1)
    ]


def test_by_default_x_forwarded_for_does_not_pick_the_rate_limit_bucket(start: Any) -> None:
    served = start("--workers", "1", env={"RENDEZVOUS_RATE_LIMIT": "5"})
    statuses = answers_to_forwarded_clients(served, 12)
    assert 429 not in statuses[:5]
    assert statuses[5:] == [429] * 7
    assert "no proxy" in served.banner_path.read_text()


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_named_proxy_s_x_forwarded_for_is_the_client_address(start: Any, how: str) -> None:
    env = {"RENDEZVOUS_RATE_LIMIT": "5"}
    args = ["--workers", "1"]
    if how == "option":
        args += ["--forwarded-allow-ips", "127.0.0.1"]
    else:
        env["RENDEZVOUS_FORWARDED_ALLOW_IPS"] = "127.0.0.1"
    served = start(*args, env=env)
    statuses = answers_to_forwarded_clients(served, 12)
    assert 429 not in statuses
    # One forwarded address still has one bucket.
    same = [
        served.request("POST", "/api/v1/holds", {"X-Forwarded-For": "198.51.100.7"})[0]
        for _ in range(7)
    ]
    assert same[5:] == [429, 429]
    assert "X-Forwarded-For from 127.0.0.1" in served.banner_path.read_text()


def test_a_proxy_not_named_is_not_believed(start: Any) -> None:
    served = start("--forwarded-allow-ips", "192.0.2.1", env={"RENDEZVOUS_RATE_LIMIT": "5"})
    assert answers_to_forwarded_clients(served, 8)[5:] == [429] * 3


def test_an_address_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        shutil.copyfile(DEMO, tmp_path / "organisation.toml")
        result = subprocess.run(
            [str(Path(sys.executable).with_name("rendezvous")), "serve", "--port", str(port)],
            env={
                **os.environ,
                "RENDEZVOUS_CONFIG": str(tmp_path / "organisation.toml"),
                "RENDEZVOUS_DATABASE": str(tmp_path / "var" / "rendezvous.sqlite3"),
                "RENDEZVOUS_SECRET_KEY": "serve-test-secret",
            },
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_no_workers_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from server import cli

    assert cli.main(["serve", "--workers", "0"]) == 2
    assert "--workers: expected 1 or more" in capsys.readouterr().err
