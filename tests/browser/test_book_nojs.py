"""/book in real Chromium with JavaScript turned off (issue 13, item 11): a whole booking,
a cancellation and a reschedule through the manage link, an invite link, the API's
messages on bad input, a form sent from another site refused, the page at 320 px and
by keyboard, and axe-core's rules.

Elements are found as a person finds them: by role, label and visible text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser._widget import api_appointment, manage_token, mint_invite

CUSTOMER = {"First name": "Ada", "Last name": "Lovelace", "Email address": "ada@example.com"}


@pytest.fixture
def plain(browser: Browser) -> Iterator[Page]:
    """A page in a browser with JavaScript turned off."""
    context = browser.new_context(
        java_script_enabled=False, locale="en-GB", timezone_id="Europe/Brussels"
    )
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def choose(page: Page, name: str) -> None:
    """Pick a subject, meeting type or office by its visible name, then Continue."""
    page.get_by_role("radio", name=re.compile(rf"^{re.escape(name)}\b")).check()
    page.get_by_role("button", name="Continue").click()


def first_time(page: Page) -> str:
    """Check the first free time and reserve it; returns the time's label."""
    expect(page.get_by_role("heading", name="Choose a date and time", level=2)).to_be_visible()
    time = page.get_by_role("radio", name=re.compile(r"^\d\d:\d\d–\d\d:\d\d$")).first
    label = time.evaluate("e => e.parentElement.textContent.trim()")
    time.check()
    page.get_by_role("button", name="Reserve this time").click()
    return str(label)


def fill(page: Page, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def test_a_whole_booking_without_javascript(plain: Page, servers: Any) -> None:
    plain.goto(f"{servers.api}/book")
    expect(plain).to_have_title("What would you like to talk about? – Demo Bank")
    choose(plain, "Car insurance")
    choose(plain, "Phone call")
    first_time(plain)
    expect(plain.get_by_role("heading", name="Your details", level=2)).to_be_visible()
    expect(plain.get_by_text("We are keeping this time for you until")).to_be_visible()
    fill(plain, {**CUSTOMER, "Phone number": "+32 470 12 34 56"})
    plain.get_by_role("button", name="Book appointment").click()

    expect(plain.get_by_role("heading", name="Your appointment is booked")).to_be_visible()
    assert "ada" not in plain.url.lower()  # no customer data in the address
    appointment = api_appointment(servers, manage_token(plain.url))
    assert appointment["subject"]["id"] == "car-insurance"
    assert appointment["customer"]["phone"] == "+32 470 12 34 56"
    expect(plain.get_by_role("link", name="Download for your calendar (.ics)")).to_be_visible()


def test_a_cancellation_and_a_reschedule_without_javascript(plain: Page, servers: Any) -> None:
    plain.goto(f"{servers.api}/book?subject=car-loan&meeting_type=PHONE")
    first_time(plain)
    fill(plain, {**CUSTOMER, "Phone number": "+32 470 12 34 56"})
    plain.get_by_role("button", name="Book appointment").click()
    token = manage_token(plain.url)
    booked = api_appointment(servers, token)

    plain.goto(f"{servers.api}/book?manage={token}")
    expect(plain.get_by_role("heading", name="Your appointment", level=2)).to_be_visible()
    plain.get_by_role("link", name="Choose another time").click()
    expect(plain.get_by_role("heading", name="Choose a new date and time")).to_be_visible()
    plain.get_by_role("radio").first.check()
    plain.get_by_role("button", name="Choose another time").click()
    expect(plain.get_by_text("Your appointment has been moved.")).to_be_visible()
    moved = api_appointment(servers, token)
    assert moved["start"] != booked["start"] and moved["sequence"] == booked["sequence"] + 1

    plain.get_by_role("link", name="Cancel appointment").click()
    expect(plain.get_by_text("Do you really want to cancel this appointment?")).to_be_visible()
    plain.get_by_role("button", name="Yes, cancel it").click()
    expect(plain.get_by_text("Your appointment has been cancelled.")).to_be_visible()
    expect(plain.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(plain.get_by_role("link", name="Cancel appointment")).to_have_count(0)
    assert api_appointment(servers, token)["status"] == "cancelled"


def test_an_invite_link_without_javascript(plain: Page, servers: Any) -> None:
    link = mint_invite(servers, "--agent", "emma", "--subject", "savings", "--single-use")
    plain.goto(link)
    choose(plain, "Video call")
    expect(plain.get_by_text("Emma Lambert, Customer advisor")).to_be_visible()
    first_time(plain)
    fill(plain, CUSTOMER)
    plain.get_by_role("button", name="Book appointment").click()
    expect(plain.get_by_role("heading", name="Your appointment is booked")).to_be_visible()
    assert api_appointment(servers, manage_token(plain.url))["agent"]["id"] == "emma"

    plain.goto(link)  # a single-use invite books once
    expect(plain.get_by_text("This invitation link has already been used.")).to_be_visible()


def test_bad_input_shows_the_apis_messages_linked_to_their_fields(
    plain: Page, servers: Any
) -> None:
    plain.goto(f"{servers.api}/book?subject=car-insurance&meeting_type=PHONE")
    first_time(plain)
    fill(plain, {**CUSTOMER, "Email address": "ada-at-example", "Phone number": "12"})
    plain.get_by_role("button", name="Book appointment").click()

    summary = plain.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expected = httpx.post(
        f"{servers.api}/api/v1/appointments",
        json={
            "subject": "car-insurance",
            "meeting_type": "PHONE",
            "start": "2030-01-01T10:00:00+01:00",
            "customer": {"first_name": "A", "last_name": "L", "email": "ada-at-example"},
        },
        timeout=10,
    ).json()["error"]["message"]
    link = summary.get_by_role("link", name=f"Email address: {expected}")
    expect(link).to_be_visible()
    email = plain.get_by_label("Email address", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile(re.escape(expected)))
    expect(email).to_have_value("ada-at-example")  # what was typed is kept
    link.click()
    assert plain.url.endswith("#f-email")


def test_a_form_posted_from_another_site_is_refused(plain: Page, servers: Any) -> None:
    # A page on another origin with a form that posts to /book, as an attacker's would.
    evil = "http://evil.invalid/form.html"
    body = f"""<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
      <form method="post" action="{servers.api}/book">
        <input type="hidden" name="action" value="cancel">
        <input type="hidden" name="manage" value="x">
        <button>Claim</button>
      </form></body></html>"""
    plain.route(evil, lambda route: route.fulfill(body=body, content_type="text/html"))
    plain.goto(evil)
    with plain.expect_response(f"{servers.api}/book") as answer:
        plain.get_by_role("button", name="Claim").click()
    assert answer.value.status == 403
    expect(
        plain.get_by_text("This form has expired or was not sent from this website.")
    ).to_be_visible()


def test_the_flow_fits_a_320_pixel_screen_and_works_by_keyboard(
    browser: Browser, servers: Any
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 320, "height": 640}, locale="en-GB"
    )
    page = context.new_page()
    try:
        page.goto(f"{servers.api}/book?subject=mortgage&meeting_type=VIDEO")
        expect(page.get_by_role("heading", name="Choose a date and time")).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
        # Keyboard: Tab to the first time, Space checks it, Enter sends the form.
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.name") == "slot":
                break
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Your details", level=2)).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
        box = page.get_by_role("button", name="Book appointment").bounding_box()
        assert box is not None and box["height"] >= 44  # a touch target
    finally:
        context.close()


def test_the_pages_have_no_axe_violations(browser: Browser, servers: Any) -> None:
    # axe-core runs as a script: JavaScript is on, and embed.js is kept away so that
    # the page stays the server's (its form is shown when the widget never arrives).
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.route("**/embed.js", lambda route: route.abort())
    try:
        for url in (
            "/book",
            "/book?subject=mortgage",
            "/book?subject=mortgage&meeting_type=OFFICE&office=brussels",
        ):
            page.goto(servers.api + url)
            page.evaluate("document.documentElement.classList.remove('js')")
            results = Axe().run(page)
            assert results.violations_count == 0, (url, results.generate_report())
    finally:
        context.close()
