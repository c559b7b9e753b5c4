"""Helpers of the desk's tests: sign in, read a page's forms, post a form as the page
would (its `Origin`, its cross-site token), and the e-mails sent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from starlette.testclient import TestClient

from server.desk import sessions
from server.store import SessionRow
from tests.server._booking import book, runtime
from tests.server._tables import select
from tests.server.deliveries._mail import MailServer, iter_text_parts
from tests.server.deliveries.conftest import appointment_body
from tests.support import NOW, Clock

ORIGIN = "http://127.0.0.1:8000"
SAME_SITE = {"Origin": ORIGIN}


@dataclass
class FormFound:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[FormFound] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(FormFound(found.get("action", ""), found.get("method", "get")))
        elif self.forms and tag in ("input", "button") and "name" in found:
            if found.get("type") in ("checkbox", "radio") and "checked" not in found:
                return
            self.forms[-1].fields.setdefault(found["name"], []).append(found.get("value", ""))
        elif self.forms and tag == "textarea" and "name" in found:
            self._textarea = found["name"]
            self.forms[-1].fields.setdefault(found["name"], []).append("")
        elif self.forms and tag == "select" and "name" in found:
            self._select, self._selected = found["name"], False
        elif self.forms and tag == "option" and self._select is not None:
            fields = self.forms[-1].fields
            if self._select not in fields or ("selected" in found and not self._selected):
                fields[self._select] = [found.get("value", "")]
                self._selected = "selected" in found

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None


def forms(html: str) -> list[FormFound]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_to(html: str, action: str, where: dict[str, str] | None = None) -> FormFound:
    """The form that posts to `action` (and has these hidden values, if given)."""
    for found in forms(html):
        if found.action.split("?")[0] != action or found.method.lower() != "post":
            continue
        if all(found.fields.get(name, [None])[0] == value for name, value in (where or {}).items()):
            return found
    raise AssertionError(f"no form posts to {action}; forms: {[f.action for f in forms(html)]}")


def submit(
    client: TestClient,
    page: str,
    action: str,
    data: dict[str, Any] | None = None,
    where: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Open `page`, fill its form that posts to `action` with `data`, and post it from
    this site (as a browser would), without following the redirect."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    found = form_to(shown.text, action, where)
    fields: dict[str, Any] = {name: values[0] for name, values in found.fields.items()}
    fields.update(data or {})
    return client.post(
        found.action, data=fields, headers=SAME_SITE, follow_redirects=False, **kwargs
    )


def sign_in_as(
    client: TestClient, agent: str, now: datetime = NOW, language: str | None = "en"
) -> SessionRow:
    """A session for `agent`, its cookie in the client (the sign-in by e-mail link is
    tested on its own, in test_sign_in.py); its pages in `language` (None: the agent's)."""
    rt = runtime(client)

    async def start() -> SessionRow:
        async with rt.store.write() as tx:
            session = await sessions.start(tx, agent, now)
            await tx.set_session_language(session.id, language)
            return session

    session: SessionRow = client.portal.call(start)  # type: ignore[union-attr]
    client.cookies.set(sessions.COOKIE, sessions.cookie_value(rt.tokens, session), path="/desk")
    return session


def rows(client: TestClient, sql: str, *params: Any) -> list[dict[str, Any]]:
    """What the app's database holds (SQLite's SQL and values, on either backend)."""
    return select(runtime(client).settings, sql, *params)


def booked(
    client: TestClient,
    subject: str,
    meeting_type: str,
    start: datetime,
    office: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = book(client, appointment_body(subject, meeting_type, start, office, **extra))
    assert response.status_code == 201, response.text
    appointment: dict[str, Any] = response.json()["appointment"]
    return appointment


def text_of(message: EmailMessage) -> str:
    return "\n".join(text for kind, text in iter_text_parts(message) if kind == "text/plain")


def mail_to(smtp: MailServer, address: str) -> list[EmailMessage]:
    return [r.message for r in smtp.received if address in r.recipients]


def sign_in_link(message: EmailMessage) -> str:
    found = re.search(r"http://127\.0\.0\.1:8000/desk/sign-in/\S+", text_of(message))
    assert found is not None, text_of(message)
    return found.group(0)


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def send_due(client: TestClient) -> int:
    """Run the app's delivery worker until nothing is due; how many it claimed."""
    worker = client.app.state.deliveries  # type: ignore[attr-defined]
    total = 0
    while claimed := client.portal.call(worker.run_once):  # type: ignore[union-attr]
        total += claimed
    return int(total)


def freeze(client: TestClient, moment: datetime = NOW) -> None:
    """Move the app's clock to `moment`."""
    clock = runtime(client).clock
    if isinstance(clock, Clock):
        clock.set(moment)
    else:
        runtime(client).clock = Clock(moment)
