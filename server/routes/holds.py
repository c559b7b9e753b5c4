"""Holds: reserve a start while the customer fills in the form, and give it back.

POST   /api/v1/holds            reserve a start (SPEC 5)
DELETE /api/v1/holds/{token}    release it at once (an extension of SPEC 5): 204
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.booking import holds
from server.routes._http import NO_STORE, client_of, encode, json_response
from server.runtime import runtime_of
from server.schemas import HoldRequest, decode_body

_DECODER = msgspec.json.Decoder(HoldRequest)


async def create_hold(request: Request) -> Response:
    body = decode_body(_DECODER, await request.body())
    held = await holds.place_hold(runtime_of(request), body, client=client_of(request))
    return json_response(encode(held), 201)


async def release_hold(request: Request) -> Response:
    await holds.release_hold(runtime_of(request), request.path_params["token"])
    return Response(status_code=204, headers=NO_STORE)


routes: list[BaseRoute] = [
    Route("/api/v1/holds", create_hold, methods=["POST"]),
    Route("/api/v1/holds/{token}", release_hold, methods=["DELETE"]),
]
