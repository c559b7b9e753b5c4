"""A widget whose every agent's own calendar cannot be read (SPEC 12) says so, in real
Chromium, against a real server: `rendezvous:misconfigured` with the reason
CALENDAR_UNAVAILABLE and a message for the customer, not an empty list."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser._widget import edit_organisation, embed_page, events, heading
from tests.browser.conftest import Servers, free_port
from tests.support import eventually


def test_when_no_agent_s_calendar_can_be_read_the_widget_says_why(
    page: Page, own_servers: Servers
) -> None:
    # Every agent links a calendar at an address where nothing answers: never read.
    nowhere = f"http://127.0.0.1:{free_port()}/calendar.ics"
    table = f'  [agents.calendar]\n  kind = "ics"\n  url = "{nowhere}"\n\n  [agents.week]'
    edit_organisation(own_servers, lambda text: re.sub(r"  \[agents\.week\]", table, text))
    listed: dict[str, Any] = eventually(
        lambda: httpx.get(f"{own_servers.api}/api/v1/subjects", timeout=5).json(),
        lambda found: found.get("reason") == "CALENDAR_UNAVAILABLE",
        timeout=20,  # the calendars' task looks every 5 s
        what="the catalog saying that no agent's calendar can be read",
    )
    assert listed == {"categories": [], "reason": "CALENDAR_UNAVAILABLE"}

    w = embed_page(page, own_servers, name="test-calendars-unavailable")
    message = "No times can be offered at the moment. Please come back later."
    expect(heading(w)).to_have_text("Booking is not available")
    expect(w.get_by_text(message, exact=True)).to_be_visible()
    expect(w.get_by_role("list")).to_have_count(0)
    fired: list[dict[str, Any]] = events(page, "misconfigured")
    assert [e["detail"]["reason"] for e in fired] == ["CALENDAR_UNAVAILABLE"]
    assert fired[0]["detail"]["code"] == "CALENDAR_UNAVAILABLE"  # the server's reason
    assert fired[0]["detail"]["message"] == message
