"""POST /api/v1/holds: reserve a start while the customer fills in the form."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import booking, presenters
from server.errors import from_msgspec
from server.runtime import runtime_of
from server.schemas import HoldRequest

_DECODER = msgspec.json.Decoder(HoldRequest)


async def create_hold(request: Request) -> Response:
    try:
        body = _DECODER.decode(await request.body())
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise from_msgspec(exc) from exc
    hold = await booking.place_hold(runtime_of(request), body)
    return Response(
        presenters.encode(hold),
        status_code=201,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


routes: list[BaseRoute] = [Route("/api/v1/holds", create_hold, methods=["POST"])]
