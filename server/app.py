"""The ASGI application: `create_app(settings)`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from server import heap
from server.calendars.refresher import start_calendars
from server.deliveries.worker import start_deliveries
from server.errors import exception_handlers
from server.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    CORSMiddleware,
    RateLimitMiddleware,
)
from server.routes import all_routes
from server.runtime import Runtime
from server.settings import Settings

logger = logging.getLogger("rendezvous")


def create_app(settings: Settings | None = None, *, serving: bool = False) -> Starlette:
    """The application. `serving`: a process of `rendezvous serve`, whose long-lived
    objects are kept out of the garbage collector's scans (`server.heap`)."""
    settings = settings or Settings.from_environ()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        logger.info(
            "serving %s (version %s) from %s",
            runtime.snapshot.name,
            runtime.snapshot.version,
            settings.config_path,
        )
        deliveries = start_deliveries(runtime)
        app.state.deliveries = deliveries
        calendars = start_calendars(runtime)
        app.state.calendars = calendars
        if serving:
            heap.settle()
            runtime.after_reload = heap.settle
        try:
            yield
        finally:
            await calendars.stop()
            await deliveries.stop()
            await runtime.stop()

    return Starlette(
        routes=all_routes(settings),
        middleware=[
            Middleware(AccessLogMiddleware),
            # The widget's budget (SPEC 7) is measured gzipped; browsers always ask for it.
            Middleware(GZipMiddleware, minimum_size=1024),
            Middleware(CORSMiddleware),
            Middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )


def app_from_environ() -> Starlette:
    """Factory for `uvicorn --factory server.app:app_from_environ` (each worker builds its own)."""
    return create_app(Settings.from_environ(), serving=True)
