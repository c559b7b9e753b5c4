"""The widget against the bot defence (docs/bots.md): with the organisation's challenge
on, the widget answers CHALLENGE_REQUIRED by loading plugin/altcha.js, solving a real
ALTCHA challenge with crypto.subtle, and sending the hold again; the booking with that
hold needs no challenge of its own. Its honeypot stays empty and out of reach."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from playwright.sync_api import Page, Request, expect

from tests.browser._widget import (
    api_appointment,
    book,
    confirmation_links,
    edit_organisation,
    embed_page,
    expect_step,
    fill_customer,
    manage_token,
    time_buttons,
)
from tests.browser.conftest import Servers

PRESELECTED = {"subject": "car-insurance", "meeting-type": "OFFICE", "office": "brussels"}
ALWAYS = '\n[organisation.bots]\nchallenge = "always"\nchallenge_max_number = 100000\n'


def test_the_widget_books_with_the_challenge_on(page: Page, own_servers: Servers) -> None:
    edit_organisation(own_servers, lambda text: text + ALWAYS)
    calls: list[tuple[str, str, Any]] = []

    def seen(request: Request) -> None:
        if "/api/v1/" in request.url and request.method in {"GET", "POST"}:
            path = request.url.split("/api/v1/", 1)[1].split("?", 1)[0]
            if path in {"holds", "appointments", "challenge"}:
                body = request.post_data_json if request.method == "POST" else None
                calls.append((request.method, path, body))

    page.on("request", seen)
    answers: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.request.method, r.status, r.url.rsplit("/", 1)[-1]))
            if "/api/v1/" in r.url and r.request.method == "POST"
            else None
        ),
    )
    w = embed_page(page, own_servers, PRESELECTED, name="test-bots")
    expect_step(w, "timetable")
    w.get_by_role("button", name="Next week").click()
    time_buttons(w).first.click()
    expect_step(w, "customer")

    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert any(re.search(r"/plugin/[^/]+/altcha\.js$", name) for name in loaded)
    assert [(method, path) for method, path, _ in calls] == [
        ("POST", "holds"),
        ("GET", "challenge"),
        ("POST", "holds"),
    ]
    assert "altcha" not in calls[0][2]
    solution = json.loads(base64.b64decode(calls[2][2]["altcha"]))
    assert solution["algorithm"] == "SHA-256" and isinstance(solution["number"], int)
    assert [status for _, status, _ in answers] == [428, 201]

    honeypot = w.locator("input[name=website]")
    expect(honeypot).to_have_attribute("tabindex", "-1")
    expect(honeypot).to_have_attribute("aria-hidden", "true")
    fill_customer(w)
    book(w)

    booking = [body for method, path, body in calls if path == "appointments"]
    assert len(booking) == 1 and booking[0]["hold"] and "altcha" not in booking[0]
    assert "website" not in booking[0]  # the honeypot stayed empty (empty fields are left out)
    appointment = api_appointment(own_servers, manage_token(confirmation_links(w)["manage"]))
    assert appointment["customer"]["email"] == "ada@example.com"
