"""SQLite against PostgreSQL, one and two instances (SPEC 13):
`python -m bench.bench_postgresql` prints one JSON object.

In one run, side by side, on the demo organisation:

1. Bookings: the booking run of `bench.bench_http` (32 concurrent httpx clients booking
   distinct free slots for ~5 s, every request with an `Idempotency-Key`) against
   - SQLite, one instance of 2 workers;
   - PostgreSQL, one instance of 2 workers;
   - PostgreSQL, two instances of 2 workers each on one database, the clients
     alternating between them (what a reverse proxy would do).
   Bookings created per second, p50 and p99; after every run the database is checked
   for double bookings (more overlapping confirmed or requested appointments of one
   agent than the rule's `max_concurrent`), which must be 0. Each configuration runs
   `--rounds` times (default 3) on fresh databases, alternating, and the medians are
   compared: `pg2_over_pg1` is the target's ratio (≥ 1.5).
2. Uncached slot searches per second (`wrk -t2 -c32`, each request another time zone so
   the per-minute memo never answers, as in `bench_http`) against SQLite and PostgreSQL
   (one instance of 2 workers each), the database holding the bookings of a run.
3. The rate limit counted in PostgreSQL (docs/deployment.md, "Rate limits"): an UPSERT
   token bucket per client address, 32 concurrent checks for 3 s, on one hot address and
   on 32 addresses; beside today's in-process bucket.

PostgreSQL is the machine's server (`RENDEZVOUS_BENCH_POSTGRESQL`, default
postgresql://postgres@127.0.0.1:5432/test); each run makes its own database
`rendezvous_bench_<uuid>` and drops it. The load generator, the servers and PostgreSQL
share the machine's cores: `machine.cpus` in the document says how many.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, available_timezones

import asyncpg
import httpx

from bench.bench_http import (
    CONNECTIONS,
    DEMO,
    SLOTS_QUERY,
    _booking_body,
    _free_starts,
    free_port,
    measure,
)

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("RENDEZVOUS_BENCH_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")


def _url_of(name: str) -> str:
    return urlunsplit(urlsplit(SERVER)._replace(path=f"/{name}"))


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class Database:
    """A fresh database: a SQLite file in `workdir`, or a new PostgreSQL database."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.setting = str(workdir / "rendezvous.sqlite3")
            self.name = ""
        else:
            self.name = f"rendezvous_bench_{uuid.uuid4().hex}"
            asyncio.run(_admin(f'CREATE DATABASE "{self.name}"'))
            self.setting = _url_of(self.name)

    def drop(self) -> None:
        if self.name:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


class Instance:
    """`rendezvous serve --workers N` on a free port, on the given database."""

    def __init__(self, workdir: Path, database: str, workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = workdir / "organisation.toml"
        if not config.exists():
            shutil.copyfile(DEMO, config)
        env = {
            **os.environ,
            "RENDEZVOUS_CONFIG": str(config),
            "RENDEZVOUS_DATABASE": database,
            "RENDEZVOUS_SECRET_KEY": "bench-secret-key-not-for-production",
            "RENDEZVOUS_RATE_LIMIT": "1000000",  # one address books everything here
            "RENDEZVOUS_MAILDIR": str(workdir / f"mail-{self.port}"),
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

    def wait(self, timeout: float = 60.0) -> Instance:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- bookings ---------------------------------------------------------------------------


async def _book(bases: list[str], seconds: float) -> dict[str, Any]:
    """`bench_http`'s booking run, the clients spread over `bases`."""
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=bases[0], limits=limits, timeout=60) as client:
        first = datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=2)
        pending = await _free_starts(client, first, 28, "competing")
        counts: dict[str, int] = defaultdict(int)
        samples: dict[str, str] = {}
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds
        taken = 0

        async def worker(index: int) -> None:
            nonlocal taken
            url = f"{bases[index % len(bases)]}/api/v1/appointments"
            while time.perf_counter() < deadline and taken < len(pending):
                n = taken
                taken += 1
                started = time.perf_counter()
                response = await client.post(
                    url, json=_booking_body(pending[n], n), headers={"Idempotency-Key": f"b-{n}"}
                )
                latencies.append((time.perf_counter() - started) * 1000)
                counts[str(response.status_code)] += 1
                if response.status_code not in (201, 409):
                    samples.setdefault(str(response.status_code), response.text[:300])

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "seconds": round(elapsed, 2),
        "attempts": sum(counts.values()),
        "by_status": dict(sorted(counts.items())),
        "created_per_second": round(counts["201"] / elapsed, 1),
        "unexpected": samples,
        "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
    }


def _occupations(database: Database) -> list[tuple[str, str, str, str | None, int, int]]:
    """(agent, subject, meeting type, office, start, end + buffer) of every confirmed or
    requested appointment, in the order they were booked (per agent: the rule of each is
    checked against the ones before it), in unix seconds."""
    if database.kind == "sqlite":
        import sqlite3

        with sqlite3.connect(database.setting) as conn:
            return conn.execute(
                "SELECT agent, subject, meeting_type, office, start_utc,"
                " end_utc + trailing_buffer * 60 FROM appointments"
                " WHERE status IN ('confirmed', 'requested') ORDER BY rowid"
            ).fetchall()

    async def read() -> list[Any]:
        conn = await asyncpg.connect(database.setting)
        try:
            return list(
                await conn.fetch(
                    "SELECT agent, subject, meeting_type, office,"
                    " extract(epoch FROM start_utc)::bigint,"
                    " extract(epoch FROM end_utc + trailing_buffer * interval '1 minute')::bigint"
                    " FROM appointments WHERE status IN ('confirmed', 'requested')"
                    # The inserting transaction's id: bookings of one agent take its lock
                    # before they write, so for each agent this is the booking order.
                    " ORDER BY xmin::text::bigint"
                )
            )
        finally:
            await conn.close()

    return [tuple(row) for row in asyncio.run(read())]  # type: ignore[misc]


def double_bookings(database: Database, config_path: Path) -> int:
    """Instants where an agent holds more appointments than the rule of the booking
    being made allows (SPEC 4, #12); as `bench_http.double_bookings`, on either backend.
    Order-independent where the rules agree: any instant above `max_concurrent` is one."""
    sys.path.insert(0, str(ROOT))
    from server import config

    engine = config.load(config_path).engine
    earlier: dict[str, list[tuple[int, int]]] = defaultdict(list)
    violations = 0
    for agent, subject, meeting_type, office, start, end in _occupations(database):
        rule = engine.offices[office].subjects[subject].rules[meeting_type] if office else None
        limit = rule.max_concurrent if rule else 1
        inside = [(max(s, start), min(e, end)) for s, e in earlier[agent] if s < end and start < e]
        points = sorted([(s, 1) for s, _ in inside] + [(e, -1) for _, e in inside])
        depth = peak = 0
        for _, change in points:
            depth += change
            peak = max(peak, depth)
        violations += peak >= limit
        earlier[agent].append((start, end))
    return violations


def booking_run(kind: str, instances: int, seconds: float) -> dict[str, Any]:
    """One booking run on a fresh database; the servers stopped afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="rendezvous-bench-pg-"))
    database = Database(kind, workdir)
    started: list[Instance] = []
    try:
        for _ in range(instances):
            started.append(Instance(workdir, database.setting))
        for instance in started:
            instance.wait()
        result = asyncio.run(_book([i.base for i in started], seconds))
        result["double_bookings"] = double_bookings(database, workdir / "organisation.toml")
        return result
    finally:
        for instance in started:
            instance.stop()
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)


# -- uncached slot searches ------------------------------------------------------------


def slots_run(kind: str, seconds: int) -> dict[str, Any]:
    """Uncached slot searches on a database holding a booking run's appointments."""
    workdir = Path(tempfile.mkdtemp(prefix="rendezvous-bench-pg-"))
    database = Database(kind, workdir)
    instance = Instance(workdir, database.setting)
    try:
        instance.wait()
        asyncio.run(_book([instance.base], 3))  # some appointments to read
        today = datetime.now(ZoneInfo("Europe/Brussels")).date()
        path = (
            f"/api/v1/slots?{SLOTS_QUERY}"
            f"&from={today + timedelta(days=1)}&to={today + timedelta(days=14)}"
        )
        zones = sorted(available_timezones())[:400]
        rotating = [f"{path}&tz={quote(zone, safe='/')}" for zone in zones]
        found, tool = measure(f"{instance.base}{path}", seconds, rotating)
        return {"tool": tool, **found}
    finally:
        instance.stop()
        database.drop()
        shutil.rmtree(workdir, ignore_errors=True)


# -- the rate limit in the database ----------------------------------------------------

_BUCKET = """
    INSERT INTO rate_limits (client, tokens, stamp) VALUES ($1, $2 - 1, $3)
    ON CONFLICT (client) DO UPDATE
       SET tokens = least($2, rate_limits.tokens + ($3 - rate_limits.stamp) * $4) - 1,
           stamp = $3
    RETURNING tokens
"""


async def _counter(one_address: bool, seconds: float) -> dict[str, Any]:
    name = f"rendezvous_bench_{uuid.uuid4().hex}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        pool = await asyncpg.create_pool(_url_of(name), min_size=32, max_size=32)
        await pool.execute(
            "CREATE TABLE rate_limits (client text PRIMARY KEY,"
            " tokens double precision NOT NULL, stamp double precision NOT NULL)"
        )
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        async def check(index: int) -> None:
            client = "203.0.113.7" if one_address else f"198.51.100.{index}"
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                await pool.fetchval(_BUCKET, client, 60.0, time.time(), 1.0)
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(check(i) for i in range(32)))
        elapsed = time.perf_counter() - began
        await pool.close()
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    latencies.sort()
    return {
        "checks_per_second": round(len(latencies) / elapsed),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
    }


def rate_limit(seconds: float) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from server.middleware.ratelimit import TokenBuckets

    buckets = TokenBuckets(10**9)
    began = time.perf_counter()
    for _ in range(200_000):
        buckets.take("203.0.113.7")
    in_process = (time.perf_counter() - began) / 200_000
    return {
        "in_process_us_per_check": round(in_process * 1e6, 2),
        "postgresql_32_addresses": asyncio.run(_counter(False, seconds)),
        "postgresql_one_address": asyncio.run(_counter(True, seconds)),
    }


# -- the document ----------------------------------------------------------------------


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if run.get(key) is not None]
    return round(statistics.median(values), 1) if values else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_postgresql")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round of 2 s each")
    args, _ = parser.parse_known_args(argv)
    seconds = 2 if args.quick else args.seconds
    rounds = 1 if args.quick else args.rounds
    configurations = {
        "sqlite_2_workers": ("sqlite", 1),
        "postgresql_1_instance": ("postgresql", 1),
        "postgresql_2_instances": ("postgresql", 2),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in configurations}
    for _ in range(rounds):  # alternating, so that the machine's moods spread evenly
        for name, (kind, instances) in configurations.items():
            runs[name].append(booking_run(kind, instances, seconds))
    bookings = {
        name: {
            "workers_per_instance": 2,
            "instances": configurations[name][1],
            "created_per_second_median": _median(found, "created_per_second"),
            "p99_ms_median": _median(found, "p99_ms"),
            "double_bookings": sum(run["double_bookings"] for run in found),
            "runs": found,
        }
        for name, found in runs.items()
    }
    one = bookings["postgresql_1_instance"]["created_per_second_median"]
    two = bookings["postgresql_2_instances"]["created_per_second_median"]
    document = {
        "clients": CONNECTIONS,
        "seconds_each": seconds,
        "rounds": rounds,
        "bookings": bookings,
        "pg2_over_pg1": round(two / one, 2) if one and two else None,
        "target_pg2_over_pg1": 1.5,
        "double_bookings_total": sum(b["double_bookings"] for b in bookings.values()),
        "slots_uncached": {
            "sqlite_2_workers": slots_run("sqlite", seconds),
            "postgresql_1_instance": slots_run("postgresql", seconds),
        },
        "rate_limit": rate_limit(3.0 if not args.quick else 1.0),
    }
    print(json.dumps(document, indent=2))
    return 1 if document["double_bookings_total"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
