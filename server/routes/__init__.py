"""HTTP routes, one module per resource."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.routes import (
    appointments,
    assets,
    book,
    catalog,
    challenge,
    desk,
    health,
    holds,
    invites,
    openapi,
    organisation,
    slots,
    time_off,
)
from server.settings import Settings


def all_routes(settings: Settings) -> list[BaseRoute]:
    return [
        *health.routes,
        *holds.routes,
        *challenge.routes,
        *appointments.routes,
        *invites.routes,
        *catalog.routes,
        *organisation.routes,
        *slots.routes,
        *openapi.routes,
        *assets.asset_routes(settings.plugin_dir, settings.embed_path),
        *book.routes,
        # The agent's desk (SPEC 11).
        *desk.desk_routes(),
        *time_off.time_off_routes(),
    ]
