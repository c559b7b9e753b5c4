"""CORS for the API, from the organisation file's `allowed_origins` (SPEC 3 and 5).

The allowed origins are read from the organisation snapshot in service on every
request, so an edit of the file applies without a restart. Origins are parsed strictly
(`server.origins`): anything that is not exactly `scheme://host[:port]` is refused.
Only paths under `/api/` are enforced: `/embed.js`, `/plugin/...`, `/book` and
`/healthz` are public, static-like routes.

- no `Origin` header (curl, server-side calls): passes untouched;
- an allowed origin (the `public_url`'s origin or one of `allowed_origins`): the
  response gets `Access-Control-Allow-Origin: <origin>`, `Vary: Origin` and
  `Access-Control-Expose-Headers: ETag`; a preflight `OPTIONS` is answered 204;
- any other origin: a preflight or a state-changing method (POST, PUT, PATCH,
  DELETE) is refused with 403 ORIGIN_NOT_ALLOWED before the handler runs; a GET is
  answered without CORS headers, so the browser hides the answer from the page.

No cookies are used, so `Access-Control-Allow-Credentials` is never sent.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import OriginNotAllowed, error_response
from server.origins import parse_origin

ALLOW_METHODS: Final = "GET, POST, DELETE, OPTIONS"
ALLOW_HEADERS: Final = "Content-Type, Idempotency-Key, If-None-Match"
MAX_AGE: Final = "600"
EXPOSE_HEADERS: Final = "ETag"
STATE_CHANGING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ENFORCED_PREFIX: Final = "/api/"


class CORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ENFORCED_PREFIX):
            await self.app(scope, receive, send)
            return
        origin = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
                break
        runtime = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
        if origin is None or runtime is None:
            await self.app(scope, receive, send)
            return
        allowed = parse_origin(origin) in runtime.snapshot.allowed_origins
        method = scope["method"]
        if method == "OPTIONS":
            if not allowed:
                await self._refuse(scope, receive, send, origin)
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                        (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                        (b"access-control-max-age", MAX_AGE.encode()),
                        (b"vary", b"Origin"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if not allowed:
            if method in STATE_CHANGING:
                await self._refuse(scope, receive, send, origin)
            else:
                await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = origin
                headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
                vary = headers.get("vary")
                if vary is None:
                    headers["Vary"] = "Origin"
                elif "origin" not in vary.lower():
                    headers["Vary"] = f"{vary}, Origin"
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, origin: str) -> None:
        error = OriginNotAllowed(
            f"The website {origin[:200]} is not allowed to use this booking service."
        )
        await error_response(error, {"Vary": "Origin"})(scope, receive, send)
