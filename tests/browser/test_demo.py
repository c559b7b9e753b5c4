"""The demo as a new user sees it (`make run`): the example host pages and /book load
nothing from hosts that do not exist and log no failed request in the console."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect

from tests.browser._widget import expect_step, heading, pick, time_buttons, widget


def watch(page: Page, servers: Any) -> dict[str, list[str]]:
    """Console errors, failed answers, failed requests and requests to other hosts."""
    seen: dict[str, list[str]] = {"console": [], "status": [], "failed": [], "elsewhere": []}
    local = {urlsplit(servers.api).netloc, urlsplit(servers.host).netloc}

    def console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            seen["console"].append(message.text)

    def response(answer: Response) -> None:
        if answer.status >= 400:
            seen["status"].append(f"{answer.status} {answer.url}")

    def failed(request: Request) -> None:
        seen["failed"].append(f"{request.failure} {request.url}")

    def request(sent: Request) -> None:
        if (
            urlsplit(sent.url).scheme in {"http", "https"}
            and urlsplit(sent.url).netloc not in local
        ):
            seen["elsewhere"].append(f"{sent.resource_type} {sent.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("requestfailed", failed)
    page.on("request", request)
    return seen


def test_the_example_host_page_is_clean(page: Page, servers: Any) -> None:
    seen = watch(page, servers)
    page.goto(servers.host + "/")
    w = widget(page)
    expect_step(w, "subject")
    expect(w.get_by_role("heading", level=3, name="Loans")).to_be_visible()
    pick(w, "Mortgage")
    pick(w, "At an office")
    pick(w, "Brussels Centre")
    pick(w, "No preference")
    expect(time_buttons(w).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert seen == {"console": [], "status": [], "failed": [], "elsewhere": []}


def test_the_two_widget_page_and_the_booking_page_are_clean(page: Page, servers: Any) -> None:
    seen = watch(page, servers)
    page.goto(servers.host + "/two-widgets.html")
    expect(heading(widget(page, "#general"))).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.goto(servers.api + "/book?subject=car-loan")
    expect_step(widget(page), "meeting-type")
    page.wait_for_load_state("networkidle")
    assert seen == {"console": [], "status": [], "failed": [], "elsewhere": []}
