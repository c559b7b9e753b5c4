"""GET /api/v1/challenge: a proof-of-work challenge (ALTCHA) to answer with a hold or a
booking when the server asks for one (CHALLENGE_REQUIRED; docs/bots.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.booking import bots
from server.routes._http import encode, json_response
from server.runtime import runtime_of


async def get_challenge(request: Request) -> Response:
    return json_response(encode(bots.challenge(runtime_of(request))))


routes: list[BaseRoute] = [Route("/api/v1/challenge", get_challenge, methods=["GET"])]
