"""What tests of every part share: waiting for something to happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    read: Callable[[], T],
    until: Callable[[T], object] = bool,
    *,
    timeout: float = 10,
    interval: float = 0.05,
    what: str = "the condition",
) -> T:
    """Call `read` until `until` holds for what it returns, and return that value.

    After `timeout` seconds an AssertionError names `what` and the last value read. An
    exception from `read` or `until` is not a "not yet": it ends the wait at once (a
    `read` that expects failures while it waits, a server still starting, catches
    them and returns something that says so).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{what} did not happen within {timeout:g} s; last value: {value!r}"
            )
        time.sleep(interval)
