"""Two customers, one time: the widget's hold against a booking straight through the API.

Car insurance at the office in Brussels is handled by one agent (Farid) who sees one
customer at a time (`max_concurrent = 1`), so a time taken by one customer is gone for
the other. Customer A uses the widget in a page; customer B calls the API directly.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser._widget import (
    api_appointment,
    book,
    confirmation_links,
    embed_page,
    events,
    expect_step,
    fill_customer,
    manage_token,
    submit,
    time_buttons,
)
from tests.browser.conftest import Servers

BRUSSELS = ZoneInfo("Europe/Brussels")
CHOICE = {"subject": "car-insurance", "meeting_type": "OFFICE", "office": "brussels"}
PRESELECTED = {"subject": "car-insurance", "meeting-type": "OFFICE", "office": "brussels"}
CUSTOMER_B = {"first_name": "Bea", "last_name": "Quick", "email": "bea@example.com"}


def offered(servers: Servers) -> list[datetime]:
    """Farid's free starts for car insurance in Brussels over the coming 62 days."""
    today = datetime.now(BRUSSELS).date()
    response = httpx.get(
        f"{servers.api}/api/v1/slots",
        params={
            **CHOICE,
            "agent": "farid",
            "from": today.isoformat(),
            "to": (today + timedelta(days=61)).isoformat(),
            "tz": "Europe/Brussels",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return [datetime.fromisoformat(slot["start"]) for slot in response.json()["slots"]]


def book_directly(servers: Servers, start: datetime, **extra: str) -> httpx.Response:
    """Customer B books `start` through the API, as another website or app would."""
    body = {**CHOICE, **extra, "start": start.isoformat(), "customer": CUSTOMER_B}
    return httpx.post(f"{servers.api}/api/v1/appointments", json=body, timeout=10)


def hold_time(page: Page, time: Locator) -> datetime:
    """Click a time; the widget holds it (201). Returns the start it asked for."""
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/holds") and r.request.method == "POST"
    ) as answer:
        time.click()
    assert answer.value.status == 201, answer.value.text()
    return datetime.fromisoformat(answer.value.request.post_data_json["start"])


def take_a_time(page: Page, servers: Servers) -> tuple[Locator, datetime]:
    """Customer A opens the widget and picks a time next week: it is held for them.

    Next week, so that the time cannot pass (minimum notice) while the test runs.
    """
    w = embed_page(page, servers, PRESELECTED, name="test-race")
    expect_step(w, "timetable")
    w.get_by_role("button", name="Next week").click()
    start = hold_time(page, time_buttons(w).first)
    expect_step(w, "customer")
    return w, start


def times_on(starts: list[datetime], day: date) -> list[str]:
    """The starts on `day` as the widget shows them in en-GB, Brussels time."""
    local = [s.astimezone(BRUSSELS) for s in starts]
    return [s.strftime("%H:%M") for s in local if s.date() == day]


def test_a_held_time_refuses_another_customer_and_the_holder_books_it(
    page: Page, own_servers: Servers
) -> None:
    before = offered(own_servers)
    w, start = take_a_time(page, own_servers)
    assert start in before
    assert start not in offered(own_servers)  # held: no longer offered to anyone

    for extra in ({}, {"agent": "farid"}):
        refused = book_directly(own_servers, start, **extra)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "APPOINTMENT_NO_AVAILABILITY"

    fill_customer(w)
    book(w)
    expect_step(w, "confirmed")
    appointment = api_appointment(own_servers, manage_token(confirmation_links(w)["manage"]))
    assert datetime.fromisoformat(appointment["start"]) == start
    assert appointment["agent"]["id"] == "farid"
    assert appointment["customer"]["email"] == "ada@example.com"
    assert book_directly(own_servers, start).status_code == 409  # booked: still gone for B


def test_when_the_hold_expired_and_the_time_went_the_customer_gets_fresh_times(
    page: Page, own_servers: Servers
) -> None:
    w, start = take_a_time(page, own_servers)
    fill_customer(w)

    # A dawdles: the hold runs out (holds store unix seconds) and B takes the time.
    with sqlite3.connect(own_servers.database, timeout=10) as db:
        expired = db.execute(
            "UPDATE holds SET expires_at = ? WHERE start_utc = ? AND used_by IS NULL",
            [int(time.time()) - 1, int(start.timestamp())],
        )
        assert expired.rowcount == 1
    db.close()
    assert start in offered(own_servers)  # the expired hold no longer blocks it
    taken = book_directly(own_servers, start)
    assert taken.status_code == 201, taken.text

    submit(w, "Book appointment")
    notice = "We could not keep that time for you any longer. Please choose a time again."
    expect(w.get_by_text(notice, exact=True)).to_be_visible()
    expect_step(w, "timetable")
    fresh = offered(own_servers)
    assert start not in fresh
    first_day = min(fresh).astimezone(BRUSSELS).date()
    expect(time_buttons(w)).to_have_text(times_on(fresh, first_day))
    # The week of the lost time, asked again: every time but the lost one.
    w.get_by_role("button", name="Next week").click()
    day = start.astimezone(BRUSSELS)
    expect(w.get_by_role("heading", level=3)).to_have_text(
        f"Free times on {day:%A} {day.day} {day:%B}"
    )
    shown = times_on(fresh, day.date())
    assert f"{day:%H:%M}" not in shown and shown
    expect(time_buttons(w)).to_have_text(shown)
    assert events(page, "error") == []
    assert events(page, "appointment-created") == []

    # A picks another time (the day's last, far from the minimum notice) and books it.
    other = hold_time(page, time_buttons(w).last)
    assert other in fresh
    expect_step(w, "customer")
    expect(w.get_by_label("Email address")).to_have_value("ada@example.com")  # kept
    book(w)
    appointment = api_appointment(own_servers, manage_token(confirmation_links(w)["manage"]))
    assert datetime.fromisoformat(appointment["start"]) == other


def until(condition: Callable[[], bool], timeout: float = 10) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def held_starts(servers: Servers) -> list[int]:
    """The unix starts of the holds in the database (live, used or expired)."""
    with sqlite3.connect(servers.database, timeout=10) as db:
        rows = db.execute("SELECT start_utc FROM holds ORDER BY start_utc").fetchall()
    db.close()
    return [start for (start,) in rows]


def releases(page: Page) -> list[str]:
    """The URLs of the DELETE requests the page sends from now on (a live list)."""
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.url) if request.method == "DELETE" else None
    )
    return sent


def test_going_back_gives_the_held_time_back_while_the_next_pick_is_held(
    page: Page, own_servers: Servers
) -> None:
    sent = releases(page)
    w, first = take_a_time(page, own_servers)
    assert first not in offered(own_servers)  # held by A

    w.get_by_role("button", name="Back", exact=True).click()
    expect_step(w, "timetable")

    # Given back at once, not in 7 minutes: offered to everyone again.
    assert until(lambda: first in offered(own_servers)), "the first time is still held"
    assert held_starts(own_servers) == []
    assert len(sent) == 1 and "/api/v1/holds/" in sent[0]

    # A picks another time: that one is held, the first one stays free.
    second = hold_time(page, time_buttons(w).last)
    assert second != first
    expect_step(w, "customer")
    now_offered = offered(own_servers)
    assert first in now_offered
    assert second not in now_offered
    assert held_starts(own_servers) == [int(second.timestamp())]
    taken = book_directly(own_servers, first)  # B books the time A gave back
    assert taken.status_code == 201, taken.text

    fill_customer(w)
    book(w)
    appointment = api_appointment(own_servers, manage_token(confirmation_links(w)["manage"]))
    assert datetime.fromisoformat(appointment["start"]) == second
    # A booked hold is never released, not even when the widget goes away.
    page.evaluate("Rendezvous('unmount', document.querySelector('.rendezvous'))")
    page.wait_for_timeout(500)
    assert len(sent) == 1
    assert held_starts(own_servers) == [int(second.timestamp())]  # used, kept
    assert second not in offered(own_servers)
    assert events(page, "error") == []


def test_unmounting_the_widget_gives_the_held_time_back(page: Page, own_servers: Servers) -> None:
    _, start = take_a_time(page, own_servers)
    assert start not in offered(own_servers)

    page.evaluate("Rendezvous('unmount', document.querySelector('.rendezvous'))")

    assert until(lambda: start in offered(own_servers)), "the time is still held"
    assert held_starts(own_servers) == []
    assert book_directly(own_servers, start).status_code == 201
