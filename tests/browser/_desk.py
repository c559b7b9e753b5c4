"""Helpers of the desk's browser tests: a real server that sends e-mail to a real SMTP
server (aiosmtpd), appointments booked through the API, and agents who sign in from
the e-mail the way a person does (the address, the e-mail's link, the button)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Servers, start_servers
from tests.server.deliveries._mail import MailServer, iter_text_parts
from tests.support import brussels_today

BRUSSELS = "Europe/Brussels"


@dataclass
class Desk:
    servers: Servers
    smtp: MailServer
    #: Per agent address, the signed-in browser state (cookies), made once per module.
    states: dict[str, Any]

    @property
    def api(self) -> str:
        return self.servers.api

    def mail_to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.smtp.received if address in r.recipients]

    def wait_for_mail(
        self, address: str, count: int = 1, timeout: float = 20
    ) -> list[EmailMessage]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.mail_to(address)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{address} got {len(self.mail_to(address))} messages, not {count}")


def running_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A real server whose e-mails go to a real SMTP server (a module's fixture)."""
    with MailServer() as smtp, pytest.MonkeyPatch.context() as env:
        env.setenv("RENDEZVOUS_SMTP_URL", f"smtp://127.0.0.1:{smtp.port}")
        env.setenv("RENDEZVOUS_DELIVERY_INTERVAL", "0.2")
        servers = start_servers(tmp_path_factory.mktemp("desk"))
        try:
            yield Desk(servers, smtp, {})
        finally:
            servers.stop()


def text_of(message: EmailMessage) -> str:
    return "\n".join(text for kind, text in iter_text_parts(message) if kind == "text/plain")


def link_in(message: EmailMessage, pattern: str) -> str:
    found = re.search(pattern + r"\S*", text_of(message))
    assert found is not None, text_of(message)
    return found.group(0)


def free_starts(
    desk: Desk, subject: str, meeting_type: str, office: str, agent: str, days: int = 14
) -> list[str]:
    today = brussels_today()
    response = httpx.get(
        f"{desk.api}/api/v1/slots",
        params={
            "subject": subject,
            "meeting_type": meeting_type,
            "office": office,
            "agent": agent,
            "from": (today + timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=days)).isoformat(),
            "tz": BRUSSELS,
        },
    )
    assert response.status_code == 200, response.text
    return [slot["start"] for slot in response.json()["slots"]]


ANSWERS = {"mortgage": {"amount": 250000, "property": "buy"}}


def book_api(
    desk: Desk,
    subject: str,
    meeting_type: str,
    office: str,
    agent: str,
    email: str,
    *,
    start: str | None = None,
) -> dict[str, Any]:
    """An appointment booked by a customer through the API (the first free start)."""
    start = start or free_starts(desk, subject, meeting_type, office, agent)[0]
    response = httpx.post(
        f"{desk.api}/api/v1/appointments",
        json={
            "subject": subject,
            "meeting_type": meeting_type,
            "office": office,
            "agent": agent,
            "start": start,
            "customer": {
                "first_name": "Ann",
                "last_name": "Customer",
                "email": email,
                "language": "en",
                "timezone": BRUSSELS,
            },
            "answers": ANSWERS.get(subject, {}),
        },
    )
    assert response.status_code == 201, response.text
    appointment: dict[str, Any] = response.json()["appointment"]
    return appointment


def sign_in(page: Page, desk: Desk, address: str) -> None:
    """Sign in as a person does: the address, the e-mail, its link, the button; then
    the desk in English (the language switcher)."""
    page.goto(f"{desk.api}/desk?lang=en")
    expect(page.get_by_role("heading", name="Sign in to your desk")).to_be_visible()
    before = len(desk.mail_to(address))
    page.get_by_label("E-mail address").fill(address)
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    message = desk.wait_for_mail(address, before + 1)[-1]
    page.goto(link_in(message, re.escape(desk.api) + "/desk/sign-in/"))
    page.locator("main").get_by_role("button").click()  # "Sign in", in the agent's language
    page.locator("#desk-language").select_option("en")
    page.locator("form[action='/desk/language']").get_by_role("button").click()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()


def signed_in_page(browser: Browser, desk: Desk, address: str, **options: Any) -> Page:
    """A new page of a browser context signed in as `address` (signed in once per
    module, by e-mail, then its cookie reused: the sign-in limit counts per address)."""
    context_options: dict[str, Any] = {"locale": "en-GB", "timezone_id": BRUSSELS, **options}
    state = desk.states.get(address)
    context = browser.new_context(storage_state=state, **context_options)
    page = context.new_page()
    if state is None:
        sign_in(page, desk, address)
        desk.states[address] = context.storage_state()
    else:
        page.goto(f"{desk.api}/desk/appointments")
    return page


def expect_no_axe_violations(page: Page, where: str) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, f"{where}: {results.generate_report()}"


def expect_fits_320(page: Page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{where}: the page scrolls sideways ({width} px)"


def local(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def edit_config(desk: Desk, change: Callable[[str], str]) -> None:
    """Change the server's organisation file and wait until it serves the new version."""
    import time

    before = httpx.get(f"{desk.api}/healthz").json()["config_version"]
    path = desk.servers.config_path
    path.write_text(change(path.read_text()))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if httpx.get(f"{desk.api}/healthz").json()["config_version"] != before:
            return
        time.sleep(0.1)
    raise AssertionError("the server did not reload its organisation file")


def slot_starts(
    desk: Desk, subject: str, meeting_type: str, office: str, day: date
) -> list[datetime]:
    """The starts the widget is offered on one local date (GET /api/v1/slots)."""
    response = httpx.get(
        f"{desk.api}/api/v1/slots",
        params={
            "subject": subject,
            "meeting_type": meeting_type,
            "office": office,
            "from": day.isoformat(),
            "to": day.isoformat(),
            "tz": BRUSSELS,
        },
    )
    assert response.status_code == 200, response.text
    return [datetime.fromisoformat(slot["start"]) for slot in response.json()["slots"]]
