"""The sign-in's rate limits: at most `count` requests per `window` for one key (an
e-mail address, a client address), counted in this server process.

A sliding window of timestamps per key; keys whose requests have all left the window
are forgotten when the table grows. Per process, as the API's rate limit is: with N
server processes a client may get up to N times the limit (docs/desk.md).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

_MAX_KEYS = 10_000


class Window:
    def __init__(
        self, count: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.count = count
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one request for `key`; False (not counted) when the limit is reached."""
        now = self.clock()
        stamps = self._seen.get(key)
        if stamps is None:
            if len(self._seen) >= _MAX_KEYS:
                self._forget(now)
            stamps = self._seen[key] = deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.count:
            return False
        stamps.append(now)
        return True

    def _forget(self, now: float) -> None:
        self._seen = {
            key: stamps
            for key, stamps in self._seen.items()
            if stamps and stamps[-1] > now - self.window
        }


__all__ = ["Window"]
