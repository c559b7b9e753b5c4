"""The tests' own support (tests/support.py): the clock, and waiting for something to
happen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from tests.support import NOW, Clock, eventually


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
