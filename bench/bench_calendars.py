"""Agents' calendars (SPEC 12): `python -m bench.bench_calendars [--quick]` prints one
JSON object.

1. Reading one feed: a 1 MB ICS feed (50 weekly series with EXDATEs and moved
   instances, and about 2,700 single events of the past year, as Outlook publishes
   them) parsed and expanded over 60 days, in this process and through a child process
   of `server.calendars.isolation` (what the refresher does); median of several runs.
2. The slot search with calendars: `availability.find_slots` for the 200 offices × 2,000
   agents organisation of `bench.bench_engine`, each agent with 300 external busy
   intervals over 62 days stored the way the server stores them (merged, packed,
   decoded on first use by `server.calendars.intervals.External`, a new one per call as
   per request), side by side with the same search without calendars. Also the store
   read of 2,000 agents' stored intervals from SQLite (`intervals.read`).
3. One refresh round: 2,000 agents each linking an ICS feed (a few weekly series and
   single events) served locally by `bench.feed_server` in another process; the
   refresher of one server process reads them all (`Refresher.refresh_all`), then a
   second round answered `304 Not Modified`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from availability import OFFICE, VIDEO, Busy, SlotQuery, find_slots
from availability.slots import clear_caches
from bench.synthetic import generate
from server.calendars import intervals
from server.calendars.expansion import busy_intervals, merge
from server.calendars.intervals import Decoded, External, pack
from server.calendars.isolation import Parsers

SEED = 7
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STAMP = "%Y%m%dT%H%M%S"
BRUSSELS = ZoneInfo("Europe/Brussels")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")


def timed(call: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000
    finally:
        gc.enable()


def summary(runs: list[float]) -> dict[str, float]:
    runs = sorted(runs)
    return {
        "median_ms": round(statistics.median(runs), 2),
        "p95_ms": round(runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))], 2),
        "runs": len(runs),
    }


# -- 1. one feed ------------------------------------------------------------------------


def outlook_feed(rng: random.Random, series: int, singles: int, now: datetime) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:Microsoft Exchange Server 2010",
        "METHOD:PUBLISH",
    ]
    description = "Agenda: " + " ".join(
        rng.choice(["review", "plan", "budget", "client", "follow-up"]) for _ in range(30)
    )
    for index in range(series):
        start = datetime.combine(
            now.date() - timedelta(days=rng.randrange(200)), datetime.min.time()
        ) + timedelta(hours=rng.randrange(8, 17), minutes=rng.choice([0, 30]))
        uid = f"series-{index}-040000008200E00074C5B7101A82E008"
        length = timedelta(minutes=rng.choice([30, 60, 90]))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=W. Europe Standard Time:{start:{STAMP}}",
            f"DTEND;TZID=W. Europe Standard Time:{start + length:{STAMP}}",
            f"RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY={WEEKDAYS[start.weekday() % 5]}",
            "EXDATE;TZID=W. Europe Standard Time:"
            + f"{start + timedelta(weeks=rng.randrange(20, 40)):{STAMP}}",
            f"SUMMARY:Weekly meeting {index}",
            f"DESCRIPTION:{description}",
            "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
            "END:VEVENT",
        ]
        moved = start + timedelta(weeks=rng.randrange(28, 34))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"RECURRENCE-ID;TZID=W. Europe Standard Time:{moved:{STAMP}}",
            f"DTSTART;TZID=W. Europe Standard Time:{moved + timedelta(hours=1):{STAMP}}",
            f"DTEND;TZID=W. Europe Standard Time:{moved + timedelta(hours=2):{STAMP}}",
            "SUMMARY:Moved",
            "END:VEVENT",
        ]
    for index in range(singles):
        start = datetime.combine(
            now.date() - timedelta(days=rng.randrange(365)), datetime.min.time()
        ) + timedelta(hours=rng.randrange(8, 18))
        lines += [
            "BEGIN:VEVENT",
            f"UID:single-{index}@example.com",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=W. Europe Standard Time:{start:{STAMP}}",
            f"DTEND;TZID=W. Europe Standard Time:{start + timedelta(hours=1):{STAMP}}",
            "SUMMARY:Appointment",
            f"DESCRIPTION:{description[: rng.randrange(40, 200)]}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def one_feed(quick: bool) -> dict[str, Any]:
    rng = random.Random(SEED)
    data = outlook_feed(rng, 50, 270 if quick else 2700, NOW)
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=60)
    found = busy_intervals([data], start, end, "Europe/Brussels")
    runs = [
        timed(lambda: busy_intervals([data], start, end, "Europe/Brussels"))
        for _ in range(3 if quick else 7)
    ]

    async def through_children() -> list[float]:
        parsers = Parsers(size=1)
        try:
            await parsers.busy([data], start, end, "Europe/Brussels", None)  # the child starts
            found = []
            for _ in range(3 if quick else 7):
                started = time.perf_counter()
                await parsers.busy([data], start, end, "Europe/Brussels", None)
                found.append((time.perf_counter() - started) * 1000)
            return found
        finally:
            await parsers.close()

    return {
        "feed_bytes": len(data),
        "series": 50,
        "busy_intervals_60d": len(found.intervals),
        "in_process": summary(runs),
        "through_a_child_process": summary(asyncio.run(through_children())),
    }


# -- 2. the slot search with calendars ------------------------------------------------


def external_of(
    rng: random.Random, agents: list[str], per_agent: int, days: int
) -> dict[str, bytes]:
    """`per_agent` busy intervals per agent in working hours over `days`, as stored."""
    stored = {}
    base = datetime.combine(NOW.date(), datetime.min.time(), BRUSSELS)
    for agent in agents:
        spans = []
        for _ in range(per_agent):
            day = base + timedelta(days=rng.randrange(days))
            start = day + timedelta(hours=rng.randrange(8, 18), minutes=rng.choice([0, 15, 30, 45]))
            length = timedelta(minutes=rng.choice([15, 30, 45, 60]))
            spans.append((int(start.timestamp()), int((start + length).timestamp())))
        stored[agent] = pack(merge(spans))
    return stored


def slot_search(quick: bool) -> dict[str, Any]:
    offices, agents = (50, 500) if quick else (200, 2000)
    org, busy = generate(offices, agents, SEED, 64, NOW)
    rng = random.Random(SEED)
    stored = external_of(rng, list(org.agents), 300, 62)
    merged = sum(len(data) // 16 for data in stored.values())
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=64)
    results: dict[str, Any] = {
        "organisation": f"{offices}x{agents}",
        "intervals_per_agent_drawn": 300,
        "intervals_stored_per_agent_after_merging": round(merged / len(stored), 1),
    }
    for name, meeting_type, office in (
        ("all-offices-video-62d", VIDEO, None),
        ("one-office-62d", OFFICE, "office-000"),
    ):
        query = SlotQuery(
            "mortgage",
            meeting_type,
            office,
            None,
            NOW.date(),
            NOW.date() + timedelta(days=61),
            "Europe/Brussels",
        )
        results[name] = compare(org, busy, stored, query, start, end, 3 if quick else 15)
    results["store_read"] = store_read(stored, start, end, quick)
    results["target_ms"] = {"200x2000/all-offices-video-62d": 250}
    return results


def compare(
    org: Any,
    busy: Busy,
    stored: dict[str, bytes],
    query: SlotQuery,
    start: datetime,
    end: datetime,
    runs: int,
) -> dict[str, Any]:
    """The search without calendars, with them as a running server has them (the
    intervals decoded by earlier requests of this organisation version, a new
    `External` per request), and with every calendar changed since the last request
    (everything decoded anew)."""
    without = Busy(occupations=busy.occupations)
    versions = {agent: 1 for agent in stored}
    shared = Decoded()
    for agent, data in stored.items():
        shared.put((agent, 1), data)
    found: dict[str, int] = {}
    times: dict[str, list[float]] = {
        "without_calendars": [],
        "with_calendars": [],
        "with_calendars_all_changed": [],
    }

    def search(name: str, external: External | None) -> None:
        given = (
            without if external is None else Busy(occupations=busy.occupations, external=external)
        )
        found[name] = len(find_slots(org, given, query, NOW))

    def changed() -> External:
        fresh = Decoded()
        for agent, data in stored.items():
            fresh.put((agent, 1), data)
        return External(versions, fresh, start, end)

    calls: dict[str, Callable[[], None]] = {
        "without_calendars": lambda: search("without_calendars", None),
        "with_calendars": lambda: search("with_calendars", External(versions, shared, start, end)),
        "with_calendars_all_changed": lambda: search("with_calendars_all_changed", changed()),
    }
    clear_caches()
    for call in calls.values():
        call()  # the engine's caches warm, as a running server has them
    for _ in range(runs):
        for name, call in calls.items():
            times[name].append(timed(call))
    return {name: {**summary(times[name]), "slots": found[name]} for name in calls}


def store_read(
    stored: dict[str, bytes], start: datetime, end: datetime, quick: bool
) -> dict[str, Any]:
    """`intervals.read` of every agent's stored calendar from SQLite (what one slot
    search of the whole pool reads)."""
    from server.calendars.links import Link
    from server.config import Calendar
    from server.store import CalendarRow, open_store

    async def run() -> list[float]:
        with tempfile.TemporaryDirectory() as folder:
            store = await open_store(Path(folder) / "bench.sqlite3")
            try:
                async with store.write() as tx:
                    await tx.sync_calendars({agent: ("f", "ics") for agent in stored}, NOW)
                    for agent, data in stored.items():
                        await tx.save_calendar(
                            CalendarRow(
                                agent=agent,
                                link="f",
                                kind="ics",
                                updated_at=NOW,
                                busy=data,
                                worked_at=NOW,
                                revision=1,
                            )
                        )
                links = {
                    agent: Link(
                        agent,
                        "ics",
                        "f",
                        "Europe/Brussels",
                        False,
                        Calendar(kind="ics", url_env="X"),
                    )
                    for agent in stored
                }
                policy = intervals.Policy(links, timedelta(hours=24))
                runs = []
                for _ in range(3 if quick else 9):
                    started = time.perf_counter()
                    await intervals.read(store, list(stored), start, end, NOW, policy)
                    runs.append((time.perf_counter() - started) * 1000)
                return runs
            finally:
                await store.close()

    return {"agents": len(stored), **summary(asyncio.run(run()))}


# -- 3. one refresh round ---------------------------------------------------------------


def small_feed(rng: random.Random, index: int) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//bench//EN",
        "X-WR-TIMEZONE:Europe/Brussels",
    ]
    for serial in range(5):
        start = datetime.combine(
            NOW.date() - timedelta(days=rng.randrange(60)), datetime.min.time()
        ) + timedelta(hours=rng.randrange(8, 17))
        lines += [
            "BEGIN:VEVENT",
            f"UID:s{index}-{serial}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=Europe/Brussels:{start:{STAMP}}",
            f"DTEND;TZID=Europe/Brussels:{start + timedelta(minutes=60):{STAMP}}",
            "RRULE:FREQ=WEEKLY",
            "SUMMARY:Team",
            "END:VEVENT",
        ]
    for serial in range(25):
        start = datetime.combine(
            NOW.date() + timedelta(days=rng.randrange(-30, 60)), datetime.min.time()
        ) + timedelta(hours=rng.randrange(8, 17))
        lines += [
            "BEGIN:VEVENT",
            f"UID:o{index}-{serial}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start:{STAMP}}",
            f"DTEND:{start + timedelta(minutes=30):{STAMP}}",
            "SUMMARY:Meeting",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def refresh_round(quick: bool) -> dict[str, Any]:
    from server.calendars.refresher import CONCURRENCY, Refresher
    from server.runtime import Runtime
    from server.settings import Settings

    count = 200 if quick else 2000
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        feeds = root / "feeds"
        feeds.mkdir()
        for index in range(count):
            (feeds / f"agent-{index:04d}.ics").write_bytes(small_feed(rng, index))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.feed_server", str(port), str(feeds)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/")
            organisation = root / "organisation.toml"
            organisation.write_text(_organisation(count, port))
            settings = Settings(
                config_path=organisation,
                database_path=root / "rendezvous.sqlite3",
                secret_key="bench-" + "x" * 32,
                reload_interval=0,
                calendar_refresh=0,
                delivery_interval=0,
            )
            return asyncio.run(_rounds(settings, count, Runtime, Refresher)) | {
                "concurrency": CONCURRENCY
            }
        finally:
            server.terminate()
            server.wait()


async def _rounds(
    settings: Any, count: int, runtime_class: Any, refresher_class: Any
) -> dict[str, Any]:
    runtime = await runtime_class.start(settings)
    refresher = refresher_class(runtime)
    try:
        started = time.perf_counter()
        first = await refresher.refresh_all(now=True)
        full = time.perf_counter() - started
        started = time.perf_counter()
        second = await refresher.refresh_all(now=True)
        conditional = time.perf_counter() - started
        rows = await runtime.store.calendars()
        broken = sum(1 for row in rows.values() if row.problem is not None)
        return {
            "calendars": count,
            "first_round": {
                "read": first,
                "seconds": round(full, 2),
                "per_second": round(first / full, 1),
            },
            "second_round_304": {
                "read": second,
                "seconds": round(conditional, 2),
                "per_second": round(second / conditional, 1),
            },
            "broken": broken,
            "busy_intervals_stored": sum(row.intervals for row in rows.values()),
        }
    finally:
        await refresher.stop()
        await runtime.stop()


def _organisation(count: int, port: int) -> str:
    head = (
        '[organisation]\nname = "Bench"\ntimezone = "Europe/Brussels"\nlanguages = ["en"]\n'
        'public_url = "http://127.0.0.1:8000"\n\n'
    )
    agents = "".join(
        f'[[agents]]\nid = "agent-{index:04d}"\nname = "Agent {index}"\n'
        f'[agents.calendar]\nkind = "ics"\nurl = "http://127.0.0.1:{port}/agent-{index:04d}.ics"\n\n'
        for index in range(count)
    )
    return head + agents


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    report = {
        "benchmark": "agents' calendars (SPEC 12)",
        "python": platform.python_version(),
        "quick": quick,
        "seed": SEED,
        "one_feed": one_feed(quick),
        "slot_search": slot_search(quick),
        "refresh_round": refresh_round(quick),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
