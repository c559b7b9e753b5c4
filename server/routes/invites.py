"""GET /api/v1/invites/{token}: what an invite pre-selects."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.booking import invites
from server.routes._http import encode, json_response
from server.runtime import runtime_of


async def show_invite(request: Request) -> Response:
    lang = request.query_params.get("lang")
    found = await invites.describe(runtime_of(request), request.path_params["token"], lang)
    return json_response(encode(found))


routes: list[BaseRoute] = [Route("/api/v1/invites/{token}", show_invite, methods=["GET"])]
