"""The hosted page's forms are refused when they come from another website.

Two checks, both needed for a POST to /book to do anything:

1. **Where it comes from.** Browsers name the page that sent a form in `Origin` (and
   `Referer`). One that names another site is refused; one that names none (an old
   browser, a privacy tool that strips both) passes to the second check. "This site"
   is the organisation's `public_url` or the address the request was sent to.
2. **A signed form token**, in a hidden field: the kind `form` of `server.tokens`, with
   the form's purpose ("hold", "book", "cancel", "reschedule"), what it is bound to
   (the hold or the appointment it acts on) and a lifetime of `FORM_MINUTES`. A form
   from an old page, for another purpose or another appointment, or made up, is
   refused.

No cookie is set: the page keeps no session, and a manage link is itself the
capability to change its appointment. Decision: a token per form rather than a
SameSite cookie, because the flow is a chain of stateless pages (each carries what it
needs), and a cookie would be the only state the server keeps between them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal

from server.origins import origin_of, parse_origin
from server.tokens import TokenError, Tokens

Purpose = Literal["hold", "book", "cancel", "reschedule"]
FORM_MINUTES: Final = 60


class FormRefused(Exception):
    """A POST to /book that did not come from one of this site's own forms."""


def form_token(tokens: Tokens, purpose: Purpose, bound_to: str, now: datetime) -> str:
    """The hidden field of a form that does `purpose` on `bound_to` ("" for nothing)."""
    return tokens.dumps(
        "form", {"f": purpose, "b": bound_to}, now + timedelta(minutes=FORM_MINUTES)
    )


def check_form(tokens: Tokens, token: str, purpose: Purpose, bound_to: str, now: datetime) -> None:
    """FormRefused unless `token` is a live form token for `purpose` on `bound_to`."""
    try:
        payload = tokens.loads("form", token, now)
    except TokenError as exc:
        raise FormRefused("the form token is not valid") from exc
    if payload.get("f") != purpose or payload.get("b") != bound_to:
        raise FormRefused("the form token is for another form")


def check_origin(origin: str | None, referer: str | None, own: frozenset[str]) -> None:
    """FormRefused when the browser says the form was sent from another site; `own` are
    this site's origins (canonical, as `server.origins` writes them)."""
    if origin is not None and origin != "null":
        if parse_origin(origin) not in own:
            raise FormRefused("the form was sent from another site")
        return
    if referer is not None:
        if origin_of(referer) not in own:
            raise FormRefused("the form was sent from another site")
        return
    if origin == "null":  # an opaque sender (a sandboxed frame, a data: page)
        raise FormRefused("the form was sent from an opaque origin")
