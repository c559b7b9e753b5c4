"""`python -m bench.bench_engine [--quick]`: how fast `find_slots` answers.

Prints one JSON object. For each organisation size and scenario: the median and
95th percentile of warm calls (caches filled by earlier calls, as in a running
server), the first call after emptying every cache (`cold_ms`), the number of
slots, and, where the minute-by-minute reference is affordable, its time and the
speed-up. Garbage collection runs between calls, never inside a timed one.
"""

from __future__ import annotations

import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from availability import OFFICE, VIDEO, Busy, Organisation, Slot, SlotQuery, find_slots
from availability.slots import clear_caches
from bench.synthetic import generate
from tests.availability.reference import reference_slots

SEED = 7
#: A Monday; 62 days from it cross the March and April clock changes of four zones.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SIZES = ((1, 20), (50, 500), (200, 2000))
#: name → (meeting type, office or None for every office, days)
SCENARIOS = {
    "one-office-14d": (OFFICE, "office-000", 14),
    "one-office-62d": (OFFICE, "office-000", 62),
    "all-offices-video-14d": (VIDEO, None, 14),
    "all-offices-video-62d": (VIDEO, None, 62),
}
#: Where the reference runs: it reads every minute of every agent, so only small cases.
REFERENCE = {
    (1, 20): tuple(SCENARIOS),
    (50, 500): ("one-office-14d", "one-office-62d", "all-offices-video-14d"),
    (200, 2000): ("one-office-14d", "one-office-62d"),
}
TARGETS_MS = {
    "1x20/one-office-14d": 2,
    "50x500/all-offices-video-14d": 25,
    "200x2000/all-offices-video-62d": 250,
}


def timed(call: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000
    finally:
        gc.enable()


def measure(
    org: Organisation, busy: Busy, query: SlotQuery, budget_ms: float, max_runs: int
) -> dict[str, object]:
    clear_caches()
    slots: list[Slot] = []

    def call() -> None:
        slots[:] = find_slots(org, busy, query, NOW)

    cold = timed(call)
    runs: list[float] = []
    while len(runs) < 5 or (sum(runs) < budget_ms and len(runs) < max_runs):
        runs.append(timed(call))
    runs.sort()
    return {
        "median_ms": round(statistics.median(runs), 3),
        "p95_ms": round(runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))], 3),
        "cold_ms": round(cold, 3),
        "runs": len(runs),
        "slots": len(slots),
    }


def against_reference(
    org: Organisation, busy: Busy, query: SlotQuery, median_ms: float
) -> dict[str, object]:
    expected: list[Slot] = []
    reference_ms = timed(lambda: expected.extend(reference_slots(org, busy, query, NOW)))
    return {
        "reference_ms": round(reference_ms, 1),
        "speedup": round(reference_ms / median_ms, 1),
        "agrees_with_reference": expected == find_slots(org, busy, query, NOW),
    }


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    sizes = SIZES[:2] if quick else SIZES
    budget_ms, max_runs = (150.0, 10) if quick else (1500.0, 200)
    report: dict[str, object] = {
        "benchmark": "availability.find_slots",
        "python": platform.python_version(),
        "quick": quick,
        "seed": SEED,
        "now": NOW.isoformat(),
        "subject": "mortgage",
        "query_timezone": "Europe/Brussels",
        "targets_ms": TARGETS_MS,
        "reference_sampled": {
            f"{offices}x{agents}": list(names) for (offices, agents), names in REFERENCE.items()
        }
        if not quick
        else {"1x20": ["one-office-14d"]},
    }
    results: dict[str, object] = {}
    for offices, agents in sizes:
        started = time.perf_counter()
        # The smallest organisation: every agent a mortgage expert, so that its
        # one-office case searches all 20 agents.
        org, busy = generate(offices, agents, SEED, 64, NOW, all_mortgage=offices == 1)
        size: dict[str, object] = {
            "generate_s": round(time.perf_counter() - started, 2),
            "occupations": sum(len(items) for items in busy.occupations.values()),
            "external": sum(len(items) for items in busy.external.values()),
        }
        for name, (meeting_type, office, days) in SCENARIOS.items():
            if quick and days > 14:
                continue
            query = SlotQuery(
                "mortgage",
                meeting_type,
                office,
                None,
                NOW.date(),
                NOW.date() + timedelta(days=days - 1),
                "Europe/Brussels",
            )
            result = measure(org, busy, query, budget_ms, max_runs)
            result["agents_searched"] = len(
                {
                    agent
                    for key, place in org.offices.items()
                    if office in (None, key) and "mortgage" in place.subjects
                    for agent in place.subjects["mortgage"].agents
                }
            )
            sampled = REFERENCE.get((offices, agents), ())
            if (quick and (offices, name) == (1, "one-office-14d")) or (
                not quick and name in sampled
            ):
                result.update(against_reference(org, busy, query, float(result["median_ms"])))
            size[name] = result
        results[f"{offices}x{agents}"] = size
    report["results"] = results
    print(json.dumps(report, indent=2))
    agreed = all(
        scenario.get("agrees_with_reference", True)
        for size in results.values()
        if isinstance(size, dict)
        for scenario in size.values()
        if isinstance(scenario, dict)
    )
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
