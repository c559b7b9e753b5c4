"""Reading the organisation file's TOML within bounds (SPEC 9: the file is untrusted).

`tomllib` is quadratic in the depth of dotted keys: 63 KB of `a.a.a.…= 1` takes tens of
seconds and gigabytes. So the TOML is never parsed in the server's (or the command's)
own process. `parse(data, source)` hands the bytes to a child interpreter (`python -I
-S`, the standard library only) that sets its own address-space and CPU limits before it
reads them, and waits for it at most `Bounds.max_seconds`; the parent never runs
`tomllib`. What can go wrong is one `ConfigError` naming the bound:

- the file is larger than `max_bytes` (checked before any child is started);
- reading it needed more than `max_memory` (the child's `RLIMIT_AS`);
- reading it took longer than `max_seconds` (wall clock; the child is killed);
- its tables or arrays are nested deeper than `MAX_DEPTH`.

The child answers with JSON. TOML's dates and times, which JSON lacks, travel as ISO
strings with a separate list of where they are (a path of keys and indexes), so the
parent rebuilds exactly what `tomllib` made: no tag inside the data can be confused
with the file's own keys. A normal file costs one interpreter start (~20–40 ms), off
the event loop when the server reloads (`server.runtime`).
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Final

from server.config.messages import Issue

#: Deeper tables or arrays are refused (a real organisation file needs about 8).
MAX_DEPTH: Final = 64

MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Bounds:
    """What reading one organisation file may cost. The defaults leave a wide margin
    above a 2,000-agent file (2 MB: under 1 s and 80 MB)."""

    max_bytes: int = 8 * MIB
    max_seconds: float = 10.0
    max_memory: int = 512 * MIB


DEFAULT_BOUNDS: Final = Bounds()


class BoundedParseError(Exception):
    """The TOML could not be read: `issue` says why, in the file's terms."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        super().__init__(str(issue))


# The child: reads the bytes on stdin, answers one JSON document on stdout. It runs
# with -I -S (no site-packages, no environment, no current directory on the path).
_CHILD: Final = r"""
import datetime, json, resource, sys, tomllib
memory, cpu, max_depth = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
TIMES = (datetime.datetime, datetime.date, datetime.time)

def answer(document):
    sys.stdout.write(json.dumps(document))
    sys.stdout.flush()
    raise SystemExit(0)

def walk(tree):
    # Iterative: the depth of a dotted key is not bounded by the recursion limit.
    stack, times = [(tree, [], 1)], []
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            return None
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, (dict, list)):
                stack.append((item, path + [key], depth + 1))
            elif isinstance(item, TIMES):
                kind = type(item).__name__
                times.append([path + [key], kind])
                value[key] = item.isoformat()
    return times

try:
    data = sys.stdin.buffer.read()
    try:
        tree = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        answer({"error": "syntax", "message": str(exc)})
    except RecursionError:
        answer({"error": "nested"})
    except ValueError as exc:  # an integer of more than 4300 digits
        answer({"error": "value", "message": str(exc).split(";")[0]})
    times = walk(tree)
    if times is None:
        answer({"error": "depth"})
    text = json.dumps({"tree": tree, "times": times})
    del tree
    sys.stdout.write(text)
    sys.stdout.flush()
except MemoryError:
    answer({"error": "memory"})
"""

_KINDS: Final = {
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
}


def parse(data: bytes, source: str, bounds: Bounds = DEFAULT_BOUNDS) -> dict[str, Any]:
    """`tomllib.loads(data)`, computed in a child process within `bounds`.

    Raises `BoundedParseError` with one `Issue` at `source`: a syntax error (with line
    and column), a value or nesting `tomllib` cannot hold, or the bound that was hit.
    """
    if len(data) > bounds.max_bytes:
        raise BoundedParseError(
            Issue(
                source,
                f"the file has {len(data):,} bytes, more than the {_size(bounds.max_bytes)} "
                "an organisation file may have",
            )
        )
    command = [
        sys.executable,
        "-I",
        "-S",
        "-c",
        _CHILD,
        str(bounds.max_memory),
        str(max(1, int(bounds.max_seconds + 0.999))),
        str(MAX_DEPTH),
    ]
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=bounds.max_seconds, check=False
        )
    except subprocess.TimeoutExpired:
        raise BoundedParseError(_too_slow(source, bounds)) from None
    if done.returncode == -24:  # SIGXCPU: the child's CPU limit
        raise BoundedParseError(_too_slow(source, bounds))
    try:
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        # MemoryError may not even leave room to answer; the C allocator can abort.
        if _out_of_memory(done):
            raise BoundedParseError(_too_big(source, bounds))
        raise BoundedParseError(
            Issue(source, f"the TOML reader stopped unexpectedly (exit status {done.returncode})")
        )
    return _result(answer, source, bounds)


def _result(answer: dict[str, Any], source: str, bounds: Bounds) -> dict[str, Any]:
    error = answer.get("error")
    if error is None:
        tree: dict[str, Any] = answer["tree"]
        for path, kind in answer["times"]:
            *parents, last = path
            container: Any = tree
            for key in parents:
                container = container[key]
            container[last] = _KINDS[kind](container[last])
        return tree
    if error == "syntax":
        message = _toml_message(answer["message"])
    elif error == "value":
        message = f"a value cannot be read: {answer['message']}"
    elif error == "nested":
        message = "arrays or inline tables are nested too deeply to be read"
    elif error == "depth":
        message = f"tables, keys or arrays are nested more than {MAX_DEPTH} levels deep"
    else:  # "memory"
        raise BoundedParseError(_too_big(source, bounds))
    raise BoundedParseError(Issue(source, message))


def _out_of_memory(done: subprocess.CompletedProcess[bytes]) -> bool:
    return b"MemoryError" in done.stderr or done.returncode in (-6, -9)  # abort, OOM kill


def _too_slow(source: str, bounds: Bounds) -> Issue:
    return Issue(
        source,
        f"reading the TOML took longer than {bounds.max_seconds:g} s, the bound for an "
        "organisation file (keys with very many dots, a.b.c…, make it slow)",
    )


def _too_big(source: str, bounds: Bounds) -> Issue:
    return Issue(
        source,
        f"reading the TOML needed more than {_size(bounds.max_memory)} of memory, the bound "
        "for an organisation file (keys with very many dots, a.b.c…, make it costly)",
    )


def _size(count: int) -> str:
    """A bound in words: "8 MiB", "64 KiB", "100 bytes"."""
    for unit, size in (("MiB", MIB), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"


def _toml_message(message: str) -> str:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match is None:
        return f"TOML syntax error: {message}"
    where = f"line {match[1]}, column {match[2]}"
    return f"TOML syntax error at {where}: {message[: match.start()]}"
