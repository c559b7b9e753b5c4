"""The tests' own support (tests/support.py): the organisations made for the tests, the
clock, waiting for something to happen; and the fast suite, which runs without the
browser packages."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server import config
from tests.support import NOW, ORGANISATIONS, ROOT, Clock, eventually


@pytest.mark.parametrize("path", sorted(ORGANISATIONS.glob("*.toml")), ids=lambda path: path.stem)
def test_every_organisation_made_for_the_tests_is_valid_and_used(path: Path) -> None:
    config.load(path)
    named = re.compile(rf'organisation(_text|_path)?\("{re.escape(path.stem)}"\)')
    users = [test for test in (ROOT / "tests").rglob("*.py") if named.search(test.read_text())]
    assert users, f"no test runs on {path.name}"


def test_the_clock_stands_still_until_it_is_set_or_advanced() -> None:
    clock = Clock()
    assert clock() == clock() == NOW

    clock.advance(minutes=7)
    assert clock() == NOW + timedelta(minutes=7)
    clock.advance(timedelta(days=1))
    assert clock() == NOW + timedelta(days=1, minutes=7)
    clock.set(datetime(2027, 3, 28, 1, 0, tzinfo=UTC))
    assert clock() == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2027, 3, 28, 1, 0))


@pytest.mark.organisation("minimal")
def test_the_clock_fixture_is_the_apps_clock(client: TestClient, clock: Clock) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.now() == NOW

    clock.advance(hours=1)

    assert runtime.now() == NOW + timedelta(hours=1)


def test_eventually_returns_the_first_value_that_holds() -> None:
    values = iter([0, 0, 3, 4])

    assert eventually(lambda: next(values), lambda value: value > 2, interval=0) == 3
    assert next(values) == 4  # nothing was read after the wait was over


def test_eventually_names_what_did_not_happen_and_the_last_value() -> None:
    reads = iter(range(1000))

    with pytest.raises(AssertionError) as failed:
        eventually(lambda: next(reads), lambda value: value < 0, timeout=0, what="a negative")

    assert str(failed.value) == "a negative did not happen within 0 s; last value: 0"


def test_an_exception_while_waiting_ends_the_wait() -> None:
    def read() -> int:
        raise RuntimeError("the server exited")

    with pytest.raises(RuntimeError, match="the server exited"):
        eventually(read, timeout=60)


#: Runs pytest as if the browser packages (the `browser` extra) were not installed.
WITHOUT_BROWSER_PACKAGES = """
import sys
from importlib.abc import MetaPathFinder


class Blocked(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"playwright", "axe_playwright_python"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Blocked())
import pytest

sys.exit(pytest.main(sys.argv[1:]))
"""


def test_every_test_module_but_the_browser_ones_imports_without_the_browser_packages() -> None:
    """`make test-fast` installs no browser packages: a test module outside tests/browser
    that imports Playwright (or axe) when it is collected breaks it."""
    pytest_arguments = ["--collect-only", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")]
    collected = subprocess.run(
        [sys.executable, "-c", WITHOUT_BROWSER_PACKAGES, *pytest_arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    ids = collected.stdout.splitlines()
    assert any(id.startswith("tests/server/") for id in ids)
    browser = {id for id in ids if id.startswith("tests/browser/")}
    modules = {path.name for path in (ROOT / "tests" / "browser").glob("test_*.py")}
    # Each browser module stands in as one test that says what is missing.
    assert browser == {f"tests/browser/{name}::browser packages" for name in modules}
