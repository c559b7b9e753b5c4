"""HTTP routes, one module per resource."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.routes import (
    appointments,
    assets,
    book,
    catalog,
    health,
    holds,
    invites,
    openapi,
    organisation,
    slots,
)
from server.settings import Settings


def all_routes(settings: Settings) -> list[BaseRoute]:
    return [
        *health.routes,
        *holds.routes,
        *appointments.routes,
        *invites.routes,
        *catalog.routes,
        *organisation.routes,
        *slots.routes,
        *openapi.routes,
        *assets.asset_routes(settings.plugin_dir, settings.embed_path),
        *book.routes,
    ]
