"""`python -m bench.bench_slots_http`: slot answers of the real server on a large organisation.

The synthetic organisation of the engine benchmark (`bench.synthetic`: 20 offices and
200 agents by default, 40 % of their hours booked) is written as an organisation file
and a database (`bench.synthetic_file`), `rendezvous serve` (one worker) serves it, and
`wrk -t2 -c32` measures side by side, in one run:

- a trivial route that does no I/O (`/livez`; a path that does not exist, a 404
  through every middleware and the error handler, on a server without it), and
  `/healthz` (which reads the database);
- `GET /api/v1/slots` for mortgage by video at every office over 14 days, the same
  request each time (the answer is reused: the memo keeps the rendered body);
- the same with another `tz` on each request, over 400 zones: more keys than the memo
  keeps, so every answer is computed by the engine and rendered ("uncached").

Prints one JSON object; the figure to watch is `ratio_uncached_to_trivial` (target
>= 0.30).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import available_timezones

import httpx

from bench.bench_http import trivial_path
from bench.synthetic import generate
from bench.synthetic_file import organisation_toml, store_busy

ROOT = Path(__file__).resolve().parent.parent
SEED = 7


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wrk(url: str, seconds: int, paths: list[str] | None, scratch: Path) -> dict[str, Any]:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    if paths:
        script = scratch / "rotate.lua"
        listed = ",\n".join(json.dumps(path) for path in paths)
        script.write_text(
            f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n"
        )
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if rps is None or p50 is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    return {"rps": round(float(rps[1]), 1), "p50": p50[1], "p99": p99[1]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_slots_http")
    parser.add_argument("--offices", type=int, default=20)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 s per measurement")
    parser.add_argument("--empty", action="store_true", help="no bookings in the database")
    args, _ = parser.parse_known_args(argv)
    if shutil.which("wrk") is None:
        print(json.dumps({"skipped": "wrk is not installed"}))
        return 0
    seconds = 2 if args.quick else args.seconds
    now = datetime.now(UTC)
    org, busy = generate(args.offices, args.agents, SEED, 64, now)
    workdir = Path(tempfile.mkdtemp(prefix="rendezvous-bench-slots-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    config = workdir / "organisation.toml"
    config.write_text(organisation_toml(org, base))
    database = workdir / "rendezvous.sqlite3"
    env = {
        **os.environ,
        "RENDEZVOUS_CONFIG": str(config),
        "RENDEZVOUS_DATABASE": str(database),
        "RENDEZVOUS_SECRET_KEY": "bench-secret-key-not-for-production",
        "RENDEZVOUS_RELOAD_INTERVAL": "0",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", "1", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        rows = 0 if args.empty else store_busy(database, busy, now)
        first = now.date() + timedelta(days=1)
        path = (
            "/api/v1/slots?subject=mortgage&meeting_type=VIDEO"
            f"&from={first}&to={first + timedelta(days=args.days - 1)}"
        )
        answer = httpx.get(base + path, timeout=30).json()
        zones = sorted(available_timezones())[:400]
        rotating = [f"{path}&tz={quote(zone, safe='/')}" for zone in zones]
        trivial_url = trivial_path(base)
        trivial = _wrk(f"{base}{trivial_url}", seconds, None, workdir)
        health = _wrk(f"{base}/healthz", seconds, None, workdir)
        cached = _wrk(base + path, seconds, None, workdir)
        uncached = _wrk(base + path, seconds, rotating, workdir)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        json.dumps(
            {
                "organisation": f"{args.offices} offices x {args.agents} agents",
                "busy_rows": rows,
                "query": f"mortgage, VIDEO, every office, {args.days} days",
                "slots": len(answer["slots"]),
                "tool": "wrk -t2 -c32, 1 worker",
                "seconds_each": seconds,
                "trivial": {"url": trivial_url, "io": False, **trivial},
                "healthz": health,
                "slots_cached": cached,
                "slots_uncached": uncached,
                "ratio_uncached_to_trivial": round(uncached["rps"] / trivial["rps"], 3),
                "ratio_cached_to_trivial": round(cached["rps"] / trivial["rps"], 3),
                "target_uncached_ratio_met": uncached["rps"] / trivial["rps"] >= 0.30,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
