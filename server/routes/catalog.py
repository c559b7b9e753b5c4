"""GET /api/v1/subjects, /meeting-types, /offices, /agents: what can be booked (SPEC 5).

The listings themselves, their filters and the invite's scope: `server.booking.catalog`.
Each answer carries a strong `ETag`, `Cache-Control: no-cache` and
`Vary: Origin, Accept-Language`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import schemas
from server.booking import catalog
from server.routes._http import decode_query, listing_response
from server.runtime import runtime_of


async def list_subjects(request: Request) -> Response:
    query = decode_query(request, schemas.SubjectsQuery)
    accept = request.headers.get("accept-language")
    return listing_response(
        request, await catalog.list_subjects(runtime_of(request), query, accept)
    )


async def list_meeting_types(request: Request) -> Response:
    query = decode_query(request, schemas.MeetingTypesQuery)
    accept = request.headers.get("accept-language")
    listing = await catalog.list_meeting_types(runtime_of(request), query, accept)
    return listing_response(request, listing)


async def list_offices(request: Request) -> Response:
    query = decode_query(request, schemas.OfficesQuery)
    accept = request.headers.get("accept-language")
    return listing_response(request, await catalog.list_offices(runtime_of(request), query, accept))


async def list_agents(request: Request) -> Response:
    query = decode_query(request, schemas.AgentsQuery)
    accept = request.headers.get("accept-language")
    return listing_response(request, await catalog.list_agents(runtime_of(request), query, accept))


routes: list[BaseRoute] = [
    Route("/api/v1/subjects", list_subjects, methods=["GET"]),
    Route("/api/v1/meeting-types", list_meeting_types, methods=["GET"]),
    Route("/api/v1/offices", list_offices, methods=["GET"]),
    Route("/api/v1/agents", list_agents, methods=["GET"]),
]
