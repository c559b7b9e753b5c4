"""GET /api/v1/organisation: what the widget needs before its first step (an extension
of SPEC 5): `{"name", "languages", "timezone", "country"}` (`booking.catalog.organisation`).

Cached like the catalog answers: a strong `ETag` from the organisation version and the
language, `Cache-Control: no-cache`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import schemas
from server.booking import catalog
from server.routes._http import decode_query, listing_response
from server.runtime import runtime_of


async def show_organisation(request: Request) -> Response:
    query = decode_query(request, schemas.OrganisationQuery)
    accept = request.headers.get("accept-language")
    return listing_response(request, catalog.organisation(runtime_of(request), query, accept))


routes: list[BaseRoute] = [Route("/api/v1/organisation", show_organisation, methods=["GET"])]
