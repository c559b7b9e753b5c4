"""How the desk's pages are rendered: the templates (`server/templates/desk/`, Jinja2
with autoescape on), what every page is given, and the answers the routes return.

Every page gets `t` (the catalogue of its language), `org` (the organisation's name, on
every page), `viewer` (None before sign-in), `csrf(action)` (the form token of a form
that posts to `action`), the language switcher's choices, and `problems` (a form's
messages by field). Pages are `no-store` (they show customers' details), never framed,
and send no referrer to other sites (a sign-in link's token is in its page's URL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from server.desk import sessions
from server.desk.forms import Form, parse_body
from server.desk.problems import FormProblems, Problem, from_error
from server.desk.sessions import Viewer
from server.desk.words import LANGUAGES, NAMES, Words, visitor_language, words_for
from server.errors import RendezvousError
from server.runtime import Runtime, runtime_of

_TEMPLATES: Final = Path(__file__).resolve().parent.parent / "templates" / "desk"
HEADERS: Final = {
    "Cache-Control": "no-store",
    # same-origin: no address (a sign-in token) leaks to another site, while our own
    # forms still send their `Origin` (with no-referrer, browsers send `Origin: null`).
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'self';"
        " img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class Pages:
    """The desk's templates, loaded once per process."""

    def __init__(self) -> None:
        self.templates = Jinja2Templates(directory=_TEMPLATES)
        environment = self.templates.env
        environment.trim_blocks = True
        environment.lstrip_blocks = True

    def words(self, runtime: Runtime, request: Request, viewer: Viewer | None) -> Words:
        if viewer is not None:
            lang = viewer.language
        else:
            lang = visitor_language(
                runtime.snapshot,
                request.query_params.get("lang"),
                request.headers.get("accept-language"),
            )
        return words_for(runtime.snapshot, lang)

    def render(
        self,
        request: Request,
        runtime: Runtime,
        viewer: Viewer | None,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        problems: FormProblems | None = None,
    ) -> Response:
        words = self.words(runtime, request, viewer)
        tokens = runtime.tokens

        def csrf(action: str) -> str:
            assert viewer is not None
            return sessions.form_token(tokens, viewer, action)

        values = {
            "t": words,
            "lang": words.lang,
            "languages": [(code, NAMES[code]) for code in LANGUAGES],
            "org": runtime.snapshot.name,
            "viewer": viewer,
            "csrf": csrf,
            "csrf_field": sessions.FORM_FIELD,
            "path": request.url.path,
            "problems": {} if problems is None else _messages(words, problems),
            "problem": None if problems is None else words(problems.key, **problems.values),
            **(context or {}),
        }
        response = self.templates.TemplateResponse(
            request, template, values, status_code=status_code, headers=HEADERS
        )
        return response

    def problem(
        self, request: Request, runtime: Runtime, viewer: Viewer | None, problem: Problem
    ) -> Response:
        """A page that says what went wrong, with the problem's status."""
        words = self.words(runtime, request, viewer)
        return self.render(
            request,
            runtime,
            viewer,
            "problem.html",
            {"message": words(problem.key, **problem.values), "status": problem.status_code},
            status_code=problem.status_code,
        )

    # -- what every desk route does ------------------------------------------------------

    async def viewer(self, request: Request) -> Viewer | None:
        return await sessions.viewer_of(runtime_of(request), request.cookies.get(sessions.COOKIE))

    def signed_in(self, handler: Callable[[Request, Viewer], Awaitable[Response]]) -> Handler:
        """A page for a signed-in agent (else on to sign in); problems become pages."""

        async def run(request: Request) -> Response:
            runtime = runtime_of(request)
            viewer = await self.viewer(request)
            if viewer is None:
                if request.method == "POST":
                    return self.problem(request, runtime, None, Problem("problems.signed_out", 401))
                return sign_in_first(request)
            try:
                return await handler(request, viewer)
            except Problem as problem:
                return self.problem(request, runtime, viewer, problem)
            except RendezvousError as error:
                return self.problem(request, runtime, viewer, from_error(error))

        return run

    async def posted(self, request: Request, viewer: Viewer | None) -> Form:
        """The form of a POST made from one of the desk's own pages: the `Origin` (or
        `Referer`) is this site, and, signed in, the form's token is this session's and
        this form's. 403 otherwise."""
        runtime = runtime_of(request)
        sessions.check_origin(runtime.snapshot, request.headers)
        form = Form(parse_body(request.headers.get("content-type"), await request.body()))
        if viewer is not None:
            sessions.check_form(
                runtime.tokens,
                viewer,
                request.url.path,
                form.raw(sessions.FORM_FIELD),
                runtime.now(),
            )
        return form

    def show(
        self,
        request: Request,
        viewer: Viewer | None,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        problems: FormProblems | None = None,
    ) -> Response:
        return self.render(
            request,
            runtime_of(request),
            viewer,
            template,
            context,
            status_code=status_code,
            problems=problems,
        )


Handler = Callable[[Request], Awaitable[Response]]


def _messages(words: Words, problems: FormProblems) -> dict[str, str]:
    return {name: words(key, **values) for name, (key, values) in problems.fields.items()}


def redirect(path: str) -> Response:
    """303 See Other to a desk path (after a POST, or to sign in)."""
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def sign_in_first(request: Request) -> Response:
    """The answer to a page asked for without a session.

    Opened from another site (a link in a webmail: `Sec-Fetch-Site: cross-site`), the
    `SameSite=Strict` cookie was not sent even if the agent is signed in: a page that
    loads the same address again from this site (which sends it) comes first. Otherwise
    the sign-in page, which leads back here afterwards."""
    if request.headers.get("sec-fetch-site") == "cross-site" and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        html = (
            '<!doctype html><html><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0;url={_attribute(target)}">'
            '<title>…</title></head><body><p><a href="'
            f'{_attribute(target)}">Continue</a></p></body></html>'
        )
        return HTMLResponse(html, headers=HEADERS)
    return redirect("/desk?next=" + quote(request.url.path, safe="/"))


def _attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


__all__ = ["HEADERS", "Handler", "Pages", "redirect", "sign_in_first"]
