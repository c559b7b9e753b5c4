"""The hosted booking page (SPEC 5): GET /book shows a step, POST /book takes its forms;
and the page's icon.

The flow itself: `server.hosted`. Forms are `application/x-www-form-urlencoded`
(parsed here; bodies are capped by the body middleware like every other). Pages are
never cached for good (`no-cache`; an answer to a form: `no-store`), never indexed,
never framed, and send a `Referer` only to this site: manage and invite links carry
their token in the page's address, and a same-site `Referer` (with `Origin`) is how the
page's forms prove where they come from (`hosted.guard`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from server.hosted import book
from server.hosted.pages import Page, render
from server.routes._http import client_of
from server.runtime import runtime_of

FAVICON: Final = Path(__file__).resolve().parent.parent / "templates" / "book" / "favicon.svg"
_HEADERS: Final = {
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
#: At most this many fields in a form body: the longest form has a few dozen.
_MAX_FIELDS: Final = 200


def _html(page: Page, cache: str) -> Response:
    return HTMLResponse(
        render(page), status_code=page.status, headers={**_HEADERS, "Cache-Control": cache}
    )


async def show_page(request: Request) -> Response:
    page = await book.get(
        runtime_of(request),
        dict(request.query_params),
        request.headers.get("accept-language"),
    )
    return _html(page, "no-cache")


async def submit_form(request: Request) -> Response:
    body = await request.body()
    try:
        form = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=_MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        form = {}
    answer = await book.post(
        runtime_of(request),
        form,
        origin=request.headers.get("origin"),
        referer=request.headers.get("referer"),
        address=str(request.base_url),
        accept_language=request.headers.get("accept-language"),
        client=client_of(request),
    )
    if isinstance(answer, Page):
        return _html(answer, "no-store")
    return RedirectResponse(answer.url, status_code=303, headers=_HEADERS)


async def favicon(request: Request) -> Response:
    return Response(
        FAVICON.read_bytes(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


routes: list[BaseRoute] = [
    Route("/book", show_page, methods=["GET", "HEAD"]),
    Route("/book", submit_form, methods=["POST"]),
    Route("/favicon.svg", favicon, methods=["GET", "HEAD"]),
    Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
]
