"""HTTP routes, one module per resource."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute

from server.routes import (
    appointments,
    assets,
    catalog,
    desk,
    health,
    holds,
    invites,
    openapi,
    slots,
    time_off,
)
from server.settings import Settings


def all_routes(settings: Settings) -> list[BaseRoute]:
    templates = Path(__file__).resolve().parent.parent / "templates"
    return [
        *health.routes,
        *holds.routes,
        *appointments.routes,
        *invites.routes,
        *catalog.routes,
        *slots.routes,
        *openapi.routes,
        *assets.asset_routes(settings.plugin_dir, settings.embed_path, templates),
        # The agent's desk (SPEC 11).
        *desk.desk_routes(),
        *time_off.time_off_routes(),
    ]
