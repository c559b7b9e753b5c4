"""GET /healthz: the database answers, the organisation file's version, and whether the
file is valid. GET /livez: the process answers, and nothing else (no I/O)."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.runtime import runtime_of


class Health(msgspec.Struct, frozen=True):
    status: str
    config_version: str
    #: False when the file on disk is invalid and the last good version is still served.
    #: The problems themselves (they may quote agents' e-mail addresses) are only in the
    #: server's log and in `rendezvous check`, never in this public answer.
    config_ok: bool = True


_ENCODER = msgspec.json.Encoder()


async def healthz(request: Request) -> Response:
    runtime = runtime_of(request)
    await runtime.store.ping()
    body = Health(
        status="ok",
        config_version=runtime.snapshot.version,
        config_ok=runtime.organisation_file.last_error is None,
    )
    return Response(
        _ENCODER.encode(body),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


_LIVE = b'{"status":"ok"}'


async def livez(request: Request) -> Response:
    """Liveness only: no database, no file, no lock. For a process supervisor's probe,
    and the trivial route of the benchmarks (bench/bench_keepalive.py)."""
    return Response(_LIVE, media_type="application/json", headers={"Cache-Control": "no-store"})


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/livez", livez, methods=["GET"]),
]
