"""One start is one offer, and what is shown is what is booked (issue 13, item 1), in
the widget, on an organisation made for it.

Tax advice by video comes from two offices every day. Antwerp's rule gives 45 minutes,
Brussels keeps the subject's 30; Ann (Antwerp) also works alone in the afternoon. The
morning's starts come from both offices: each is shown once, with the shorter length.
The afternoon's come from Antwerp only: 45 minutes. Whatever the customer picks, the
appointment lasts exactly what the timetable said.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser._widget import (
    api_appointment,
    book,
    confirmation_links,
    embed_page,
    fill_customer,
    manage_token,
    summary,
    time_buttons,
)
from tests.browser.conftest import Servers, start_servers

WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def organisation(api: str, host: str) -> str:
    ann = "\n".join(
        f'  {day} = [{{ start = "09:00", end = "11:00", office = "antwerp" }},'
        f' {{ start = "14:00", end = "15:30", office = "antwerp" }}]'
        for day in WEEK
    )
    bob = "\n".join(
        f'  {day} = [{{ start = "09:00", end = "11:00", office = "brussels" }}]' for day in WEEK
    )
    return f"""
[organisation]
name = "Two Offices"
timezone = "Europe/Brussels"
languages = ["en"]
public_url = "{api}"
allowed_origins = ["{host}"]

[[categories]]
id = "advice"
name = "Advice"

[[subjects]]
id = "tax"
category = "advice"
name = "Tax return"
  [subjects.meeting_types.VIDEO]
  duration = 30
  granularity = 30
  earliest = 60

[[offices]]
id = "antwerp"
name = "Antwerp"
timezone = "Europe/Brussels"
address = {{ street = "Meir 1", postal_code = "2000", city = "Antwerp", country = "BE" }}
  [offices.subjects.tax]
  meeting_types = ["VIDEO"]
  agents = ["ann"]
  [offices.subjects.tax.rules.VIDEO]
  duration = 45

[[offices]]
id = "brussels"
name = "Brussels"
timezone = "Europe/Brussels"
address = {{ street = "Rue Neuve 1", postal_code = "1000", city = "Brussels", country = "BE" }}
  [offices.subjects.tax]
  meeting_types = ["VIDEO"]
  agents = ["bob"]

[[agents]]
id = "ann"
name = "Ann Peeters"
offices = ["antwerp"]
expertise = ["tax"]
  [agents.week]
{ann}

[[agents]]
id = "bob"
name = "Bob Janssens"
offices = ["brussels"]
expertise = ["tax"]
  [agents.week]
{bob}
"""


@pytest.fixture
def two_offices(tmp_path: Path) -> Iterator[Servers]:
    servers = start_servers(tmp_path / "two-offices", organisation=organisation)
    try:
        yield servers
    finally:
        servers.stop()


def minutes_of(servers: Servers, links: dict[str, str]) -> int:
    appointment: dict[str, Any] = api_appointment(servers, manage_token(links["manage"]))
    start = datetime.fromisoformat(appointment["start"])
    end = datetime.fromisoformat(appointment["end"])
    return int((end - start).total_seconds() // 60)


def shown_minutes(w: Locator) -> int:
    """The length the summary promises: "Wednesday, ..., 09:00–09:30 (...)"."""
    found = re.search(r"(\d\d):(\d\d)–(\d\d):(\d\d)", summary(w)["When"])
    assert found, summary(w)
    h1, m1, h2, m2 = map(int, found.groups())
    return (h2 * 60 + m2) - (h1 * 60 + m1)


def test_each_start_is_offered_once_and_booked_for_the_length_shown(
    page: Page, two_offices: Servers
) -> None:
    w = embed_page(page, two_offices, {"subject": "tax"}, name="test-one-offer")
    times = time_buttons(w)
    expect(times.first).to_be_visible()
    labels = [text.split("\n")[0].strip() for text in times.all_inner_texts()]
    starts = [label.split(" ")[0] for label in labels]
    assert len(starts) == len(set(starts)), f"a start is offered twice: {labels}"

    # A morning start (both offices): the shorter length, and exactly that is booked.
    times.first.click()
    fill_customer(w)
    assert shown_minutes(w) == 30
    book(w)
    assert minutes_of(two_offices, confirmation_links(w)) == 30


def test_a_start_only_one_office_gives_is_booked_for_that_office_s_length(
    page: Page, two_offices: Servers
) -> None:
    w = embed_page(page, two_offices, {"subject": "tax"}, name="test-one-offer-afternoon")
    times = time_buttons(w)
    expect(times.first).to_be_visible()
    afternoon = times.filter(has_text="2:00").or_(times.filter(has_text="14:00"))
    expect(afternoon.first).to_be_visible()
    afternoon.first.click()
    fill_customer(w)
    assert shown_minutes(w) == 45
    book(w)
    assert minutes_of(two_offices, confirmation_links(w)) == 45
