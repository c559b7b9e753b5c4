"""/book without JavaScript: every step server-rendered, on the API's own services and
messages, its forms refused from other sites (issue 13, item 11).

The browser tests (tests/browser/test_book_nojs.py) drive the same pages in Chromium
with JavaScript off; these check the HTTP side: statuses, redirects, headers, what is
written, and that nothing about the customer ends up in a link.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.booking import invites
from server.settings import Settings
from tests.server._booking import count_rows
from tests.server._page import Html, parse
from tests.support import NOW, Clock

CAR_INSURANCE_BY_PHONE = "/book?subject=car-insurance&meeting_type=PHONE"
CUSTOMER = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+32 470 12 34 56",
}
SAME_SITE = {"Origin": "http://127.0.0.1:8000"}


pytestmark = pytest.mark.organisation("demo")  # the hosted page of the demo bank


@pytest.fixture
def page(client: TestClient) -> TestClient:
    return client  # on the `clock` fixture's NOW


def get(client: TestClient, url: str, status: int = 200) -> Html:
    response = client.get(url)
    assert response.status_code == status, response.text
    return parse(response.text)


def post(client: TestClient, fields: dict[str, Any], **kwargs: Any) -> Any:
    headers = kwargs.pop("headers", SAME_SITE)
    return client.post("/book", data=fields, headers=headers, follow_redirects=False, **kwargs)


def hold_first_time(client: TestClient, url: str = CAR_INSURANCE_BY_PHONE) -> Html:
    times = get(client, url).form("slot")
    answer = post(client, {**times.hidden(), "slot": times.options("slot")[0]})
    assert answer.status_code == 200, answer.text
    return parse(answer.text)


def book(client: TestClient, details: Html, **fields: str) -> Any:
    form = details.form("first_name")
    return post(client, {**form.hidden(), **CUSTOMER, **fields})


def manage_token(location: str) -> str:
    return parse_qs(urlsplit(location).query)["manage"][0]


# -- the steps ---------------------------------------------------------------------------


def test_the_first_step_lists_the_subjects_by_category_in_a_form(page: TestClient) -> None:
    html = get(page, "/book")
    form = html.form("subject", method="get")
    assert {"mortgage", "car-loan", "savings", "new-account"} <= set(form.options("subject"))
    assert "estate-planning" not in form.options("subject")  # hidden from customers
    assert "What would you like to talk about?" in html.text
    assert "Loans" in html.text and "Everyday banking" in html.text


def test_each_choice_leads_to_the_next_step_with_what_was_chosen_so_far(page: TestClient) -> None:
    html = get(page, "/book?subject=mortgage")
    assert html.form("meeting_type", method="get").options("meeting_type") == ["OFFICE", "VIDEO"]
    html = get(page, "/book?subject=mortgage&meeting_type=OFFICE")
    assert set(html.form("office", method="get").options("office")) == {
        "antwerp",
        "brussels",
        "london",
    }
    assert "Subject Mortgage" in html.text and "Meeting At an office" in html.text
    html = get(page, "/book?subject=mortgage&meeting_type=OFFICE&office=brussels")
    slots = html.form("slot").options("slot")
    api = page.get(
        "/api/v1/slots?subject=mortgage&meeting_type=OFFICE&office=brussels"
        "&from=2026-11-24&to=2026-11-30"
    ).json()["slots"]
    assert slots == [f"{s['start']}|{s['duration']}" for s in api]  # what the API offers


def test_a_continue_without_a_choice_says_so(page: TestClient) -> None:
    html = get(page, "/book?asked=subject", status=422)
    assert "Please choose an option." in html.text


def test_an_unknown_preselection_shows_the_full_list_with_a_notice(page: TestClient) -> None:
    html = get(page, "/book?subject=boats")
    assert "This booking link points to something that cannot be booked online" in html.text
    assert "mortgage" in html.form("subject", method="get").options("subject")


def test_the_page_speaks_the_asked_language(page: TestClient) -> None:
    response = page.get("/book?lang=nl&subject=mortgage")
    assert '<html lang="nl">' in response.text
    assert "<title>Hoe wilt u afspreken? – Demo Bank</title>" in response.text
    assert "Een afspraak maken" in parse(response.text).text


def test_the_page_is_branded_and_has_an_icon(page: TestClient) -> None:
    response = page.get("/book")
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in response.text
    assert "Demo Bank" in parse(response.text).text
    icon = page.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert page.get("/favicon.ico").status_code == 200


def test_the_widget_replaces_the_page_when_javascript_runs(page: TestClient) -> None:
    response = page.get(
        "/book",
        params={"subject": '"><script>alert(1)</script>', "meeting_type": "VIDEO", "manage": "t"},
    )
    assert response.headers["cache-control"] == "no-cache"
    assert "<script>alert(1)" not in response.text
    assert 'data-subject="&#34;&gt;&lt;script&gt;' in response.text
    html = page.get("/book?subject=mortgage&meeting_type=VIDEO").text
    assert '<div class="rendezvous" data-subject="mortgage" data-meeting-type="VIDEO">' in html
    assert 'src="/embed.js"' in html


def test_pages_send_a_referer_only_to_this_site_and_are_never_framed(page: TestClient) -> None:
    headers = page.get("/book").headers
    assert headers["referrer-policy"] == "same-origin"
    assert headers["content-security-policy"] == "frame-ancestors 'none'"
    assert headers["x-robots-tag"] == "noindex"


# -- a whole booking ----------------------------------------------------------------------


def test_a_whole_booking_holds_then_books_and_redirects_to_its_manage_page(
    page: TestClient,
) -> None:
    details = hold_first_time(page)
    assert count_rows(page, "holds") == 1
    form = details.form("first_name")
    assert form.hidden()["hold"] and form.hidden()["duration"] == "15"
    assert "We are keeping this time for you until" in details.text
    answer = book(page, details)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/book?manage=") and "done=booked" in location
    for private in ("Ada", "Lovelace", "ada", "470"):
        assert private not in location  # no customer data in a link
    confirmation = get(page, location)
    assert "Your appointment is booked" in confirmation.text
    assert "Download for your calendar (.ics)" in confirmation.text
    appointment = page.get(f"/api/v1/appointments/{manage_token(location)}").json()
    assert appointment["appointment"]["customer"]["email"] == "ada@example.com"
    assert appointment["appointment"]["meeting_type"] == "PHONE"
    assert count_rows(page) == 1


def test_the_same_form_sent_twice_books_once(page: TestClient) -> None:
    details = hold_first_time(page)
    first, second = book(page, details), book(page, details)
    assert first.status_code == second.status_code == 303
    assert manage_token(first.headers["location"]) == manage_token(second.headers["location"])
    assert count_rows(page) == 1


def test_bad_details_show_every_message_of_the_api_at_its_field(page: TestClient) -> None:
    details = hold_first_time(page, "/book?subject=mortgage&meeting_type=VIDEO")
    answer = book(page, details, first_name="", email="not-an-email", **{"answers.amount": "lots"})
    assert answer.status_code == 422
    html = parse(answer.text)
    api = page.post(
        "/api/v1/appointments",
        json={
            "subject": "mortgage",
            "meeting_type": "VIDEO",
            "start": details.form("first_name").hidden()["start"],
            "customer": {**CUSTOMER, "email": "not-an-email"},
        },
    ).json()["error"]["details"]
    [email_message] = [d["message"] for d in api if d["path"] == "$.customer.email"]
    assert f"Email address: {email_message}" in html.text
    assert "First name: Expected `str` of length >= 1" in html.text
    assert "How much would you like to borrow (EUR)?: expected a number" in html.text
    assert "What is it for?: an answer is required" in html.text
    email = html.ids["f-email"]
    assert email["aria-invalid"] == "true"
    assert "f-email-error" in email["aria-describedby"]
    assert html.ids["f-email-error"]["tag"] == "p"
    assert count_rows(page) == 0
    # What was typed is kept, and the corrected form books.
    form = html.form("first_name")
    assert dict((n, v) for n, v, _ in form.fields)["email"] == "not-an-email"
    answer = book(page, html, **{"answers.amount": "250000", "answers.property": "buy"})
    assert answer.status_code == 303, answer.text
    assert count_rows(page) == 1


def test_a_time_taken_meanwhile_sends_the_customer_back_to_the_times(page: TestClient) -> None:
    times = get(page, CAR_INSURANCE_BY_PHONE).form("slot")
    choice = {**times.hidden(), "slot": times.options("slot")[0]}
    # Fill every agent of that start with holds through the API (from other clients:
    # one client keeps at most two live holds), then try.
    start, duration = choice["slot"].split("|")
    for number in itertools.count(1):
        other = TestClient(page.app, base_url=str(page.base_url), client=(f"192.0.2.{number}", 1))
        held = other.post(
            "/api/v1/holds",
            json={"subject": "car-insurance", "meeting_type": "PHONE", "start": start},
        )
        if held.status_code != 201:
            assert held.status_code == 409, held.text
            break
    answer = post(page, choice)
    assert answer.status_code == 409
    html = parse(answer.text)
    assert "Sorry, that time has just been taken. Please choose another time." in html.text
    assert choice["slot"] not in html.form("slot").options("slot")
    assert duration == "15"


def test_an_invite_link_opens_at_its_first_open_step_with_its_agent(page: TestClient) -> None:
    token = invites.mint(
        page.app.state.runtime.tokens,  # type: ignore[attr-defined]
        agent="emma",
        subject="savings",
        meeting_type="VIDEO",
        expires_at=NOW + timedelta(days=7),
    )
    html = get(page, f"/book?invite={token}")
    assert html.form("slot").options("slot")
    assert "With Emma Lambert, Customer advisor" in html.text
    assert "Subject Saving" in html.text


def test_a_broken_invite_link_says_so_and_offers_the_normal_flow(page: TestClient) -> None:
    html = get(page, "/book?invite=not-a-token")
    assert "This invitation link is no longer valid." in html.text
    assert html.form("subject", method="get").options("subject")


# -- forms from elsewhere ----------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://evil.example"}, id="another-origin"),
        pytest.param({"Origin": "null"}, id="an-opaque-origin"),
        pytest.param({"Referer": "https://evil.example/page"}, id="another-referer"),
    ],
)
def test_a_form_sent_from_another_site_is_refused_and_changes_nothing(
    page: TestClient, headers: dict[str, str]
) -> None:
    times = get(page, CAR_INSURANCE_BY_PHONE).form("slot")
    answer = post(page, {**times.hidden(), "slot": times.options("slot")[0]}, headers=headers)
    assert answer.status_code == 403
    assert "This form has expired or was not sent from this website." in answer.text
    assert count_rows(page, "holds") == 0


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="without-a-form-token"),
        pytest.param("made-up", id="a-made-up-token"),
    ],
)
def test_a_form_without_its_token_is_refused(page: TestClient, token: str | None) -> None:
    times = get(page, CAR_INSURANCE_BY_PHONE).form("slot")
    fields = {**times.hidden(), "slot": times.options("slot")[0]}
    fields.pop("form")
    if token is not None:
        fields["form"] = token
    assert post(page, fields, headers={}).status_code == 403
    assert count_rows(page, "holds") == 0


def test_a_cancel_form_of_one_appointment_cannot_cancel_another(page: TestClient) -> None:
    first = manage_token(book(page, hold_first_time(page)).headers["location"])
    second = manage_token(book(page, hold_first_time(page)).headers["location"])
    form = get(page, f"/book?manage={first}&action=cancel").form("manage")
    answer = post(page, {**form.hidden(), "manage": second})
    assert answer.status_code == 403
    assert page.get(f"/api/v1/appointments/{second}").json()["appointment"]["status"] == (
        "confirmed"
    )


# -- a manage link -----------------------------------------------------------------------


def test_a_manage_link_cancels_after_asking(page: TestClient) -> None:
    token = manage_token(book(page, hold_first_time(page)).headers["location"])
    html = get(page, f"/book?manage={token}&action=cancel")
    assert "Do you really want to cancel this appointment?" in html.text
    answer = post(page, html.form("manage").hidden())
    assert answer.status_code == 303
    assert "done=cancelled" in answer.headers["location"]
    done = get(page, answer.headers["location"])
    assert "Your appointment has been cancelled." in done.text
    assert "Status: Cancelled" in done.text
    assert page.get(f"/api/v1/appointments/{token}").json()["appointment"]["status"] == (
        "cancelled"
    )


def test_a_manage_link_reschedules_to_a_time_the_api_offers(page: TestClient) -> None:
    token = manage_token(book(page, hold_first_time(page)).headers["location"])
    before = page.get(f"/api/v1/appointments/{token}").json()["appointment"]
    html = get(page, f"/book?manage={token}&action=reschedule")
    form = html.form("slot")
    chosen = form.options("slot")[0]
    answer = post(page, {**form.hidden(), "slot": chosen})
    assert answer.status_code == 303
    assert "done=rescheduled" in answer.headers["location"]
    after = page.get(f"/api/v1/appointments/{token}").json()["appointment"]
    assert after["start"] == chosen.split("|")[0]
    assert after["sequence"] == before["sequence"] + 1
    assert "Your appointment has been moved." in get(page, answer.headers["location"]).text


@pytest.mark.parametrize(
    ("token", "status"),
    [pytest.param("tampered", 404, id="tampered"), pytest.param("", 200, id="empty")],
)
def test_a_broken_manage_link_says_so(page: TestClient, token: str, status: int) -> None:
    html = get(page, f"/book?manage={token}", status=status)
    if status == 404:
        assert "This link is not valid any more." in html.text


# -- bots (docs/bots.md) -----------------------------------------------------------------


def test_the_details_form_has_a_honeypot_people_never_see(page: TestClient) -> None:
    times = get(page, CAR_INSURANCE_BY_PHONE).form("slot")
    raw = post(page, {**times.hidden(), "slot": times.options("slot")[0]}).text
    details = parse(raw)
    form = details.form("first_name")
    assert dict((n, v) for n, v, _ in form.fields)["website"] == ""
    hidden = raw[raw.index('aria-hidden="true"') :]
    assert hidden.index('name="website"') < hidden.index("</div>")  # hidden from people
    assert 'tabindex="-1"' in hidden[: hidden.index("</div>")]  # and from the keyboard

    filled = book(page, details, website="https://cheap-pills.example")

    assert filled.status_code != 303
    assert count_rows(page) == 0
    assert book(page, details).status_code == 303  # left empty, as people leave it


def test_without_javascript_a_required_challenge_is_explained(
    settings: Settings, config_path: Path, clock: Clock
) -> None:
    config_path.write_text(
        config_path.read_text(encoding="utf-8") + '\n[organisation.bots]\nchallenge = "always"\n',
        encoding="utf-8",
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as page:
        page.app.state.runtime.clock = clock  # type: ignore[attr-defined]
        times = get(page, CAR_INSURANCE_BY_PHONE).form("slot")

        answer = post(page, {**times.hidden(), "slot": times.options("slot")[0]})

        assert answer.status_code == 428
        assert "JavaScript" in parse(answer.text).text
        assert count_rows(page, "holds") == 0
