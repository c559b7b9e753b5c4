"""The timetable in real Chromium: a strip of the week's days above the day's times, a
month overview, arrow keys inside each group, today marked, the length of what is
booked, times written as the locale writes them, a searchable time-zone picker, and
the first time visible on a 320 × 640 phone without scrolling past the heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser._widget import (
    TIME,
    embed_page,
    expect_step,
    heading,
    open_host,
    pick,
    shadow_active,
    summary,
    tab_to,
    time_buttons,
)
from tests.support import brussels_today

#: Opening an account at the Brussels office: 20 minutes every 10, most days.
ACCOUNT = {"subject": "new-account", "meeting-type": "OFFICE", "office": "brussels"}
#: Investing at the Brussels office: 60 minutes.
INVESTING = {"subject": "investments", "meeting-type": "OFFICE", "office": "brussels"}


def day_of(label: str) -> date:
    """The date of a day as the strip names it: "Today, Tuesday 1 December, 4 free times"."""
    text = label.removeprefix("Today, ")
    match = re.match(r"^(?:Free times on )?\w+ (\d{1,2}) (\w+)", text)
    assert match, label
    today = brussels_today()
    shown = datetime.strptime(f"{match[1]} {match[2]} {today.year}", "%d %B %Y").date()
    return shown if shown >= today - timedelta(days=7) else shown.replace(year=today.year + 1)


def days(w: Locator) -> Locator:
    return w.get_by_role("listbox", name="Days").get_by_role("option")


def chosen_day(w: Locator) -> date:
    label = w.get_by_role("listbox", name="Days").get_by_role("option", selected=True)
    return day_of(label.get_attribute("aria-label") or "")


def focused_label(w: Locator) -> str:
    active = shadow_active(w)
    assert active is not None, "focus is not inside the widget"
    return str(active["name"] or active["text"])


# ---- the keyboard ------------------------------------------------------------------------


def test_days_and_times_are_one_tab_stop_each_and_arrow_keys_move_inside(
    page: Page, servers: Any
) -> None:
    w = embed_page(page, servers, ACCOUNT)
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    opened = chosen_day(w)

    # One Tab from "Next week" lands on the chosen day, not on the first of the strip.
    tab_to(page, w, "Next week")
    page.keyboard.press("Tab")
    assert day_of(focused_label(w)) == opened
    assert shadow_active(w)["tag"] == "div"  # type: ignore[index]

    page.keyboard.press("ArrowRight")
    expect(days(w).and_(w.locator("[aria-selected=true]"))).to_have_count(1)
    assert day_of(focused_label(w)) == opened + timedelta(days=1)
    assert chosen_day(w) == opened + timedelta(days=1)
    page.keyboard.press("ArrowLeft")
    assert day_of(focused_label(w)) == opened
    expect(w.get_by_role("heading", level=3)).to_have_text(
        f"Free times on {opened:%A} {opened.day} {opened:%B}"
    )

    # One Tab from the days lands on the first time; arrows move between the times.
    page.keyboard.press("Tab")
    shown = [t.strip() for t in time_buttons(w).all_inner_texts()]
    assert len(shown) >= 3
    assert focused_label(w) == shown[0]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert focused_label(w) == shown[2]
    page.keyboard.press("End")
    assert focused_label(w) == shown[-1]
    page.keyboard.press("ArrowLeft")
    assert focused_label(w) == shown[-2]
    page.keyboard.press("Home")
    assert focused_label(w) == shown[0]
    page.keyboard.press("ArrowRight")

    # Shift+Tab goes back to the days, Tab returns to the time last visited, and one more
    # Tab leaves the times.
    page.keyboard.press("Shift+Tab")
    assert day_of(focused_label(w)) == opened
    page.keyboard.press("Tab")
    assert focused_label(w) == shown[1]
    page.keyboard.press("Tab")
    assert focused_label(w) == "Change time zone"

    # PageDown moves to the next week, on its first free day.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("PageDown")
    later = day_of(focused_label(w))
    assert later > opened and (later - opened).days < 14
    assert chosen_day(w) == later

    # Enter on a time takes it, as a click does.
    page.keyboard.press("Tab")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/holds")) as held:
        page.keyboard.press("Enter")
    assert held.value.status == 201
    expect_step(w, "customer")


def test_the_month_overview_jumps_to_a_day_by_keyboard(page: Page, servers: Any) -> None:
    w = embed_page(page, servers, ACCOUNT)
    expect(time_buttons(w).first).to_be_visible()
    opened = chosen_day(w)
    month = w.get_by_role("button", name=re.compile(r"^Month overview: "))
    expect(month).to_have_attribute("aria-expanded", "false")
    month.click()
    expect(month).to_have_attribute("aria-expanded", "true")
    grid = w.get_by_role("grid", name=f"{opened:%B %Y}")
    expect(grid).to_be_visible()
    # Focus is on the chosen day; Down is a week later, Enter opens that day.
    assert day_of(focused_label(w)) == opened
    page.keyboard.press("ArrowDown")
    target = opened + timedelta(days=7)
    if target.month != opened.month:
        expect(w.get_by_role("grid", name=f"{target:%B %Y}")).to_be_visible()
    assert day_of(focused_label(w)) == target
    page.keyboard.press("Enter")
    expect(grid).to_have_count(0)
    assert chosen_day(w) == target
    assert day_of(focused_label(w)) == target  # focus follows into the strip

    # PageDown shows the next month; Escape closes without choosing.
    month.click()
    page.keyboard.press("PageDown")
    following = (target.replace(day=1) + timedelta(days=32)).replace(day=1)
    expect(w.get_by_role("grid", name=f"{following:%B %Y}")).to_be_visible()
    page.keyboard.press("Escape")
    expect(w.get_by_role("grid")).to_have_count(0)
    assert chosen_day(w) == target


def test_previous_and_next_move_by_a_week_and_today_is_marked(page: Page, servers: Any) -> None:
    w = embed_page(page, servers, ACCOUNT)
    expect(time_buttons(w).first).to_be_visible()
    previous = w.get_by_role("button", name="Previous week")
    for _ in range(4):  # back to the week of today
        if previous.is_disabled():
            break
        previous.click()
    expect(previous).to_be_disabled()
    labels = days(w).evaluate_all("options => options.map(o => o.getAttribute('aria-label'))")
    today = [label for label in labels if label.startswith("Today, ")]
    assert len(today) == 1 and day_of(today[0]) == brussels_today()
    first = day_of(labels[0])
    assert first.weekday() == 0  # en-GB weeks start on Monday
    for _ in range(3):
        w.get_by_role("button", name="Next week").click()
        expect(days(w).first).not_to_have_attribute("aria-label", labels[0])
        labels = days(w).evaluate_all("options => options.map(o => o.getAttribute('aria-label'))")
        assert day_of(labels[0]) == first + timedelta(days=7)  # a week, never a day
        first = day_of(labels[0])
    w.get_by_role("button", name="Previous week").click()
    expect(days(w).first).not_to_have_attribute("aria-label", labels[0])
    labels = days(w).evaluate_all("options => options.map(o => o.getAttribute('aria-label'))")
    assert day_of(labels[0]) == first - timedelta(days=7)


# ---- what is shown ----------------------------------------------------------------------


def test_the_length_of_what_is_booked_is_shown(page: Page, servers: Any) -> None:
    w = embed_page(page, servers, INVESTING)
    expect(time_buttons(w).first).to_be_visible()
    shown = summary(w)
    assert shown["Subject"] == "Investing"
    assert shown["Length"] == "60 mins"  # en-GB's short unit


@pytest.fixture
def american_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", timezone_id="Europe/Brussels")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_english_times_follow_the_locale(page: Page, american_page: Page, servers: Any) -> None:
    british = embed_page(page, servers, ACCOUNT)
    expect(time_buttons(british).first).to_be_visible()
    assert all(
        re.fullmatch(r"\d{2}:\d{2}", t.strip()) for t in time_buttons(british).all_inner_texts()
    )

    w = embed_page(american_page, servers, ACCOUNT)
    expect(time_buttons(w).first).to_be_visible()
    times = [t.strip() for t in time_buttons(w).all_inner_texts()]
    assert all(re.fullmatch(r"\d{1,2}:\d{2}\s[AP]M", t) for t in times), times
    assert summary(w)["Length"] == "20 min"
    first = times[0]
    time_buttons(w).first.click()
    expect_step(w, "customer")
    # The summary writes the time the same way: "9:00 – 9:20 AM", never "09:00 AM".
    clock, half = re.sub(r"\s", " ", first).split(" ")
    when = re.sub(r"\s", " ", summary(w)["When"])
    assert re.search(rf"\b{clock} – \d{{1,2}}:\d{{2}} {half}\b", when), (first, when)


# ---- the time zone -------------------------------------------------------------------------


def test_the_time_zone_picker_searches_every_zone_by_its_translated_name(
    page: Page, servers: Any
) -> None:
    w = embed_page(page, servers, {**ACCOUNT, "language": "fr"})
    expect(time_buttons(w).first).to_be_visible()
    w.get_by_role("button", name="Changer de fuseau horaire").click()
    search = w.get_by_role("combobox", name="Fuseau horaire")
    expect(search).to_be_focused()
    options = w.get_by_role("listbox", name="Fuseau horaire").get_by_role("option")

    search.fill("japon")  # the zone's name in French, not its IANA id
    expect(options.first).to_have_text(re.compile(r"^Tokyo — heure normale du Japon \(UTC\+9\)$"))
    search.fill("kathmandu")  # beyond any short list of zones
    expect(options).to_have_count(1)
    expect(options.first).to_have_text(re.compile(r"^Kathmandu — .+ \(UTC\+5:45\)$"))
    search.fill("zzzz")
    expect(options).to_have_text(["Aucun fuseau horaire ne correspond."])

    # By keyboard: type, Down, Enter.
    search.fill("new york")
    expect(options.first).to_have_text(re.compile(r"^New York — heure de l’Est nord-américain"))
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(
        w.get_by_text(re.compile(r"^Heures affichées selon le fuseau .+ — America/New York\.$"))
    ).to_be_visible()
    expect(w.get_by_role("button", name="Changer de fuseau horaire")).to_be_focused()
    expect(time_buttons(w).first).to_be_visible()


# ---- a phone -----------------------------------------------------------------------------


def expect_in_view(box: dict[str, float] | None, height: int, what: str) -> None:
    assert box, f"{what} is not on screen"
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{what} is at {box}"


def test_on_a_phone_the_first_time_shows_without_scrolling_after_the_heading(
    page: Page, servers: Any
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    w = open_host(page, servers)
    pick(w, "Mortgage")
    pick(w, "At an office")
    pick(w, "Brussels Centre")
    pick(w, "No preference")
    expect_step(w, "timetable")
    first = time_buttons(w).first
    expect(first).to_be_visible()
    # With the heading at the top of the screen, the first time is in view, whole.
    heading(w).evaluate("el => el.scrollIntoView({ block: 'start' })")
    top = heading(w).bounding_box()
    assert top and abs(top["y"]) < 1, top
    expect_in_view(first.bounding_box(), 640, "the first time")


def test_the_hosted_page_shows_a_time_on_a_phone_without_any_scrolling(
    page: Page, servers: Any
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{servers.api}/book?subject=car-loan&meeting_type=PHONE")
    w = page.locator(".rendezvous")
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    expect_in_view(time_buttons(w).first.bounding_box(), 640, "the first time")
    assert TIME.match(time_buttons(w).first.inner_text())
