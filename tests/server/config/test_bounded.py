"""The organisation file's TOML is read in a child process within bounds
(server/config/bounded.py): what it gives is exactly what tomllib gives, and a hostile
file is refused with the bound it hit, by `load` and by `rendezvous check`."""

from __future__ import annotations

import math
import re
import time
import tomllib
from pathlib import Path

import pytest

from server import cli, config
from server.config import bounded
from server.config.bounded import MAX_DEPTH, BoundedParseError, Bounds
from tests.support import DEMO

#: Every kind of TOML value, dates and times at every depth, and keys that look like the
#: way the child marks them: the parent must rebuild exactly what tomllib makes.
EVERY_KIND = """
title = "Rendezvous"
count = 42
big = 9_223_372_036_854_775_807
ratio = -0.5
yes = true
day = 2026-12-24
clock = 07:32:00.999999
local = 1979-05-27T07:32:00
offset = 1979-05-27T00:32:00-07:00
utc = 1979-05-27T07:32:00Z
"dotted.key" = "quoted"
times = [2026-01-01, 10:00:00, [2026-01-02T10:00:00+01:00]]
mixed = [1, "two", { three = 3, four = 2026-04-04 }]
tree = { error = "syntax", message = "not a real error", times = [] }

[table.sub]
when = 2026-11-24T08:00:00Z
"" = "empty key"

[[items]]
date = 2026-12-28
[[items]]
date = "2026-12-28"
"""


def test_the_child_gives_exactly_what_tomllib_gives() -> None:
    parsed = bounded.parse(EVERY_KIND.encode(), "every.toml")
    assert parsed == tomllib.loads(EVERY_KIND)
    assert type(parsed["local"]) is type(tomllib.loads(EVERY_KIND)["local"])
    assert parsed["times"][2][0].utcoffset() is not None
    assert parsed["items"][1]["date"] == "2026-12-28"  # a string stays a string


def test_special_floats_come_through() -> None:
    parsed = bounded.parse(b"a = nan\nb = -inf\nc = -0.0\n", "floats.toml")
    assert math.isnan(parsed["a"])
    assert parsed["b"] == -math.inf
    assert math.copysign(1, parsed["c"]) == -1


def test_the_demo_file_reads_as_tomllib_reads_it() -> None:
    data = DEMO.read_bytes()
    assert bounded.parse(data, str(DEMO)) == tomllib.loads(data.decode())


def _refusal(data: bytes, bounds: Bounds = bounded.DEFAULT_BOUNDS) -> str:
    with pytest.raises(BoundedParseError) as refused:
        bounded.parse(data, "hostile.toml", bounds)
    assert refused.value.issue.path == "hostile.toml"
    return refused.value.issue.message


def dotted(segments: int) -> bytes:
    """`a.a.a… = 1`: tomllib is quadratic in the number of dotted parts."""
    return ("a" + ".a" * (segments - 1) + " = 1\n").encode()


def test_a_file_over_the_size_bound_is_refused_before_any_parsing() -> None:
    message = _refusal(b"# " + b"x" * 2000 + b"\n", Bounds(max_bytes=1024))
    assert message == "the file has 2,003 bytes, more than the 1 KiB an organisation file may have"


def test_a_parse_over_the_time_bound_is_stopped() -> None:
    # 12,000 parts take seconds; the memory bound is set out of the way.
    started = time.monotonic()
    message = _refusal(dotted(12_000), Bounds(max_seconds=0.3, max_memory=8 * 1024**3))
    assert message.startswith("reading the TOML took longer than 0.3 s, the bound for an")
    assert time.monotonic() - started < 5  # killed at the bound, with a wide margin


def test_a_parse_over_the_memory_bound_is_stopped() -> None:
    # 11,000 dotted parts need ~480 MB in tomllib (measured): over a 64 MiB bound at once.
    message = _refusal(dotted(11_000), Bounds(max_memory=64 * 1024 * 1024))
    assert message.startswith("reading the TOML needed more than 64 MiB of memory, the bound")


def test_keys_nested_past_the_depth_bound_are_refused() -> None:
    assert _refusal(dotted(MAX_DEPTH + 1)) == (
        f"tables, keys or arrays are nested more than {MAX_DEPTH} levels deep"
    )
    assert bounded.parse(dotted(MAX_DEPTH), "deep.toml")["a"]["a"]["a"]
    assert _refusal(b"a = " + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"\n").endswith(
        "64 levels deep"
    )


def test_check_names_the_memory_bound_for_the_hostile_file_of_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 63 KB file that froze each worker 10–22 s at 1.6 GB before."""
    path = tmp_path / "organisation.toml"
    path.write_bytes(dotted(31_500))
    assert 62_000 < path.stat().st_size < 64_000
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", str(path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    # The memory bound comes first unless the machine is very busy.
    bound = r"(needed more than 512 MiB of memory|took longer than 10 s), the bound"
    assert re.search(rf"{re.escape(str(path))}: reading the TOML {bound}", err)


def test_check_names_the_size_bound(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "organisation.toml"
    path.write_bytes(DEMO.read_bytes() + b"#" * (8 * 1024 * 1024) + b"\n")
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", str(path)])
    assert exited.value.code == 2
    assert "more than the 8 MiB an organisation file may have" in capsys.readouterr().err


def test_a_normal_file_still_loads_within_the_bounds() -> None:
    loaded = config.load(DEMO)
    assert loaded.organisation.organisation.name
    assert config.load_bytes(DEMO.read_bytes(), DEMO).version == loaded.version
