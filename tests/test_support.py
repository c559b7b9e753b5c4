"""The tests' own support (tests/support.py): waiting for something to happen."""

from __future__ import annotations

import pytest

from tests.support import eventually


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
