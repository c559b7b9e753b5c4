"""`make bench`: every benchmark, one JSON document on stdout.

Each part runs in its own process (`python -m bench.<part>`) so that one part's
warm-up, garbage and threads cannot colour another's numbers. A part that fails is
reported as such in the document instead of hiding the others.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

PARTS = (
    "bench_engine",
    "bench_http",
    "bench_keepalive",
    "bench_slots_http",
    "bench_plugin",
    "bench_deliveries",
    "bench_calendars",
    "bench_postgresql",
)


def run_part(name: str, extra: list[str]) -> object:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = round(time.perf_counter() - started, 1)
    if result.returncode != 0:
        return {
            "error": f"exit {result.returncode}",
            "stderr": result.stderr[-2000:],
            "seconds": seconds,
        }
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        return {"error": "output is not JSON", "stdout": result.stdout[-2000:], "seconds": seconds}
    if isinstance(document, dict):
        document.setdefault("seconds", seconds)
    return document


def main(argv: list[str]) -> int:
    extra = [a for a in argv if a.startswith("--")]
    names = [a for a in argv if not a.startswith("--")] or list(PARTS)
    report = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        **{name: run_part(name, extra) for name in names},
    }
    print(json.dumps(report, indent=2))
    failed = [name for name in names if isinstance(report[name], dict) and "error" in report[name]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
