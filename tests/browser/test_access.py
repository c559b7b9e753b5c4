"""Accessibility in real Chromium: a booking by keyboard alone, at 320 px, and axe-core.

The keyboard test presses only keys (Tab, Shift+Tab, Enter, Space, typing); it reads
the page only to know where focus is, as a screen-reader user hears it.
"""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.browser._widget import (
    HEADINGS,
    TIME,
    answer,
    book,
    choose_zone,
    embed_page,
    expect_step,
    fill_customer,
    focused,
    heading,
    open_host,
    pick,
    shadow_active,
    submit,
    tab_to,
    time_buttons,
)

# ---- keyboard ----------------------------------------------------------------------------


def expect_focus_on_heading(w: Locator, step: str) -> None:
    """After a step appears, focus is on its heading (a screen reader reads it next)."""
    expect_step(w, step)
    expect(heading(w)).to_be_focused()
    active = focused(w)
    assert (active["tag"], active["text"]) == ("h2", HEADINGS[step])


def expect_visible_focus(active: dict[str, Any]) -> None:
    assert active["outline"] != "none" or active["boxShadow"] != "none", (
        f"no visible focus indicator on {active}"
    )


def test_a_booking_can_be_made_with_the_keyboard_alone(page: Page, servers: Any) -> None:
    w = open_host(page, servers)  # the example page: it also lets the customer pick the agent
    assert shadow_active(w) is None  # the widget never takes focus on page load

    active = tab_to(page, w, "Opening an account")
    assert active["tag"] == "button"
    expect_visible_focus(active)
    page.keyboard.press("Enter")
    expect_focus_on_heading(w, "meeting-type")

    # Back is just before the heading: Shift+Tab and Space return to the subjects.
    assert tab_to(page, w, "Back", back=True)["tag"] == "button"
    page.keyboard.press("Space")
    expect_focus_on_heading(w, "subject")
    tab_to(page, w, "Opening an account")
    page.keyboard.press("Space")
    expect_focus_on_heading(w, "meeting-type")

    expect_visible_focus(tab_to(page, w, "At an office"))
    page.keyboard.press("Enter")
    expect_focus_on_heading(w, "office")
    tab_to(page, w, "Brussels Centre")
    page.keyboard.press("Enter")
    expect_focus_on_heading(w, "agent")
    tab_to(page, w, "No preference")
    page.keyboard.press("Enter")
    expect_focus_on_heading(w, "timetable")

    # The week's buttons and the times: Tab reaches a time, whatever day it opened on.
    expect_visible_focus(tab_to(page, w, "Next week"))
    active = tab_to(page, w, TIME)
    expect_visible_focus(active)
    page.keyboard.press("Enter")
    expect_focus_on_heading(w, "customer")

    assert tab_to(page, w, "first_name")["tag"] == "input"
    page.keyboard.type("Grace")
    page.keyboard.press("Tab")
    page.keyboard.type("Hopper")
    page.keyboard.press("Tab")
    page.keyboard.type("grace@example")  # not an address yet
    expect_visible_focus(tab_to(page, w, "Book appointment"))
    page.keyboard.press("Enter")
    email = w.get_by_label("Email address")
    expect(email).to_be_focused()  # focus moves to the first wrong field
    expect(email).to_have_attribute("aria-invalid", "true")
    page.keyboard.type(".com")
    tab_to(page, w, "Book appointment")
    page.keyboard.press("Enter")

    expect_focus_on_heading(w, "confirmed")
    expect(w.get_by_role("definition").filter(has_text="Opening an account")).to_be_visible()
    expect_visible_focus(tab_to(page, w, "Download for your calendar (.ics)"))


# ---- narrow screens ---------------------------------------------------------------------

_OVERFLOW = """el => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const node of el.shadowRoot.querySelectorAll('*')) {
    const r = node.getBoundingClientRect();
    const s = getComputedStyle(node);
    if (!r.width || s.visibility === 'hidden' || node.closest('.rv-sr')) continue;
    if (r.left < -0.5 || r.right > width + 0.5) {
      wide.push(`${node.tagName}.${node.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  return { scroll: document.documentElement.scrollWidth, width, wide };
}"""


def expect_fits(page: Page, w: Locator, where: str) -> None:
    """No horizontal scrolling, and nothing of the widget sticks out of the screen."""
    fit = w.evaluate(_OVERFLOW)
    assert fit["scroll"] <= 320, f"{where}: the page scrolls sideways ({fit})"
    assert not fit["wide"], f"{where}: outside the 320 px screen: {fit['wide'][:8]}"


def test_a_booking_works_on_a_320_pixel_wide_screen(page: Page, servers: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    w = open_host(page, servers)
    expect_fits(page, w, "subject")
    pick(w, "Mortgage")
    expect_step(w, "meeting-type")
    expect_fits(page, w, "meeting-type")
    pick(w, "At an office")
    expect_step(w, "office")
    expect_fits(page, w, "office")
    pick(w, "Brussels Centre")
    expect_step(w, "agent")
    expect_fits(page, w, "agent")
    pick(w, "No preference")
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    expect_fits(page, w, "timetable")
    w.get_by_role("button", name="Next week").click()
    expect(time_buttons(w).first).to_be_visible()
    expect_fits(page, w, "timetable, next week")
    month = w.get_by_role("button", name=re.compile(r"^Month overview: "))
    month.click()
    expect(w.get_by_role("grid")).to_be_visible()
    expect_fits(page, w, "timetable, month overview")
    month.click()
    w.get_by_role("button", name="Change time zone").click()
    w.get_by_role("combobox", name="Time zone").fill("america")
    expect(w.get_by_role("listbox", name="Time zone").get_by_role("option").first).to_be_visible()
    expect_fits(page, w, "timetable, time-zone picker")
    w.get_by_role("button", name="Change time zone").click()
    choose_zone(w, "Los Angeles")
    expect(w.get_by_text(re.compile(r"— America/Los Angeles\.$"))).to_be_visible()
    expect(time_buttons(w).first).to_be_visible()
    expect_fits(page, w, "timetable, another zone")
    time_buttons(w).first.click()

    expect_step(w, "questions")
    submit(w)  # the errors take room too
    expect(w.get_by_text("Please choose an option.", exact=True)).to_be_visible()
    expect_fits(page, w, "questions with errors")
    answer(w, "How much would you like to borrow (EUR)?", "180000")
    answer(w, "What is it for?", "Building")
    submit(w)
    expect_step(w, "customer")
    expect_fits(page, w, "customer")
    fill_customer(w, email="a.very.long.address.of.someone@subdomain.example.com")
    book(w)
    expect_fits(page, w, "confirmation")
    for link in w.get_by_role("link").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, link.inner_text()


# ---- axe-core -------------------------------------------------------------------------


def expect_no_violations(page: Page, where: str) -> None:
    """axe-core on the widget (it looks into open shadow roots); a readable list on failure."""
    results = Axe().run(page, context={"include": [".rendezvous"]})
    assert results.violations_count == 0, f"{where}: {results.generate_report()}"


def test_the_widget_has_no_axe_violations_through_a_booking(page: Page, servers: Any) -> None:
    w = embed_page(page, servers, {"show-agents": "true"})
    # axe must really look inside the shadow root: the choices it checked are there.
    checked = Axe().run(
        page, context={"include": [".rendezvous"]}, options={"resultTypes": ["passes"]}
    )
    assert any(
        "rv-choice" in node["html"] for rule in checked.response["passes"] for node in rule["nodes"]
    ), "axe did not see inside the widget's shadow root"
    expect_no_violations(page, "subject")
    pick(w, "Car loan")
    expect_step(w, "meeting-type")
    expect_no_violations(page, "meeting type, with the context line")
    pick(w, "At an office")
    pick(w, "Antwerp Meir")
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    expect_no_violations(page, "timetable")
    month = w.get_by_role("button", name=re.compile(r"^Month overview: "))
    month.click()
    expect(w.get_by_role("grid")).to_be_visible()
    expect_no_violations(page, "timetable, month overview")
    month.click()
    w.get_by_role("button", name="Change time zone").click()
    w.get_by_role("combobox", name="Time zone").fill("lon")
    expect_no_violations(page, "timetable, time-zone picker")
    page.keyboard.press("Escape")
    time_buttons(w).first.click()
    expect_step(w, "questions")
    submit(w)
    expect_step(w, "customer")
    submit(w, "Book appointment")
    expect(w.get_by_label("First name")).to_have_attribute("aria-invalid", "true")
    expect_no_violations(page, "customer form with errors")
    fill_customer(w)
    book(w)
    expect_no_violations(page, "confirmation")
