"""A per-client limit on state-changing API calls (holds and their release, bookings,
cancel, reschedule), and on the forms of the hosted page that make them (POST /book).

A token bucket per client address, in each server process: `limit` requests a minute
with bursts of up to `limit`. Reads (catalog, slots) are not limited; they are cheap
and cached. The client address is the connection's, unless the connection comes from a
proxy named by `rendezvous serve --forwarded-allow-ips` (docs/operations.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from server.errors import RateLimited, error_response

_LIMITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_CLIENTS = 10_000


class TokenBuckets:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, stamp)

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self.clock()
        tokens, stamp = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self._buckets) >= _MAX_CLIENTS and client not in self._buckets:
            self._forget_full_buckets(now)
        self._buckets[client] = (tokens - 1, now)
        return 0.0

    def _forget_full_buckets(self, now: float) -> None:
        """Drop clients whose buckets have refilled: they are as good as new."""
        full_after = self.capacity / self.rate
        self._buckets = {
            client: (tokens, stamp)
            for client, (tokens, stamp) in self._buckets.items()
            if now - stamp < full_after
        }


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.buckets is None
            or scope["type"] != "http"
            or scope["method"] not in _LIMITED_METHODS
            or not (scope["path"].startswith("/api/") or scope["path"] == "/book")
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            response = error_response(RateLimited(), {"Retry-After": retry_after})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
