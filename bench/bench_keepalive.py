"""Kept-open connections: `python -m bench.bench_keepalive` prints one JSON object.

Starts `rendezvous serve` (the demo organisation, a fresh database in a temporary
directory) with 1 worker, then with 2, and sends `--requests` GET requests in a row on
one kept-open connection (`http.client`) to `GET /livez`, a route that does no I/O:
what is measured is the server's floor per request, not the database. p50 and p99 in
milliseconds, and requests per second. Target: p50 on 2 workers <= 2 ms (before
server/serve.py set TCP_NODELAY on the listener, 2 workers put a ~44 ms delayed-ACK
wait under every request).

`--python PY --source installed` serves with another interpreter's installed
Rendezvous instead of this checkout (how the before/after figures in
docs/benchmarks.md were taken side by side); `--path /healthz` measures another route
(a version without /livez falls back to /healthz by itself, and the JSON says so).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-bank" / "organisation.toml"
TARGET_P50_MS_2_WORKERS = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class Server:
    """`rendezvous serve --workers N` in a subprocess, on a free port."""

    def __init__(self, workdir: Path, workers: int, python: str, source: str) -> None:
        self.port = free_port()
        config = workdir / "organisation.toml"
        if not config.exists():
            shutil.copyfile(DEMO, config)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RENDEZVOUS_")},
            "RENDEZVOUS_CONFIG": str(config),
            "RENDEZVOUS_DATABASE": str(workdir / f"rendezvous-{workers}.sqlite3"),
            "RENDEZVOUS_SECRET_KEY": "bench-secret-key-not-for-production",
            "RENDEZVOUS_DELIVERY_INTERVAL": "0",
            "RENDEZVOUS_CALENDAR_REFRESH": "0",
        }
        if source == "installed":
            cwd = workdir
            env.pop("PYTHONPATH", None)
        else:
            cwd = Path(source)
            env["PYTHONPATH"] = str(cwd)
        command = [python, "-m", "server.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(workers), "--log-level", "warning"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if get(self.port, "/healthz") == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def keep_alive(port: int, path: str, requests: int, warm_up: int) -> dict[str, Any]:
    """`requests` GETs in a row on one connection, after `warm_up` unmeasured ones."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    failures = 0
    try:
        connection.connect()
        first = connection.sock
        started_all = time.perf_counter()
        for n in range(warm_up + requests):
            if n == warm_up:
                started_all = time.perf_counter()
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if n >= warm_up:
                latencies.append((time.perf_counter() - started) * 1000)
                failures += response.status != 200
        elapsed = time.perf_counter() - started_all
        kept_open = connection.sock is first
    finally:
        connection.close()
    latencies.sort()
    return {
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "max_ms": round(latencies[-1], 3),
        "rps": round(requests / elapsed, 1),
        "non_200": failures,
        "one_connection": kept_open,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_keepalive")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="200 requests: a smoke run")
    parser.add_argument("--path", default="/livez")
    parser.add_argument("--python", default=sys.executable, help="the server's interpreter")
    parser.add_argument(
        "--source", default=str(ROOT), help="checkout to serve, or 'installed' (default: this)"
    )
    args, _ = parser.parse_known_args(argv)
    requests = 200 if args.quick else args.requests
    report: dict[str, Any] = {"requests": requests, "connection": "one, kept open"}
    with tempfile.TemporaryDirectory(prefix="bench-keepalive-") as scratch:
        for workers in (1, 2):
            server = Server(Path(scratch), workers, args.python, args.source)
            try:
                server.wait()
                path = args.path
                if path == "/livez" and get(server.port, path) == 404:
                    path = "/healthz"  # a version without /livez
                report["path"] = path
                report[f"workers_{workers}"] = keep_alive(server.port, path, requests, 100)
            finally:
                server.stop()
    p50 = report["workers_2"]["p50_ms"]
    report["target"] = {
        "p50_ms_2_workers_at_most": TARGET_P50_MS_2_WORKERS,
        "met": p50 <= TARGET_P50_MS_2_WORKERS,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
