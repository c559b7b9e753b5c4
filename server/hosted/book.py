"""GET and POST /book: which step answers.

A GET shows a step (or a manage link's page); a POST comes from one of the page's own
forms (`action` = hold, book, release — back from the last form —, cancel or
reschedule), checked by `guard` first. A GET
page embeds the widget, which replaces the page's form when JavaScript runs; the
answer to a POST does not (the customer is in the middle of the form flow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from server.hosted import manage_page, steps
from server.hosted.guard import FormRefused, check_origin
from server.hosted.pages import Frame, Page, Redirect
from server.hosted.state import State
from server.origins import origin_of
from server.runtime import Runtime

#: Query parameters of /book that become `data-*` attributes of the widget.
WIDGET_PARAMETERS: Final = {
    "subject": "subject",
    "category": "category",
    "meeting_type": "meeting-type",
    "office": "office",
    "agent": "agent",
    "invite": "invite",
    "language": "language",
    "lang": "language",
    "timezone": "timezone",
    "manage": "manage",
    "show_agents": "show-agents",
}
_MAX_PARAMETER: Final = 2048


def widget_attributes(params: Mapping[str, str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for param, attribute in WIDGET_PARAMETERS.items():
        value = params.get(param)
        if value and len(value) <= _MAX_PARAMETER:
            attributes.setdefault(attribute, value)
    return attributes


def _frame(
    runtime: Runtime,
    params: Mapping[str, str],
    accept_language: str | None,
    widget: dict[str, str] | None,
) -> Frame:
    snapshot = runtime.snapshot
    state = State.read(params)
    lang = snapshot.language(state.lang, accept_language)
    return Frame(snapshot, lang, state.but(lang=lang), widget)


async def get(runtime: Runtime, params: Mapping[str, str], accept_language: str | None) -> Page:
    frame = _frame(runtime, params, accept_language, widget_attributes(params))
    frame.asked = params.get("asked")
    token = params.get("manage")
    if token:
        return await manage_page.show(
            runtime, frame, token, action=params.get("action"), done=params.get("done")
        )
    return await steps.show(runtime, frame)


async def post(
    runtime: Runtime,
    form: Mapping[str, Sequence[str]],
    *,
    origin: str | None,
    referer: str | None,
    address: str,
    accept_language: str | None,
    client: str | None = None,
) -> Page | Redirect:
    """A form of the page; `address` is the URL the request was sent to, `client` who
    sent it (`bots.client_of`)."""
    params = {key: values[0] for key, values in form.items() if values}
    frame = _frame(runtime, params, accept_language, None)
    frame.client = client
    own = frozenset(
        found for found in (origin_of(runtime.snapshot.public_url), origin_of(address)) if found
    )
    try:
        check_origin(origin, referer, own)
        action = params.get("action")
        if action == "hold":
            return await steps.hold(runtime, frame, form)
        if action == "book":
            return await steps.book(runtime, frame, form)
        if action == "release":
            return await steps.release(runtime, frame, form)
        if action == "cancel":
            return await manage_page.cancel(runtime, frame, form)
        if action == "reschedule":
            return await manage_page.reschedule(runtime, frame, form)
        raise FormRefused(f"no such form: {action!r}")
    except FormRefused:
        frame.widget = None
        t = frame.t
        return frame.page(
            "message.html",
            t("unavailable"),
            status=403,
            text=t("formRefused"),
            again=frame.state.url(),
        )
