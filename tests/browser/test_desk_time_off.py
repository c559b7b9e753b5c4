"""Time off on the desk, in real Chromium against the real server (SPEC 11): a day off
and a time range disappear from the widget at once, a whole day across the
spring-forward Sunday, an appointment inside new time off is listed and reassigned, a
manager sets time off for an agent, and another agent can neither see nor remove it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser._desk import (
    Desk,
    book_api,
    edit_config,
    expect_fits_320,
    expect_no_axe_violations,
    running_desk,
    signed_in_page,
    slot_starts,
)
from tests.browser._widget import embed_page, time_buttons

BRUSSELS = ZoneInfo("Europe/Brussels")
ALICE, EMMA, JAN = "alice@demobank.example", "emma@demobank.example", "jan@demobank.example"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    for running in running_desk(tmp_path_factory):
        # Saving at the office may be booked five months ahead: the spring-forward Sunday.
        edit_config(
            running,
            lambda text: text.replace(
                "  [subjects.meeting_types.OFFICE]\n"
                "  [subjects.meeting_types.VIDEO]\n  duration = 20",
                "  [subjects.meeting_types.OFFICE]\n  latest = 160\n"
                "  [subjects.meeting_types.VIDEO]\n  duration = 20",
                1,
            ),
        )
        yield running


@pytest.fixture
def agent_page(browser: Browser, desk: Desk) -> Iterator[Callable[..., Page]]:
    opened: list[Page] = []

    def open_page(address: str, **options: Any) -> Page:
        page = signed_in_page(browser, desk, address, **options)
        opened.append(page)
        return page

    yield open_page
    for page in opened:
        page.context.close()


def weekdays() -> list[date]:
    """The next ten working days (Monday to Friday) after today, in Brussels."""
    day = datetime.now(BRUSSELS).date()
    found = []
    while len(found) < 10:
        day += timedelta(days=1)
        if day.weekday() < 5:
            found.append(day)
    return found


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"  # as the widget names it in en-GB


def savings_widget(page: Page, desk: Desk) -> Locator:
    return embed_page(
        page,
        desk.servers,
        {"subject": "savings", "meeting-type": "OFFICE", "office": "brussels"},
    )


def day_button(w: Locator, day: date) -> Locator:
    """The day in the timetable's strip of days (its week shown first)."""
    name = re.compile(r"^(Today, )?" + re.escape(day_label(day)) + ",")
    option = w.get_by_role("listbox", name="Days").get_by_role("option", name=name)
    for _ in range(8):
        expect(w.get_by_role("listbox", name="Days")).to_be_visible()
        if option.count():
            break
        w.get_by_role("button", name="Next week").click()
    return option


def times_on(w: Locator, day: date) -> list[str]:
    day_button(w, day).click()
    expect(w.get_by_role("heading", name=f"Free times on {day_label(day)}")).to_be_visible()
    return [text.strip() for text in time_buttons(w).all_inner_texts()]


def add_days(page: Page, first: date, last: date | None = None, note: str = "") -> None:
    page.get_by_label("First day", exact=True).fill(first.isoformat())
    if last is not None:
        page.get_by_label("Last day (empty: the first day only)").fill(last.isoformat())
    if note:
        page.locator("#days-note").fill(note)
    page.get_by_role("button", name="Save the days").click()


def test_a_day_off_disappears_from_the_widget(
    agent_page: Callable[..., Page], page: Page, desk: Desk
) -> None:
    day = weekdays()[0]
    w = savings_widget(page, desk)
    expect(day_button(w, day)).to_have_accessible_name(re.compile(r"\d+ free times$"))

    agent = agent_page(EMMA)
    agent.get_by_role("link", name="Time off").click()
    expect_no_axe_violations(agent, "time off")
    add_days(agent, day, note="Moving house")
    expect(agent.get_by_role("status")).to_contain_text("The time off is saved")
    expect_no_axe_violations(agent, "a time off entry")

    w = savings_widget(page, desk)
    # The timetable opens on the first day with free times: no longer this one.
    opened = w.get_by_role("heading", name=re.compile("^Free times on "))
    expect(opened).to_be_visible()
    expect(opened).not_to_have_text(f"Free times on {day_label(day)}")
    unoffered = day_button(w, day)
    if unoffered.count():
        expect(unoffered).to_have_accessible_name(re.compile(r", no free times$"))
    assert slot_starts(desk, "savings", "OFFICE", "brussels", day) == []


def test_a_time_range_removes_exactly_the_times_it_overlaps(
    agent_page: Callable[..., Page], page: Page, desk: Desk
) -> None:
    day = weekdays()[1]
    before = times_on(savings_widget(page, desk), day)
    assert "10:00" in before

    agent = agent_page(EMMA)
    agent.get_by_role("link", name="Time off").click()
    agent.get_by_label("Day", exact=True).fill(day.isoformat())
    agent.get_by_label("From").fill("10:00")
    agent.get_by_label("Until").fill("11:00")
    agent.get_by_role("button", name="Save the time range").click()
    expect(agent.get_by_role("status")).to_contain_text("The time off is saved")

    after = times_on(savings_widget(page, desk), day)
    # 30-minute appointments every 15 minutes: 09:45 to 10:45 run into 10:00-11:00.
    assert sorted(set(before) - set(after)) == ["09:45", "10:00", "10:15", "10:30", "10:45"]
    assert set(after) <= set(before) and {"09:30", "11:00"} <= set(after)


def test_days_off_across_the_spring_forward_sunday(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    saturday, monday = date(2027, 3, 27), date(2027, 3, 29)  # Sunday 28 March has 23 hours
    assert slot_starts(desk, "savings", "OFFICE", "brussels", saturday)
    assert slot_starts(desk, "savings", "OFFICE", "brussels", monday)

    agent = agent_page(EMMA)
    agent.get_by_role("link", name="Time off").click()
    add_days(agent, saturday, monday)
    expect(agent.get_by_role("status")).to_contain_text("The time off is saved")
    expect(agent.get_by_text("Saturday 27 March 2027 to Monday 29 March 2027")).to_be_visible()

    for day in (saturday, monday):
        assert slot_starts(desk, "savings", "OFFICE", "brussels", day) == []
    assert slot_starts(desk, "savings", "OFFICE", "brussels", date(2027, 3, 26))
    first_tuesday = slot_starts(desk, "savings", "OFFICE", "brussels", date(2027, 3, 30))
    assert first_tuesday[0] == datetime(2027, 3, 30, 9, 0, tzinfo=BRUSSELS)  # summer time


def test_an_appointment_inside_new_time_off_is_listed_and_reassigned(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    day = weekdays()[3]
    start = next(
        s
        for s in (datetime.fromisoformat(x) for x in _alice_new_account(desk, day))
        if s.hour == 10
    )
    appointment = book_api(
        desk,
        "new-account",
        "OFFICE",
        "brussels",
        "alice",
        "ann+leave@example.com",
        start=start.isoformat(),
    )
    agent = agent_page(ALICE)
    agent.get_by_role("link", name="Time off").click()
    add_days(agent, day)

    expect(agent.get_by_role("alert")).to_contain_text("1 appointment(s) fall in this time off")
    expect_no_axe_violations(agent, "time off over an appointment")
    agent.get_by_role("button", name="Save anyway").click()
    expect(agent.get_by_role("status")).to_contain_text("The time off is saved")
    listed = agent.locator(f"article:has(a[href='/desk/appointments/{appointment['id']}'])")
    expect(listed).to_be_visible()

    listed.get_by_role("link", name=re.compile("^Reassign")).click()
    agent.get_by_label("Emma Lambert").check()
    agent.get_by_role("button", name="Reassign", exact=True).click()
    expect(agent.get_by_role("status")).to_contain_text("The appointment is reassigned")

    agent.get_by_role("link", name="Time off").click()
    agent.get_by_role("link", name=re.compile(f"{day:%A} {day.day} {day:%B}")).click()
    expect(agent.get_by_text("No appointment falls in this time off.")).to_be_visible()


def _alice_new_account(desk: Desk, day: date) -> list[str]:
    return [s.isoformat() for s in slot_starts(desk, "new-account", "OFFICE", "brussels", day)]


def test_a_manager_sets_time_off_that_another_agent_cannot_see(
    agent_page: Callable[..., Page], desk: Desk
) -> None:
    day = weekdays()[5]
    manager = agent_page(JAN, viewport={"width": 320, "height": 640})
    manager.get_by_role("link", name="Time off").click()
    manager.get_by_label("Whose time off").select_option(label="Alice Peeters")
    manager.get_by_role("button", name="Show").click()
    expect(manager.get_by_role("heading", name="Time off of Alice Peeters")).to_be_visible()
    expect_fits_320(manager, "time off")
    add_days(manager, day, note="Training in Ghent")
    expect(manager.get_by_role("status")).to_contain_text("The time off is saved")
    entry = manager.url.split("?")[0]

    alice = agent_page(ALICE)
    alice.get_by_role("link", name="Time off").click()
    expect(alice.get_by_text("Set by Jan De Smet").first).to_be_visible()
    expect(alice.get_by_text("Training in Ghent")).to_be_visible()

    emma = agent_page(EMMA)
    emma.goto(entry)
    expect(emma.get_by_text("This page does not exist, or it is not yours to see.")).to_be_visible()
    emma.get_by_role("link", name="Time off").click()
    expect(emma.get_by_text("Training in Ghent")).to_have_count(0)
    expect(emma.get_by_label("Whose time off")).to_have_count(0)  # not a manager

    manager.goto(entry)
    manager.get_by_role("button", name="Remove this time off").click()
    expect(manager.get_by_role("status")).to_contain_text("The time off is removed")
