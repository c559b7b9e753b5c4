"""The agent's desk in real Chromium against the real server, whose e-mails go to a
real SMTP server (SPEC 11): signing in from the e-mail, and every action an agent
takes, with what the customer and the agents receive; the pages are axe-clean, work
by keyboard and fit a 320 px screen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import icalendar
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._desk import (
    Desk,
    book_api,
    expect_fits_320,
    expect_no_axe_violations,
    running_desk,
    sign_in,
    signed_in_page,
    text_of,
)
from tests.server.deliveries._mail import calendar_parts

ALICE = "alice@demobank.example"
EMMA = "emma@demobank.example"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from running_desk(tmp_path_factory)


@pytest.fixture
def agent_page(browser: Browser, desk: Desk) -> Iterator[Callable[..., Page]]:
    """`agent_page(address)`: a page signed in as that agent; closed, and checked for
    JavaScript errors, at the end of the test."""
    opened: list[tuple[Page, list[str]]] = []

    def open_page(address: str, **options: Any) -> Page:
        page = signed_in_page(browser, desk, address, **options)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        opened.append((page, errors))
        return page

    yield open_page
    for page, errors in opened:
        page.context.close()
        assert not errors, f"JavaScript errors on the desk: {errors}"


def method_of(message: Any) -> str | None:
    parts = calendar_parts(message)
    return str(parts[0].get("METHOD")) if parts else None


def open_appointment(page: Page, desk: Desk, appointment: dict[str, Any]) -> None:
    page.goto(f"{desk.api}/desk/appointments")
    page.get_by_role("link", name=re.compile("Ann Customer")).and_(
        page.locator(f"a[href='/desk/appointments/{appointment['id']}']")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ann Customer")


# ---- signing in ------------------------------------------------------------------------


def test_an_agent_signs_in_from_the_email(page: Page, desk: Desk) -> None:
    request = book_api(desk, "mortgage", "VIDEO", "brussels", "alice", "ann+signin@example.com")
    page.goto(f"{desk.api}/desk?lang=en")
    expect_no_axe_violations(page, "sign-in page")
    sign_in(page, desk, ALICE)

    expect(page.get_by_text("Signed in as Alice Peeters")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Requests waiting"))).to_be_visible()
    expect(page.locator(f"a[href='/desk/appointments/{request['id']}']")).to_be_visible()
    expect(page.get_by_text("Demo Bank").first).to_be_visible()
    expect_no_axe_violations(page, "my appointments")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to your desk")).to_be_visible()
    page.goto(f"{desk.api}/desk/appointments")
    expect(page.get_by_role("heading", name="Sign in to your desk")).to_be_visible()


def test_a_link_from_another_site_opens_the_page_with_the_strict_cookie(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    appointment = book_api(desk, "car-loan", "OFFICE", "brussels", "alice", "ann+mail@example.com")
    page = agent_page(ALICE)
    # A webmail on another site: its link to the desk does not carry the SameSite=Strict
    # cookie; the desk loads the page again from itself, which does.
    page.goto(f"{desk.servers.host}/")
    page.evaluate(
        "url => { const a = document.createElement('a'); a.href = url; a.id = 'mail-link';"
        " a.textContent = 'Open the appointment'; document.body.prepend(a); }",
        f"{desk.api}/desk/appointments/{appointment['id']}",
    )
    page.locator("#mail-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ann Customer: Car loan")


# ---- actions -----------------------------------------------------------------------------


def test_accepting_a_request_sends_the_customer_the_invitation(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    customer = "ann+accept@example.com"
    request = book_api(desk, "mortgage", "VIDEO", "brussels", "alice", customer)
    desk.wait_for_mail(customer)  # "request received"
    page = agent_page(ALICE)
    open_appointment(page, desk, request)
    expect_no_axe_violations(page, "a request")

    page.get_by_role("button", name="Accept").click()

    expect(page.get_by_role("status")).to_contain_text("The request is accepted")
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    message = desk.wait_for_mail(customer, 2)[-1]
    assert "confirmed" in str(message["Subject"])
    assert method_of(message) == "REQUEST"


def test_declining_a_request_tells_the_customer_why(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    customer = "ann+decline@example.com"
    request = book_api(desk, "mortgage", "VIDEO", "brussels", "alice", customer)
    desk.wait_for_mail(customer)
    page = agent_page(ALICE)
    open_appointment(page, desk, request)

    page.get_by_role("link", name="Decline…").click()
    expect(page.get_by_role("heading", name="Decline the request")).to_be_visible()
    expect_no_axe_violations(page, "decline form")
    page.get_by_label("Reason for the customer (optional)").fill("I am on a training that day.")
    page.get_by_role("button", name="Decline", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("The request is declined")
    message = desk.wait_for_mail(customer, 2)[-1]
    text = text_of(message)
    assert "I am on a training that day." in text
    assert f"{desk.api}/book?subject=mortgage" in text
    assert method_of(message) is None


def test_rescheduling_moves_the_appointment_in_both_calendars(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    customer = "ann+move@example.com"
    appointment = book_api(desk, "new-account", "OFFICE", "brussels", "alice", customer)
    desk.wait_for_mail(customer)
    alice_before = len(desk.mail_to(ALICE))
    page = agent_page(ALICE)
    open_appointment(page, desk, appointment)

    page.get_by_role("link", name="Reschedule…").click()
    expect(page.get_by_role("heading", name="Reschedule")).to_be_visible()
    expect_no_axe_violations(page, "reschedule")
    times = page.locator("main form button[name=start]")
    new_start = times.nth(1).get_attribute("value")
    assert new_start is not None and new_start != appointment["start"]
    times.nth(1).click()

    expect(page.get_by_role("status")).to_contain_text("The appointment has moved")
    for address, count in ((customer, 2), (ALICE, alice_before + 1)):
        message = desk.wait_for_mail(address, count)[-1]
        event = calendar_parts(message)[0].walk("VEVENT")[0]
        assert event.decoded("DTSTART") == datetime.fromisoformat(new_start)
        assert int(event.get("SEQUENCE")) == 1


def test_reassigning_cancels_for_the_old_agent_and_invites_the_new_one(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    customer = "ann+reassign@example.com"
    appointment = book_api(desk, "new-account", "OFFICE", "brussels", "alice", customer)
    desk.wait_for_mail(customer)
    alice_before, emma_before = len(desk.mail_to(ALICE)), len(desk.mail_to(EMMA))
    page = agent_page(ALICE)
    open_appointment(page, desk, appointment)

    page.get_by_role("link", name="Reassign…").click()
    expect_no_axe_violations(page, "reassign")
    page.get_by_label("Emma Lambert").check()
    page.get_by_role("button", name="Reassign", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("The appointment is reassigned")
    assert method_of(desk.wait_for_mail(ALICE, alice_before + 1)[-1]) == "CANCEL"
    assert method_of(desk.wait_for_mail(EMMA, emma_before + 1)[-1]) == "REQUEST"
    assert "Emma Lambert" in text_of(desk.wait_for_mail(customer, 2)[-1])


def test_cancelling_sends_the_reason_and_removes_it_from_the_calendars(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    customer = "ann+cancel@example.com"
    appointment = book_api(desk, "car-loan", "OFFICE", "brussels", "alice", customer)
    desk.wait_for_mail(customer)
    page = agent_page(ALICE)
    open_appointment(page, desk, appointment)

    page.get_by_role("link", name="Cancel…").click()
    page.get_by_label("Reason for the customer (optional)").fill("The office is closed.")
    page.get_by_role("button", name="Cancel the appointment").click()

    expect(page.get_by_role("status")).to_contain_text("The appointment is cancelled")
    message = desk.wait_for_mail(customer, 2)[-1]
    assert "The office is closed." in text_of(message)
    assert method_of(message) == "CANCEL"


# ---- invites, outbound bookings, the calendar feed ---------------------------------------


def test_an_invite_link_is_made_copied_and_revoked(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    page = agent_page(EMMA, permissions=["clipboard-read", "clipboard-write"])
    page.get_by_role("link", name="Invite links").click()
    expect_no_axe_violations(page, "invites")
    page.get_by_label("Subject").select_option(label="Saving")
    page.get_by_label("How").select_option(label="Phone call")
    page.get_by_label("Customer's e-mail (optional)").fill("bea@example.com")
    page.get_by_label("The link books one appointment only").check()
    page.get_by_role("button", name="Make the link").click()

    expect(page.get_by_role("heading", name="Your invite link")).to_be_visible()
    link = page.get_by_label("Link").input_value()
    assert link.startswith(f"{desk.api}/book?invite=") and "bea" not in link
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    token = link.split("invite=", 1)[1]
    shown = httpx.get(f"{desk.api}/api/v1/invites/{token}").json()
    assert (shown["agent"]["id"], shown["subject"], shown["customer"]["email"]) == (
        "emma",
        "savings",
        "bea@example.com",
    )

    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    assert httpx.get(f"{desk.api}/api/v1/invites/{token}").status_code == 410


def test_an_outbound_appointment_is_booked_for_a_customer(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    page = agent_page(ALICE)
    page.get_by_role("link", name="Book for a customer").click()
    expect_no_axe_violations(page, "book: what")
    page.get_by_role("link", name="Phone call · Brussels Centre").first.click()
    expect(page.get_by_role("heading", name="Choose a time")).to_be_visible()
    expect_no_axe_violations(page, "book: when")
    page.locator("main ul.times a").first.click()
    expect(page.get_by_role("heading", name="The customer")).to_be_visible()
    page.get_by_role("button", name="Book the appointment").click()  # empty: errors
    expect(page.get_by_label("First name")).to_have_attribute("aria-invalid", "true")
    expect_no_axe_violations(page, "book: the customer, with errors")

    page.get_by_label("First name").fill("Bea")
    page.get_by_label("Last name").fill("Outbound")
    page.get_by_role("textbox", name="E-mail").fill("bea+outbound@example.com")
    page.get_by_label("Phone").fill("+32 470 11 22 33")
    page.get_by_role("button", name="Book the appointment").click()

    expect(page.get_by_role("status")).to_contain_text("The appointment is booked")
    message = desk.wait_for_mail("bea+outbound@example.com")[-1]
    assert f"{desk.api}/book?manage=" in text_of(message)
    assert method_of(message) == "REQUEST"


def test_the_calendar_feed_can_be_subscribed_to(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    appointment = book_api(desk, "savings", "OFFICE", "brussels", "emma", "ann+feed@example.com")
    page = agent_page(EMMA)
    page.get_by_role("link", name="Calendar feed").click()
    page.get_by_role("button", name="Make my calendar feed").click()
    expect_no_axe_violations(page, "feed")
    address = page.get_by_label("The feed's address").input_value()
    webcal = page.get_by_role("link", name="Subscribe in my calendar app").get_attribute("href")
    assert webcal == "webcal://" + address.split("://", 1)[1]

    calendar = icalendar.Calendar.from_ical(httpx.get(address).content)
    uids = {str(event["UID"]) for event in calendar.walk("VEVENT")}
    assert f"{appointment['id']}@127.0.0.1" in uids


# ---- keyboard and narrow screens -----------------------------------------------------------


def test_an_appointment_can_be_accepted_with_the_keyboard_on_a_320_pixel_screen(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    request = book_api(desk, "mortgage", "VIDEO", "brussels", "alice", "ann+keys@example.com")
    page = agent_page(ALICE, viewport={"width": 320, "height": 640})
    page.goto(f"{desk.api}/desk/appointments")
    expect_fits_320(page, "my appointments")

    link = page.locator(f"a[href='/desk/appointments/{request['id']}']")
    for _ in range(60):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the appointment")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ann Customer: Mortgage")
    expect_fits_320(page, "an appointment")
    accept = page.get_by_role("button", name="Accept")
    for _ in range(60):
        page.keyboard.press("Tab")
        if accept.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached Accept")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("The request is accepted")
    for path in ("/desk/invites", "/desk/book", "/desk/feed"):
        page.goto(f"{desk.api}{path}")
        expect_fits_320(page, path)
