"""GET /api/v1/slots: the free start times for one query (SPEC 4 and 5).

The search itself: `server.booking.slots`. `Cache-Control: no-store`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import schemas
from server.booking import slots
from server.routes._http import decode_query, json_response
from server.runtime import runtime_of


async def list_slots(request: Request) -> Response:
    query = decode_query(request, schemas.SlotsQuery)
    found = await slots.search(runtime_of(request), query)
    return json_response(found.body)


routes: list[BaseRoute] = [Route("/api/v1/slots", list_slots, methods=["GET"])]
