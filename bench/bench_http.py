"""HTTP throughput of the real server: `python -m bench.bench_http` prints one JSON object.

Starts `rendezvous serve` (the demo organisation, a fresh database in a temporary
directory), then:

1. `wrk -t2 -c32 -d5s --latency`, one worker, side by side in one run: a trivial route
   that does no I/O (`/livez` when the server has it, else a path that does not exist:
   a 404 through every middleware and the error handler), `/healthz` (which reads the
   database), and `GET /api/v1/slots` (one office, 14 days, mortgage at the office)
   cached (the same request: the memo's rendered body) and uncached (another `tz` on
   each request, over 400 zones: more keys than the memo keeps, so the engine runs and
   renders every time). Without wrk, an httpx load generator stands in, and the JSON
   says so.
2. Bookings per second, for each of `--workers` (default 1, 2 and 4 server processes,
   each on a fresh database): 32 concurrent clients (wrk and a Lua script) book the
   free starts the slots answers listed (every combination of `BOOKABLE`, 60 days) for
   ~5 s, counting 201 and 409; then the SQLite file is checked for double bookings
   (more overlapping confirmed/requested appointments of one agent than
   `max_concurrent`), which must be 0. Two orders of the same starts, each run apart:
   - `bookings` ("random"): the starts in a random order (a fixed seed), as customers
     choose times. The demo's combinations share agents, so a listed start is often
     gone already (a third of the answers are 409s);
   - `bookings_competing`: concurrent clients are handed the same time of the same day
     for different subjects, so that they race for the same agents (two in five
     answers are 409s): the contended case.

The server keeps its access log on, as deployed. `targets` says which of issue 9's
targets this run met, on the random order (bookings: >= 500 created/s and p99 <= 150 ms
on 2 workers, p99 on 4 workers no worse than on 1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, available_timezones

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-bank" / "organisation.toml"
CONNECTIONS = 32
#: The booking run's random order is the same in every run.
SEED = 20261201
#: Days ahead whose free starts the booking run spreads over (the demo's rules offer 45
#: to 60): enough free starts that the run never runs out of them.
BOOKING_DAYS = 60
#: A path no route has: the server's cheapest answer when it has no `/livez`.
NOT_FOUND = "/no-such-page"
SLOTS_QUERY = "subject=mortgage&meeting_type=OFFICE&office=brussels"
#: (subject, meeting type, office) combinations the booking run spreads over.
BOOKABLE = [
    ("mortgage", "OFFICE", "brussels"),
    ("savings", "OFFICE", "brussels"),
    ("savings", "PHONE", "antwerp"),
    ("car-loan", "OFFICE", "antwerp"),
    ("new-account", "OFFICE", "london"),
    ("home-insurance", "OFFICE", "brussels"),
    ("car-insurance", "OFFICE", "antwerp"),
    ("investments", "VIDEO", "london"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`rendezvous serve` in a subprocess, on a free port, with its own database."""

    def __init__(self, workdir: Path, workers: int = 1, *, send: bool = True) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = workdir / "rendezvous.sqlite3"
        config = workdir / "organisation.toml"
        shutil.copyfile(DEMO, config)
        text = config.read_text().replace(
            'public_url = "http://127.0.0.1:8000"', f'public_url = "{self.base}"'
        )
        config.write_text(text)
        env = {
            **os.environ,
            "RENDEZVOUS_CONFIG": str(config),
            "RENDEZVOUS_DATABASE": str(self.database),
            "RENDEZVOUS_SECRET_KEY": "bench-secret-key-not-for-production",
            # Bookings come from one address here; the per-client limit would stop them.
            "RENDEZVOUS_RATE_LIMIT": "1000000",
            "PYTHONPATH": str(ROOT),
        }
        if not send:  # the outbox is written as always, and sent by other processes
            env["RENDEZVOUS_DELIVERY_INTERVAL"] = "0"
        command = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(workers), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
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
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- throughput -------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _milliseconds(value: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s)", value)
    if match is None:
        raise ValueError(f"cannot read the latency {value!r}")
    return round(float(match[1]) * _UNITS[match[2]], 3)


def parse_wrk(output: str) -> dict[str, Any]:
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if rps is None or p50 is None or p99 is None:
        raise ValueError(f"cannot read wrk's output:\n{output}")
    return {
        "rps": round(float(rps[1]), 1),
        "p50_ms": _milliseconds(p50[1]),
        "p99_ms": _milliseconds(p99[1]),
        "non_2xx": int(errors[1]) if errors else 0,
    }


def run_wrk(url: str, seconds: int, paths: list[str] | None = None) -> dict[str, Any]:
    """`paths`: requests rotate over these (a Lua script), else every request is `url`."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    with tempfile.TemporaryDirectory() as scratch:
        if paths:
            script = Path(scratch) / "rotate.lua"
            listed = ",\n".join(json.dumps(path) for path in paths)
            script.write_text(
                f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
                "request = function()\n  i = i % #paths + 1\n"
                "  return wrk.format('GET', paths[i])\nend\n"
            )
            command += ["-s", str(script)]
        result = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


async def _httpx_load(urls: list[str], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal failures
        n = offset
        while time.perf_counter() < deadline:
            n += 1
            started = time.perf_counter()
            response = await client.get(urls[n % len(urls)])
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code >= 400

    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client, n) for n in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 3),
        "non_2xx": failures,
    }


def measure(url: str, seconds: int, paths: list[str] | None = None) -> tuple[dict[str, Any], str]:
    if shutil.which("wrk"):
        return run_wrk(url, seconds, paths), "wrk"
    scheme, _, host, _ = url.split("/", 3)
    urls = [f"{scheme}//{host}{path}" for path in paths or []] or [url]
    fallback = "httpx (wrk not installed; the client is the bottleneck)"
    return asyncio.run(_httpx_load(urls, seconds)), fallback


# -- bookings ---------------------------------------------------------------------------


async def _free_starts(
    client: httpx.AsyncClient, first: date, days: int, order: str = "random"
) -> list[dict[str, str]]:
    """The free starts of `BOOKABLE` over `days` from `first`, in `order` ("random" or
    "competing": see the module's notes)."""
    wanted: list[dict[str, str]] = []
    for subject, meeting_type, office in BOOKABLE:
        for chunk in range(0, days, 31):  # a slots query covers at most 62 days
            query = {
                "subject": subject,
                "meeting_type": meeting_type,
                "office": office,
                "from": (first + timedelta(days=chunk)).isoformat(),
                "to": (first + timedelta(days=min(days, chunk + 31) - 1)).isoformat(),
            }
            response = await client.get("/api/v1/slots", params=query)
            response.raise_for_status()
            for slot in response.json()["slots"]:
                wanted.append({**query, "start": slot["start"]})
    if order == "competing":
        # Interleave combinations and days so that concurrent clients compete for agents.
        wanted.sort(key=lambda item: (item["start"][11:16], item["start"][:10], item["subject"]))
    else:
        random.Random(SEED).shuffle(wanted)
    return wanted


def _booking_body(slot: dict[str, str], n: int) -> dict[str, Any]:
    return {
        "subject": slot["subject"],
        "meeting_type": slot["meeting_type"],
        "office": slot["office"],
        "start": slot["start"],
        "customer": {
            "first_name": "Bench",
            "last_name": f"Customer {n}",
            "email": f"bench{n}@example.com",
            "phone": "+32 2 555 01 23",
            "language": "en",
        },
        "answers": {"amount": 200000, "property": "buy"} if slot["subject"] == "mortgage" else {},
    }


async def _book(base: str, seconds: float, order: str) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        first = datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=2)
        pending = await _free_starts(client, first, BOOKING_DAYS, order)
        counts: dict[str, int] = defaultdict(int)
        samples: dict[str, str] = {}
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds
        taken = 0

        async def worker() -> None:
            nonlocal taken
            while time.perf_counter() < deadline and taken < len(pending):
                n = taken
                taken += 1
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/appointments",
                    json=_booking_body(pending[n], n),
                    headers={"Idempotency-Key": f"bench-{n}"},
                )
                latencies.append((time.perf_counter() - started) * 1000)
                counts[str(response.status_code)] += 1
                if response.status_code not in (201, 409):
                    samples.setdefault(str(response.status_code), response.text[:300])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": CONNECTIONS,
        "seconds": round(elapsed, 2),
        "free_starts": len(pending),
        "attempts": sum(counts.values()),
        "attempts_per_second": round(sum(counts.values()) / elapsed, 1),
        "by_status": dict(sorted(counts.items())),
        "created_per_second": round(counts["201"] / elapsed, 1),
        "unexpected": samples,
        "p50_ms": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2) if latencies else None,
    }


def double_bookings(database: Path, config_path: Path) -> int:
    """Appointments that were booked although `max_concurrent` forbade it (SPEC 4, #12).

    The rule is the one of the booking being made: at every instant of its occupation,
    fewer than its `max_concurrent` appointments booked before it (rowid order; the
    run cancels nothing) may occupy the agent.
    """
    sys.path.insert(0, str(ROOT))
    from server import config

    engine = config.load(config_path).engine
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT agent, subject, meeting_type, office, start_utc, end_utc + trailing_buffer * 60"
            " FROM appointments WHERE status IN ('confirmed', 'requested') ORDER BY rowid"
        ).fetchall()
    earlier: dict[str, list[tuple[int, int]]] = defaultdict(list)
    violations = 0
    for agent, subject, meeting_type, office, start, end in rows:
        rule = engine.offices[office].subjects[subject].rules[meeting_type] if office else None
        limit = rule.max_concurrent if rule else 1
        inside = [(max(s, start), min(e, end)) for s, e in earlier[agent] if s < end and start < e]
        points = sorted([(s, 1) for s, _ in inside] + [(e, -1) for _, e in inside])
        depth = peak = 0
        for _, change in points:  # ends sort before starts at the same instant
            depth += change
            peak = max(peak, depth)
        violations += peak >= limit
        earlier[agent].append((start, end))
    return violations


def trivial_path(base: str) -> str:
    """`/livez` (no I/O) when the server has it, else a 404 (no I/O either)."""
    try:
        if httpx.get(f"{base}/livez", timeout=5).status_code == 200:
            return "/livez"
    except httpx.HTTPError:
        pass
    return NOT_FOUND


def throughput(seconds: int) -> dict[str, Any]:
    """The read routes side by side on one worker."""
    workdir = Path(tempfile.mkdtemp(prefix="rendezvous-bench-"))
    server = Server(workdir)
    try:
        server.wait()
        today = datetime.now(UTC).date()
        slots_url = (
            f"{server.base}/api/v1/slots?{SLOTS_QUERY}"
            f"&from={today + timedelta(days=1)}&to={today + timedelta(days=14)}"
        )
        count = len(httpx.get(slots_url).json()["slots"])
        trivial_url = trivial_path(server.base)
        trivial, tool = measure(f"{server.base}{trivial_url}", seconds)
        health, _ = measure(f"{server.base}/healthz", seconds)
        slots, _ = measure(slots_url, seconds)
        # Every request a different time zone: the per-minute memo of the engine's
        # answer never hits (more keys than it keeps), so the engine runs each time.
        path = slots_url.removeprefix(server.base)
        zones = sorted(available_timezones())[:400]
        rotating = [f"{path}&tz={quote(zone, safe='/')}" for zone in zones]
        uncached, _ = measure(slots_url, seconds, rotating)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "tool": tool,
        "connections": CONNECTIONS,
        "seconds_each": seconds,
        "workers": 1,
        "trivial": {"url": trivial_url, "io": False, **trivial},
        "healthz": {"url": "/healthz", "io": "reads the database", **health},
        "slots_cached": {
            "url": f"/api/v1/slots?{SLOTS_QUERY}&from=+1d&to=+14d",
            "slots": count,
            **slots,
        },
        "slots_uncached": {"url": "the same, each request another tz (400)", **uncached},
        "ratio_cached_to_trivial": round(slots["rps"] / trivial["rps"], 3),
        "ratio_uncached_to_trivial": round(uncached["rps"] / trivial["rps"], 3),
    }


_BOOK_LUA = """
local bodies = {
%(bodies)s
}
local count = 0
local threads = {}
function setup(thread)
  thread:set("first", count)
  count = count + 1
  table.insert(threads, thread)
end
function init(args)
  n = first
  statuses = {}
end
function request()
  n = n + %(threads)d
  local i = (n - 1) %% #bodies + 1
  return wrk.format("POST", "/api/v1/appointments",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = "bench-" .. n}, bodies[i])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for code, times in pairs(thread:get("statuses")) do
      io.write(string.format("STATUS %%d %%d\\n", code, times))
    end
  end
end
"""


def book_with_wrk(base: str, seconds: int, database: Path, order: str) -> dict[str, Any]:
    """32 connections booking distinct free starts for `seconds`, driven by wrk (a Lua
    script hands each request the next body and counts the answers' statuses): the
    load generator stays far from being the bottleneck, which an httpx client in one
    Python process on the same two cores was not."""

    async def starts() -> list[dict[str, str]]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            first = datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=2)
            return await _free_starts(client, first, BOOKING_DAYS, order)

    pending = asyncio.run(starts())
    bodies = ",\n".join(
        "[==[" + json.dumps(_booking_body(slot, n + 1)) + "]==]" for n, slot in enumerate(pending)
    )
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "book.lua"
        script.write_text(_BOOK_LUA % {"bodies": bodies, "threads": 2})
        command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s"]
        output = subprocess.run(
            [*command, str(script), base], capture_output=True, text=True, check=True
        ).stdout
    measured = parse_wrk(output)
    statuses: dict[str, int] = defaultdict(int)
    for code, times in re.findall(r"^STATUS (\d+) (\d+)$", output, re.MULTILINE):
        statuses[code] += int(times)
    attempts = sum(statuses.values())
    with sqlite3.connect(database) as conn:
        created = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
    return {
        "tool": "wrk -t2 -c32, a Lua script (a body per request)",
        "order": order,
        "clients": CONNECTIONS,
        "seconds": seconds,
        "free_starts": len(pending),
        "ran_out_of_free_starts": attempts > len(pending),
        "attempts": attempts,
        "attempts_per_second": round(attempts / seconds, 1),
        "by_status": dict(sorted(statuses.items())),
        "created": created,
        "created_per_second": round(created / seconds, 1),
        "p50_ms": measured["p50_ms"],
        "p99_ms": measured["p99_ms"],
    }


def booking_run(workers: int, seconds: int, keep: bool, order: str = "random") -> dict[str, Any]:
    """The booking run against `workers` server processes on a fresh database. They
    write each booking's deliveries into the outbox, as always, and leave the sending
    (rendering e-mails, CPU work) to other processes (`RENDEZVOUS_DELIVERY_INTERVAL=0`,
    docs/deliveries.md): `bench.bench_deliveries` measures that side."""
    workdir = Path(tempfile.mkdtemp(prefix="rendezvous-bench-"))
    server = Server(workdir, workers=workers, send=False)
    try:
        server.wait()
        if shutil.which("wrk"):
            bookings = book_with_wrk(server.base, seconds, server.database, order)
        else:
            bookings = asyncio.run(_book(server.base, seconds, order))
        bookings["double_bookings"] = double_bookings(
            server.database, workdir / "organisation.toml"
        )
    finally:
        server.stop()
        if keep:
            bookings["workdir"] = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return {"workers": workers, **bookings}


def targets(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Issue 9's booking targets, as met or not by this run."""
    met: dict[str, Any] = {}
    two = runs.get("2")
    if two is not None:
        met["2 workers: >= 500 created/s"] = two["created_per_second"] >= 500
        met["2 workers: p99 <= 150 ms"] = two["p99_ms"] <= 150
    if "1" in runs and "4" in runs:
        met["4 workers: p99 no worse than 1 worker"] = runs["4"]["p99_ms"] <= runs["1"]["p99_ms"]
    met["no double booking"] = all(run["double_bookings"] == 0 for run in runs.values())
    return met


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_http")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 s per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the databases for a look")
    parser.add_argument(
        "--workers", default="1,2,4", help="server processes of the booking runs (1,2,4)"
    )
    parser.add_argument("--only", choices=("reads", "bookings"), help="one half of the run")
    args, _ = parser.parse_known_args(argv)
    seconds = 2 if args.quick else args.seconds
    document: dict[str, Any] = {}
    if args.only != "bookings":
        document.update(throughput(seconds))
    if args.only != "reads":
        counts = [int(n) for n in args.workers.split(",")]
        runs = {str(workers): booking_run(workers, seconds, args.keep) for workers in counts}
        document["bookings"] = runs
        document["targets"] = targets(runs)
        document["bookings_competing"] = {
            str(workers): booking_run(workers, seconds, args.keep, "competing")
            for workers in counts
        }
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
