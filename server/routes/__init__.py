"""HTTP routes, one module per resource."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.routes import health
from server.settings import Settings


def all_routes(settings: Settings) -> list[BaseRoute]:
    return [*health.routes]
