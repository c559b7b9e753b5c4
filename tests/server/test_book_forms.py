"""/book without JavaScript, the less common paths: a meeting at the customer's address,
questions of every type, requests that wait for the advisor, the timetable's weeks and
zones, a hold that ran out, the organisation's logo, and the rate limit on its forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server import config
from server.app import create_app
from server.settings import Settings
from tests.server._booking import count_rows
from tests.server._page import parse
from tests.server.test_book_page import (
    CUSTOMER,
    NOW,
    SAME_SITE,
    book,
    get,
    hold_first_time,
    manage_token,
    post,
)


@pytest.fixture
def page(client: TestClient) -> Iterator[TestClient]:
    client.app.state.runtime.clock = lambda: NOW  # type: ignore[attr-defined]
    yield client


def test_a_meeting_at_the_customers_address_asks_for_it_with_the_details(
    page: TestClient,
) -> None:
    offices = get(page, "/book?subject=home-insurance&meeting_type=ON_LOCATION")
    assert "The advisor comes to your address from the office you choose." in offices.text
    office = offices.form("office", method="get").options("office")[0]
    details = hold_first_time(
        page, f"/book?subject=home-insurance&meeting_type=ON_LOCATION&office={office}"
    )
    form = details.form("street")
    country = dict((n, v) for n, v, _ in form.fields)["country"]
    assert country == "BE"  # the office's country, to start with
    answer = book(page, details, street="Kerkstraat 1", postal_code="2000", city="Antwerpen")
    assert answer.status_code == 303, answer.text
    assert "Kerkstraat" not in answer.headers["location"]
    booked = page.get(f"/api/v1/appointments/{manage_token(answer.headers['location'])}").json()
    assert booked["appointment"]["location"] == {
        "street": "Kerkstraat 1",
        "postal_code": "2000",
        "city": "Antwerpen",
        "country": "BE",
    }


def test_an_address_with_problems_is_refused_at_its_fields(page: TestClient) -> None:
    details = hold_first_time(
        page, "/book?subject=home-insurance&meeting_type=ON_LOCATION&office=antwerp"
    )
    answer = book(page, details, street="", postal_code="2000", city="Antwerpen", country="Belgium")
    assert answer.status_code == 422
    html = parse(answer.text)
    assert "Street and number: Expected `str` of length >= 1" in html.text
    assert "Expected a two-letter country code such as BE." in html.text
    assert count_rows(page) == 0


def test_questions_of_every_type_are_answered_in_the_form(page: TestClient) -> None:
    details = hold_first_time(page, "/book?subject=savings&meeting_type=VIDEO")
    assert details.form("first_name").options("answers.goals") == [
        "home",
        "children",
        "pension",
        "rainy-day",
    ]
    form = details.form("first_name")
    answer = page.post(
        "/book",
        data={**form.hidden(), **CUSTOMER, "answers.goals": ["home", "pension"]},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    booked = page.get(f"/api/v1/appointments/{manage_token(answer.headers['location'])}").json()
    assert booked["appointment"]["answers"] == {"goals": ["home", "pension"]}


def test_a_number_question_shows_its_range(page: TestClient) -> None:
    details = hold_first_time(page, "/book?subject=mortgage&meeting_type=VIDEO")
    assert "10000 – 5000000" in details.text


def test_a_request_that_waits_for_the_advisor_says_so(page: TestClient) -> None:
    details = hold_first_time(page, "/book?subject=mortgage&meeting_type=VIDEO")
    answer = book(page, details, **{"answers.amount": "200000", "answers.property": "buy"})
    html = get(page, answer.headers["location"])
    assert "Your request has been sent" in html.text
    assert "The advisor will confirm the appointment with you." in html.text
    assert "Join the video call" not in html.text  # not before it is accepted


def test_the_timetable_moves_by_weeks_and_shows_the_asked_zone(page: TestClient) -> None:
    url = "/book?subject=car-insurance&meeting_type=PHONE"
    first = get(page, url)
    assert "Previous week" not in first.text  # it opens on the first free day
    later = get(page, f"{url}&week=2026-12-08")
    assert "Previous week" in later.text
    starts = [value.split("|")[0] for value in later.form("slot").options("slot")]
    assert starts and all("2026-12-08" <= start[:10] <= "2026-12-14" for start in starts)
    london = get(page, f"{url}&week=2026-12-08&timezone=Europe/London")
    assert "Times are shown in Europe/London." in london.text
    assert all(v.split("|")[0].endswith("+00:00") for v in london.form("slot").options("slot"))


def test_a_hold_that_ran_out_sends_the_customer_back_to_the_times(page: TestClient) -> None:
    details = hold_first_time(page)
    page.app.state.runtime.clock = lambda: NOW + timedelta(minutes=30)  # type: ignore[attr-defined]
    answer = book(page, details)
    assert answer.status_code == 409
    assert "We could not keep that time for you any longer." in answer.text
    assert count_rows(page) == 0


def test_the_organisations_logo_is_shown_and_checked(tmp_path: Path, config_path: Path) -> None:
    text = config_path.read_text()
    config_path.write_text(
        text.replace("[organisation]\n", '[organisation]\nlogo = "https://cdn.example/logo.svg"\n')
    )
    settings = Settings(
        config_path=config_path,
        database_path=tmp_path / "var" / "db.sqlite3",
        secret_key="test-secret-key-not-for-production",
        reload_interval=0,
    )
    with TestClient(create_app(settings)) as client:
        html = client.get("/book").text
    assert '<img class="logo" src="https://cdn.example/logo.svg" alt="" height="36">' in html
    with pytest.raises(config.ConfigError, match=r"organisation\.logo: expected an http\(s\) URL"):
        config.loads(text.replace("[organisation]\n", '[organisation]\nlogo = "javascript:x"\n'))


def test_the_forms_share_the_apis_rate_limit(tmp_path: Path, config_path: Path) -> None:
    settings = Settings(
        config_path=config_path,
        database_path=tmp_path / "var" / "db.sqlite3",
        secret_key="test-secret-key-not-for-production",
        reload_interval=0,
        rate_limit_per_minute=2,
    )
    with TestClient(create_app(settings)) as client:
        statuses = [post(client, {"action": "hold"}).status_code for _ in range(3)]
    assert statuses == [403, 403, 429]
