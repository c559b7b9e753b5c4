"""/book without JavaScript, the less common paths: a meeting at the customer's address,
questions of every type, requests that wait for the advisor, the timetable's weeks and
zones, a hold that ran out, the organisation's logo, and the rate limit on its forms."""

from __future__ import annotations

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

pytestmark = pytest.mark.organisation("demo")  # the hosted page of the demo bank


@pytest.fixture
def page(client: TestClient) -> TestClient:
    return client  # on the `clock` fixture's NOW


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


def test_back_from_the_last_form_gives_the_held_time_back(page: TestClient) -> None:
    details = hold_first_time(page)
    held = details.form("first_name").hidden()
    assert count_rows(page, "holds") == 1
    [back] = [f for f in details.forms if f.hidden().get("action") == "release"]
    answer = post(page, back.hidden())
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/book?")
    assert count_rows(page, "holds") == 0
    times = get(page, answer.headers["location"]).form("slot")
    assert f"{held['start']}|{held['duration']}" in times.options("slot")  # free again


def test_a_tampered_start_is_a_message_not_a_crash(page: TestClient) -> None:
    details = hold_first_time(page)
    answer = book(page, details, start="yesterday at noon")
    assert answer.status_code == 422
    assert "expected an ISO 8601 time with an offset" in answer.text
    assert count_rows(page) == 0


def test_a_single_use_invite_used_meanwhile_carries_on_without_it(page: TestClient) -> None:
    from server.booking import invites

    token = invites.mint(
        page.app.state.runtime.tokens,  # type: ignore[attr-defined]
        agent="emma",
        subject="savings",
        meeting_type="VIDEO",
        single_use=True,
        expires_at=NOW + timedelta(days=7),
    )
    first = hold_first_time(page, f"/book?invite={token}")
    second = hold_first_time(page, f"/book?invite={token}")
    assert book(page, first).status_code == 303
    answer = book(page, second)
    assert answer.status_code == 410
    html = parse(answer.text)
    assert "This invitation link has already been used." in html.text
    assert html.form("slot").options("slot")  # the times again, without the invite
    assert count_rows(page) == 1


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/book?subject=car-insurance&meeting_type=PHONE&week=9999-12-31", id="week"),
        pytest.param("/book?subject=car-insurance&meeting_type=PHONE&timezone=Mars/Base", id="tz"),
        pytest.param("/book?subject=x&meeting_type=FAX&office=%00&agent=" + "a" * 300, id="ids"),
        pytest.param("/book?invite=" + "x" * 5000, id="long-invite"),
        pytest.param("/book?manage=abc&action=reschedule&week=2026-13-40", id="manage"),
    ],
)
def test_odd_links_get_a_page_never_an_error(page: TestClient, url: str) -> None:
    response = page.get(url)
    assert response.status_code in (200, 404)
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"action=hold&form=x&slot=%ff%fe", id="bad-utf8"),
        pytest.param(b"&".join([b"a=b"] * 500), id="many-fields"),
        pytest.param(b"action=book&hold=&start=&duration=99999999", id="empty-hold"),
        pytest.param(b"action=nonsense", id="unknown-action"),
    ],
)
def test_odd_forms_are_refused_with_a_page(page: TestClient, body: bytes) -> None:
    response = page.post(
        "/book",
        content=body,
        headers={**SAME_SITE, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 403
    assert "This form has expired or was not sent from this website." in response.text
