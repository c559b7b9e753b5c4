"""No dead ends (issue 13): when what the customer looks at has no free time, the widget
offers what does, on an organisation made for it.

Pension advice at three offices:

- South: Sam, every day: at an office, times from today on.
- North: Ann has no weekly hours, only one day three weeks from today (at an office and
  by video), so the first two weeks have nothing. Her phone block (30 minutes) is
  shorter than a phone call (60): the catalog lists phone calls, but none is ever free.
- West: Wes's blocks (20 minutes) are shorter than an office meeting (30): listed, never
  free.

A loan, at West's office or by phone from North, is listed but never free either.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser._widget import (
    embed_page,
    events,
    expect_step,
    heading,
    pick,
    summary,
    time_buttons,
)
from tests.browser.conftest import Servers, start_servers
from tests.support import brussels_today

BRUSSELS = ZoneInfo("Europe/Brussels")
NOTHING = "There are no free times in the coming months for this choice."
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def first_free_day() -> date:
    """North's one day: three weeks from today (Brussels)."""
    return datetime.now(BRUSSELS).date() + timedelta(days=21)


def organisation(api: str, host: str) -> str:
    every_day = "\n".join(
        f'  {day} = [{{ start = "08:00", end = "20:00", office = "south" }}]' for day in WEEK
    )
    short_days = "\n".join(
        f'  {day} = [{{ start = "09:00", end = "09:20", office = "west" }}]' for day in WEEK
    )
    return f"""
[organisation]
name = "Dead End Bank"
timezone = "Europe/Brussels"
languages = ["en"]
public_url = "{api}"
allowed_origins = ["{host}"]

[[categories]]
id = "advice"
name = "Advice"

[[subjects]]
id = "pension"
category = "advice"
name = "Pension"
  [subjects.meeting_types.OFFICE]
  duration = 30
  granularity = 30
  [subjects.meeting_types.VIDEO]
  duration = 30
  granularity = 30
  [subjects.meeting_types.PHONE]
  duration = 60

[[subjects]]
id = "loan"
category = "advice"
name = "Loan"
  [subjects.meeting_types.OFFICE]
  duration = 30
  [subjects.meeting_types.PHONE]
  duration = 60

[[offices]]
id = "south"
name = "South Office"
timezone = "Europe/Brussels"
address = {{ street = "South Street 1", postal_code = "1000", city = "Brussels", country = "BE" }}
  [offices.subjects.pension]
  meeting_types = ["OFFICE"]
  agents = ["sam"]

[[offices]]
id = "north"
name = "North Office"
timezone = "Europe/Brussels"
address = {{ street = "North Street 1", postal_code = "1000", city = "Brussels", country = "BE" }}
  [offices.subjects.pension]
  meeting_types = ["OFFICE", "VIDEO", "PHONE"]
  agents = ["ann"]
  [offices.subjects.loan]
  meeting_types = ["PHONE"]
  agents = ["ann"]

[[offices]]
id = "west"
name = "West Office"
timezone = "Europe/Brussels"
address = {{ street = "West Street 1", postal_code = "1000", city = "Brussels", country = "BE" }}
  [offices.subjects.pension]
  meeting_types = ["OFFICE"]
  agents = ["wes"]
  [offices.subjects.loan]
  meeting_types = ["OFFICE"]
  agents = ["wes"]

[[agents]]
id = "sam"
name = "Sam South"
offices = ["south"]
expertise = ["pension"]
  [agents.week]
{every_day}

[[agents]]
id = "ann"
name = "Ann North"
offices = ["north"]
expertise = ["pension", "loan"]
  [[agents.days]]
  date = "{first_free_day().isoformat()}"
  blocks = [
    {{ start = "09:00", end = "12:00", office = "north", meeting_types = ["OFFICE", "VIDEO"] }},
    {{ start = "13:00", end = "13:30", office = "north", meeting_types = ["PHONE"] }},
  ]

[[agents]]
id = "wes"
name = "Wes West"
offices = ["west"]
expertise = ["pension", "loan"]
  [agents.week]
{short_days}
"""


@pytest.fixture(scope="module")
def dead_ends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    servers = start_servers(Path(tmp_path_factory.mktemp("dead-ends")), organisation=organisation)
    try:
        yield servers
    finally:
        servers.stop()


def named(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def test_the_meeting_type_step_never_offers_a_way_to_meet_without_free_times(
    page: Page, dead_ends: Servers
) -> None:
    w = embed_page(page, dead_ends, {"subject": "pension"})
    expect_step(w, "meeting-type")
    expect(w.get_by_role("button", name="At an office", exact=True)).to_be_visible()
    expect(w.get_by_role("button", name="Video call", exact=True)).to_be_visible()
    expect(w.get_by_role("button", name="Phone call", exact=True)).to_have_count(0)
    # Pension is named from the first step on.
    assert summary(w)["Subject"] == "Pension"


def test_nothing_in_the_first_weeks_opens_on_the_first_free_day(
    page: Page, dead_ends: Servers
) -> None:
    w = embed_page(page, dead_ends, {"subject": "pension", "meeting-type": "VIDEO"})
    expect_step(w, "timetable")
    day = first_free_day()
    expect(w.get_by_text(f"The first free time is on {named(day)}.", exact=True)).to_be_visible()
    expect(w.get_by_role("heading", level=3)).to_have_text(f"Free times on {named(day)}")
    expect(time_buttons(w).first).to_have_text("09:00")

    # The week before has nothing: it says so and offers the next day that has.
    w.get_by_role("button", name="Previous week").click()
    expect(w.get_by_text("There are no free times this week.", exact=True)).to_be_visible()
    w.get_by_role("button", name=f"Next free day: {named(day)}").click()
    expect(w.get_by_role("heading", level=3)).to_have_text(f"Free times on {named(day)}")


def test_a_way_to_meet_without_any_free_time_offers_the_ones_that_have(
    page: Page, dead_ends: Servers
) -> None:
    w = embed_page(page, dead_ends, {"subject": "pension", "meeting-type": "PHONE"})
    expect_step(w, "timetable")
    expect(w.get_by_text(NOTHING, exact=True)).to_be_visible()
    instead = w.get_by_role("heading", level=3, name="These have free times")
    expect(instead).to_be_visible()
    video = w.get_by_role("button", name="Video call", exact=True)
    expect(video).to_contain_text(f"First free time: {named(first_free_day())}")
    expect(w.get_by_role("button", name="At an office", exact=True)).to_contain_text(
        "First free time: "
    )
    video.click()
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    assert summary(w)["Meeting"] == "Video call"
    assert events(page, "misconfigured") == []


def test_an_office_without_any_free_time_offers_the_offices_that_have(
    page: Page, dead_ends: Servers
) -> None:
    w = embed_page(
        page, dead_ends, {"subject": "pension", "meeting-type": "OFFICE", "office": "west"}
    )
    expect_step(w, "timetable")
    expect(w.get_by_text(NOTHING, exact=True)).to_be_visible()
    north = w.get_by_role("button", name="North Office", exact=True)
    expect(north).to_contain_text(f"First free time: {named(first_free_day())}")
    expect(w.get_by_role("button", name="Video call", exact=True)).to_be_visible()
    w.get_by_role("button", name="South Office", exact=True).click()
    expect(time_buttons(w).first).to_be_visible()
    assert summary(w)["Place"] == "South Office"
    expect(heading(w)).to_have_text("Choose a date and time")


def test_a_preselected_office_that_is_not_there_offers_every_office(
    page: Page, dead_ends: Servers
) -> None:
    w = embed_page(
        page, dead_ends, {"subject": "pension", "meeting-type": "OFFICE", "office": "east"}
    )
    expect_step(w, "office")
    for office in ("South Office", "North Office", "West Office"):
        expect(w.get_by_role("button", name=office, exact=True)).to_be_visible()
    pick(w, "South Office")
    expect(time_buttons(w).first).to_be_visible()
    assert [e["detail"]["code"] for e in events(page, "error")] == ["UNKNOWN_OFFICE"]


def test_a_subject_without_any_free_time_offers_another_subject(
    page: Page, dead_ends: Servers
) -> None:
    w = embed_page(page, dead_ends, {"subject": "loan"})
    expect_step(w, "meeting-type")  # the first step: there is no Back
    expect(
        w.get_by_text("There are no free times for this subject at the moment.", exact=True)
    ).to_be_visible()
    expect(w.get_by_role("button", name="Phone call", exact=True)).to_have_count(0)
    expect(w.get_by_role("button", name="At an office", exact=True)).to_have_count(0)
    w.get_by_role("button", name="Choose another subject").click()
    expect_step(w, "subject")
    pick(w, "Pension")
    expect_step(w, "meeting-type")

    # Preselected down to one way to meet, the timetable offers another subject too.
    w = embed_page(page, dead_ends, {"subject": "loan", "meeting-type": "PHONE"})
    expect(w.get_by_text(NOTHING, exact=True)).to_be_visible()
    w.get_by_role("button", name="Choose another subject").click()
    expect_step(w, "subject")


def test_after_cancelling_the_customer_can_book_again(page: Page, servers: Any) -> None:
    """On the demo: a booking's manage link, cancelled, then a new booking from there."""
    import httpx

    start = next(
        slot["start"]
        for slot in httpx.get(
            f"{servers.api}/api/v1/slots",
            params={
                "subject": "car-loan",
                "meeting_type": "PHONE",
                "from": brussels_today().isoformat(),
                "to": (brussels_today() + timedelta(days=20)).isoformat(),
            },
            timeout=10,
        ).json()["slots"]
    )
    booked = httpx.post(
        f"{servers.api}/api/v1/appointments",
        json={
            "subject": "car-loan",
            "meeting_type": "PHONE",
            "start": start,
            "customer": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "phone": "+32 2 123 45 67",
            },
        },
        timeout=10,
    )
    assert booked.status_code == 201, booked.text
    page.goto(booked.json()["links"]["manage"])
    w = page.locator(".rendezvous")
    expect_step(w, "manage")
    w.get_by_role("button", name="Cancel appointment").click()
    w.get_by_role("button", name="Yes, cancel it").click()
    expect(w.get_by_text("Your appointment has been cancelled.", exact=True)).to_be_visible()
    w.get_by_role("button", name="Book a new appointment").click()
    expect_step(w, "subject")
    pick(w, "Car loan")
    expect_step(w, "meeting-type")
