"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of the API."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import openapi
from server.routes._http import etag_matches


async def openapi_json(request: Request) -> Response:
    body = openapi.document_bytes()
    tag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


routes: list[BaseRoute] = [Route("/api/v1/openapi.json", openapi_json, methods=["GET"])]
