"""Safety in real Chromium: what comes from the API is text, and a widget that cannot
book says why instead of showing an empty list (SPEC 7 and 9, docs/embedding.md).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.browser._widget import (
    book,
    edit_organisation,
    embed_page,
    events,
    expect_step,
    fill_customer,
    heading,
    pick_first_time,
    summary,
    time_buttons,
)
from tests.browser.conftest import Servers

XSS = "<img src=x onerror=alert(1)>"
#: A customer's name with markup in it: script, an event handler and an entity.
MARKUP_NAME = "<script>alert(2)</script><b onmouseover=alert(3)>Ada</b>&amp;"


def dialogs(page: Page) -> list[str]:
    """Every alert/confirm/prompt the page opens (dismissed), as its message."""
    seen: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


def markup_in_shadow(w: Locator) -> dict[str, int]:
    """How many elements of the kinds an injection would create live in the shadow root."""
    counts: dict[str, int] = w.evaluate(
        """el => ({
          img: el.shadowRoot.querySelectorAll('img:not(.rv-group-img)').length,
          script: el.shadowRoot.querySelectorAll('script').length,
          b: el.shadowRoot.querySelectorAll('b').length,
          handlers: [...el.shadowRoot.querySelectorAll('*')]
            .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
        })"""
    )
    return counts


# ---- HTML is text ---------------------------------------------------------------------


def test_a_subject_named_like_markup_is_shown_as_those_characters(
    page: Page, own_servers: Servers
) -> None:
    edit_organisation(
        own_servers,
        lambda text: text.replace(
            'name = { en = "Car insurance",', f'name = {{ en = "{XSS}",', 1
        ).replace('name = { en = "Insurance",', 'name = { en = "<i>Insurance</i>",', 1),
    )
    opened = dialogs(page)
    w = embed_page(page, own_servers, name="test-xss")
    expect_step(w, "subject")

    subject = w.get_by_role("button", name=XSS, exact=True)
    expect(subject).to_be_visible()
    expect(w.get_by_text(XSS, exact=True)).to_be_visible()
    expect(w.get_by_text("<i>Insurance</i>", exact=True)).to_be_visible()
    assert markup_in_shadow(w) == {"img": 0, "script": 0, "b": 0, "handlers": 0}

    # Further on, the summary repeats the name: still text.
    subject.click()
    w.get_by_role("button", name="At an office", exact=True).click()
    w.get_by_role("button", name="Brussels Centre", exact=True).click()
    expect_step(w, "timetable")
    assert summary(w)["Subject"] == XSS
    assert markup_in_shadow(w)["img"] == 0
    assert opened == []


def test_markup_in_the_customers_name_comes_back_as_text_on_the_confirmation(
    page: Page, own_servers: Servers
) -> None:
    opened = dialogs(page)
    w = embed_page(
        page,
        own_servers,
        {"subject": "car-insurance", "meeting-type": "OFFICE", "office": "brussels"},
        name="test-customer-markup",
    )
    pick_first_time(w)
    fill_customer(w, first_name=MARKUP_NAME, last_name="<img src=y onerror=alert(4)>")
    book(w)
    expect_step(w, "confirmed")

    shown = f"{MARKUP_NAME} <img src=y onerror=alert(4)>"
    expect(w.get_by_text(shown)).to_be_visible()
    assert markup_in_shadow(w) == {"img": 0, "script": 0, "b": 0, "handlers": 0}
    created = events(page, "appointment-created")
    assert created[0]["detail"]["appointment"]["customer"]["first_name"] == MARKUP_NAME
    assert opened == []


# ---- a widget that cannot book says why ------------------------------------------------


def expect_misconfigured(
    page: Page, w: Locator, reason: str, message: str, code: str | None = None
) -> None:
    """The widget shows a human message (no list, no retry) and fired misconfigured, with
    the server's own reason code for the operator when it gave one."""
    expect(heading(w)).to_have_text("Booking is not available")
    expect(w.get_by_text(message, exact=True)).to_be_visible()
    expect(w.get_by_role("list")).to_have_count(0)
    expect(w.get_by_role("button", name="Try again")).to_have_count(0)
    fired: list[dict[str, Any]] = events(page, "misconfigured")
    assert [e["detail"]["reason"] for e in fired] == [reason]
    assert fired[0]["detail"]["message"] == message
    assert fired[0]["detail"].get("code") == code
    assert events(page, "error") == []


NOT_BOOKABLE = (
    "What this page asked for cannot be booked online at the moment. Please choose from the list."
)


@pytest.mark.parametrize(
    ("attributes", "code", "step", "listed"),
    [
        pytest.param(
            {"subject": "no-such-subject"}, "UNKNOWN_SUBJECT", "subject", "Mortgage", id="subject"
        ),
        pytest.param(
            {"category": "no-such-category"}, "UNKNOWN_CATEGORY", "subject", "Saving", id="category"
        ),
        pytest.param({"agent": "nobody"}, "UNKNOWN_AGENT", "subject", "Mortgage", id="agent"),
        pytest.param(
            {"subject": "car-loan", "meeting-type": "ON_LOCATION"},
            "UNKNOWN_MEETING_TYPE",
            "meeting-type",
            "Phone call",
            id="meeting-type-the-subject-lacks",
        ),
        pytest.param(
            {"subject": "car-loan", "meeting-type": "OFFICE", "office": "ghent"},
            "UNKNOWN_OFFICE",
            "office",
            "Antwerp Meir",
            id="closed-office",
        ),
    ],
)
def test_a_preselection_that_cannot_be_booked_offers_the_full_list_with_a_notice(
    page: Page, servers: Servers, attributes: dict[str, str], code: str, step: str, listed: str
) -> None:
    w = embed_page(page, servers, attributes, name="test-unbookable")
    expect_step(w, step)
    expect(w.get_by_text(NOT_BOOKABLE, exact=True)).to_be_visible()
    expect(w.get_by_role("button", name=listed, exact=True)).to_be_visible()
    assert [e["detail"]["code"] for e in events(page, "error")] == [code]
    assert events(page, "misconfigured") == []


def test_an_organisation_that_offers_nothing_says_so(page: Page, own_servers: Servers) -> None:
    def hide_every_subject(text: str) -> str:
        text = text.replace("available_for_customers = false\n", "")
        return re.sub(
            r'(\[\[subjects\]\]\nid = "[^"]+"\n)', r"\1available_for_customers = false\n", text
        )

    edit_organisation(own_servers, hide_every_subject)
    listing = httpx.get(f"{own_servers.api}/api/v1/subjects").json()
    assert listing["categories"] == []
    assert listing["reason"] == "SUBJECT_NOT_AVAILABLE"
    w = embed_page(page, own_servers, name="test-nothing")
    expect_misconfigured(
        page,
        w,
        "NO_SUBJECTS",
        "There is nothing to book here at the moment. Please come back later.",
        code="SUBJECT_NOT_AVAILABLE",  # what the operator can act on
    )


def test_a_website_that_is_not_allowed_is_told_so(page: Page, own_servers: Servers) -> None:
    edit_organisation(own_servers, lambda text: text.replace(f'  "{own_servers.host}",\n', "", 1))
    refused = httpx.post(
        f"{own_servers.api}/api/v1/holds", headers={"Origin": own_servers.host}, json={}
    )
    assert refused.json()["error"]["code"] == "ORIGIN_NOT_ALLOWED"
    w = embed_page(page, own_servers, name="test-not-allowed")
    expect_misconfigured(
        page, w, "ORIGIN_NOT_ALLOWED", "Online booking is not enabled on this website."
    )


# ---- a failure is worth another try, never "not enabled" ---------------------------------

NETWORK = "We could not reach the booking service. Please check your connection and try again."


def test_a_network_failure_offers_a_retry_that_works(page: Page, servers: Servers) -> None:
    """A request that never gets an answer (aborted here, as a dropped connection is)
    is no misconfiguration: the customer is told to try again, and trying works."""
    page.route("**/api/v1/subjects*", lambda route: route.abort("connectionreset"))
    w = embed_page(page, servers, name="test-network")
    expect(heading(w)).to_have_text("Something went wrong")
    expect(w.get_by_text(NETWORK, exact=True)).to_be_visible()
    assert [e["detail"]["code"] for e in events(page, "error")] == ["NETWORK"]
    assert events(page, "misconfigured") == []

    page.unroute("**/api/v1/subjects*")
    w.get_by_role("button", name="Try again").click()
    expect_step(w, "subject")
    expect(w.get_by_role("button", name="Mortgage", exact=True)).to_be_visible()
    assert events(page, "misconfigured") == []


def test_a_server_error_offers_a_retry_that_works(page: Page, servers: Servers) -> None:
    """A 5xx (here from a proxy in front of the server) is retryable too."""

    def unavailable(route: Any) -> None:
        route.fulfill(
            status=503,
            body="Service Unavailable",
            headers={"Content-Type": "text/plain", "Access-Control-Allow-Origin": servers.host},
        )

    page.route("**/api/v1/slots*", unavailable)
    w = embed_page(
        page,
        servers,
        {"subject": "car-loan", "meeting-type": "PHONE"},
        name="test-server-error",
    )
    expect(heading(w)).to_have_text("Something went wrong")
    expect(
        w.get_by_text("Something went wrong on our side. Please try again.", exact=True)
    ).to_be_visible()
    assert [e["detail"]["code"] for e in events(page, "error")] == ["HTTP_503"]

    page.unroute("**/api/v1/slots*")
    w.get_by_role("button", name="Try again").click()
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    assert events(page, "misconfigured") == []
