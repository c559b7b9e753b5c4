"""Deliveries (SPEC 10): `python -m bench.bench_deliveries` prints one JSON object.

1. Deliveries per second: a server with the worker off books N appointments (a
   confirmation and the agent's message each: 2N e-mails in the outbox); then
   `rendezvous serve --workers 4` starts on that database with a local aiosmtpd server
   (in this process) as RENDEZVOUS_SMTP_URL, and the rate is messages received over the
   time from the first to the last. Every Message-ID must arrive once.
2. What the outbox costs a booking: the booking run of `bench.bench_http` (32 clients,
   distinct free slots, ~5 s) against a 1-worker server on the demo organisation with
   e-mail on (the outbox written in every booking transaction, and the worker sending
   to the local SMTP server meanwhile) and, in the same run, on the demo without
   `[organisation.notifications]` (nothing written), and in between with the outbox
   written but this process's worker off (`RENDEZVOUS_DELIVERY_INTERVAL=0`: the cost of
   the write alone, apart from rendering and sending in the same process). The runs
   alternate (off, written, on; three times) on fresh databases; the p50 and p99 of each
   run are reported, and the medians compared (on a shared machine single runs vary by
   a factor of two).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from bench.bench_http import BOOKABLE, _book

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-bank" / "organisation.toml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Counting:
    """aiosmtpd handler: counts messages by Message-ID, with arrival times."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()
        self.times: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        header = next(
            (line for line in content.split(b"\r\n") if line.lower().startswith(b"message-id:")),
            b"",
        )
        with self.lock:
            self.ids[header.decode(errors="replace")] += 1
            self.times.append(time.perf_counter())
        return "250 OK"


class Server:
    def __init__(
        self, workdir: Path, config: Path, smtp_port: int, *, workers: int, interval: str
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = workdir / "rendezvous.sqlite3"
        text = config.read_text().replace(
            'public_url = "http://127.0.0.1:8000"', f'public_url = "{self.base}"'
        )
        (workdir / "organisation.toml").write_text(text)
        env = {
            **os.environ,
            "RENDEZVOUS_CONFIG": str(workdir / "organisation.toml"),
            "RENDEZVOUS_DATABASE": str(self.database),
            "RENDEZVOUS_SECRET_KEY": "bench-secret-key-not-for-production",
            "RENDEZVOUS_RATE_LIMIT": "1000000",
            "RENDEZVOUS_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "RENDEZVOUS_DELIVERY_INTERVAL": interval,
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(workers), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz in time")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


async def _book_n(base: str, wanted: int) -> int:
    first = datetime.now(UTC).date() + timedelta(days=2)
    done = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        starts = []
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
        for n, slot in enumerate(starts):
            if done >= wanted:
                break
            body = {
                "subject": slot["subject"],
                "meeting_type": slot["meeting_type"],
                "office": slot["office"],
                "start": slot["start"],
                "customer": {
                    "first_name": "Bench",
                    "last_name": f"Customer {n}",
                    "email": f"bench{n}@example.com",
                    "language": "en",
                },
                "answers": {"amount": 200000, "property": "buy"}
                if slot["subject"] == "mortgage"
                else {},
            }
            response = await client.post("/api/v1/appointments", json=body)
            done += response.status_code == 201
    return done


def deliveries_per_second(bookings: int) -> dict[str, Any]:
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    workdir = Path(tempfile.mkdtemp(prefix="rendezvous-bench-deliveries-"))
    try:
        filler = Server(workdir, DEMO, controller.port, workers=1, interval="0")
        try:
            booked = asyncio.run(_book_n(filler.base, bookings))
        finally:
            filler.stop()
        with sqlite3.connect(workdir / "rendezvous.sqlite3") as conn:
            (due,) = conn.execute(
                "SELECT count(*) FROM deliveries WHERE channel = 'email' AND due_at <= ?",
                [int(time.time())],
            ).fetchone()
        sender = Server(workdir, DEMO, controller.port, workers=4, interval="0.5")
        try:
            deadline = time.monotonic() + 300
            while sum(handler.ids.values()) < due and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            sender.stop()
        received = sum(handler.ids.values())
        span = handler.times[-1] - handler.times[0] if len(handler.times) > 1 else 0.0
        return {
            "bookings": booked,
            "due_emails": due,
            "received": received,
            "sent_twice": sum(1 for count in handler.ids.values() if count > 1),
            "seconds_first_to_last": round(span, 2),
            "deliveries_per_second": round((received - 1) / span, 1) if span else None,
            "server_workers": 4,
        }
    finally:
        controller.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def without_notifications(workdir: Path) -> Path:
    text = DEMO.read_text()
    start = text.index("[organisation.notifications]")
    end = text.index("# Add-to-calendar text.")
    path = workdir / "no-notifications.toml"
    path.write_text(text[:start] + text[end:])
    return path


def booking_cost(seconds: int, rounds: int) -> dict[str, Any]:
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    scratch = Path(tempfile.mkdtemp(prefix="rendezvous-bench-outbox-"))
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "written": [], "on": []}
    try:
        configs = {"off": without_notifications(scratch), "written": DEMO, "on": DEMO}
        # "written": the outbox is written, but this process's worker sends nothing.
        intervals = {"off": "2.0", "written": "0", "on": "2.0"}
        for n in range(rounds):
            for name in ("off", "written", "on"):
                workdir = scratch / f"{name}-{n}"
                workdir.mkdir()
                server = Server(
                    workdir, configs[name], controller.port, workers=1, interval=intervals[name]
                )
                try:
                    runs[name].append(asyncio.run(_book(server.base, seconds)))
                finally:
                    server.stop()
    finally:
        controller.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    def summary(found: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "p50_ms": [run["p50_ms"] for run in found],
            "p99_ms": [run["p99_ms"] for run in found],
            "created_per_second": [run["created_per_second"] for run in found],
            "median_p50_ms": round(statistics.median(run["p50_ms"] for run in found), 2),
            "median_p99_ms": round(statistics.median(run["p99_ms"] for run in found), 2),
        }

    off, written, on = (summary(runs[name]) for name in ("off", "written", "on"))

    def cost(found: dict[str, Any], key: str) -> float:
        return round(100 * (found[key] / off[key] - 1), 1)

    return {
        "clients": 32,
        "seconds_each": seconds,
        "without_notifications": off,
        "outbox_written_not_sent": written,
        "outbox_written_and_sent_by_the_same_process": on,
        "emails_received_meanwhile": sum(handler.ids.values()),
        "write_p50_cost_percent": cost(written, "median_p50_ms"),
        "write_p99_cost_percent": cost(written, "median_p99_ms"),
        "write_and_send_p50_cost_percent": cost(on, "median_p50_ms"),
        "write_and_send_p99_cost_percent": cost(on, "median_p99_ms"),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_deliveries")
    parser.add_argument("--quick", action="store_true", help="fewer bookings, shorter runs")
    args, _ = parser.parse_known_args(argv)
    bookings = 100 if args.quick else 300
    seconds, rounds = (2, 1) if args.quick else (5, 3)
    document = {
        "throughput": deliveries_per_second(bookings),
        "booking_cost": booking_cost(seconds, rounds),
    }
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
