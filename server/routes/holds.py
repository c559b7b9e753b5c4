"""Holds: reserve a start while the customer fills in the form, and give it back.

POST   /api/v1/holds            reserve a start (SPEC 5)
DELETE /api/v1/holds/{token}    release it at once (an extension of SPEC 5): 204
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.booking import appointments as booking
from server.booking import presenters
from server.runtime import runtime_of
from server.schemas import HoldRequest, decode_body

_DECODER = msgspec.json.Decoder(HoldRequest)
_NO_STORE = {"Cache-Control": "no-store"}


async def create_hold(request: Request) -> Response:
    body = decode_body(_DECODER, await request.body())
    hold = await booking.place_hold(runtime_of(request), body)
    return Response(
        presenters.encode(hold),
        status_code=201,
        media_type="application/json",
        headers=_NO_STORE,
    )


async def release_hold(request: Request) -> Response:
    await booking.release_hold(runtime_of(request), request.path_params["token"])
    return Response(status_code=204, headers=_NO_STORE)


routes: list[BaseRoute] = [
    Route("/api/v1/holds", create_hold, methods=["POST"]),
    Route("/api/v1/holds/{token}", release_hold, methods=["DELETE"]),
]
