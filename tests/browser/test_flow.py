"""The booking flow in real Chromium, embedded cross-origin as on a customer's website.

Every test drives the widget on a page of the host origin, as a customer would, and
checks the result against the API: what the widget says was booked is what was booked.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser._widget import (
    answer,
    api_appointment,
    book,
    confirmation_links,
    embed_page,
    events,
    expect_step,
    fill_customer,
    heading,
    manage_token,
    mint_invite,
    open_host,
    pick,
    pick_first_time,
    record_events,
    submit,
    summary,
    time_buttons,
    widget,
)


def appointment_posts(page: Page) -> list[str]:
    """Start counting the booking requests the page sends."""
    posts: list[str] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/v1/appointments")
            else None
        ),
    )
    return posts


def check_confirmation(
    page: Page, servers: Any, links: dict[str, str], target: str = "rendezvous"
) -> dict[str, Any]:
    """The confirmation's links work and the appointment exists; returns it from the API."""
    assert set(links) >= {"ics", "google", "outlook", "manage"}, links
    assert links["google"].startswith("https://calendar.google.com/")
    assert links["outlook"].startswith("https://outlook.")
    assert links["manage"].startswith(f"{servers.api}/book?manage=")
    ics = page.request.get(links["ics"])
    assert ics.ok
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text().startswith("BEGIN:VCALENDAR")

    created = events(page, "appointment-created")
    assert len(created) == 1, created
    appointment = api_appointment(servers, manage_token(links["manage"]))
    assert created[0]["detail"]["appointment"]["id"] == appointment["id"]
    assert created[0]["target"] == target  # it bubbled out of the host element
    assert appointment["status"] in {"confirmed", "requested"}
    return appointment


# ---- each meeting type, end to end ------------------------------------------------------


def test_an_office_appointment_with_questions_is_booked_at_the_chosen_office(
    page: Page, servers: Any
) -> None:
    w = open_host(page, servers)
    expect_step(w, "subject")
    pick(w, "Mortgage")
    expect_step(w, "meeting-type")
    pick(w, "At an office")
    expect_step(w, "office")
    pick(w, "Antwerp Meir")
    expect_step(w, "timetable")
    expect(w.get_by_text("Antwerp Meir")).to_be_visible()  # the summary so far
    pick_first_time(w)

    expect_step(w, "questions")
    submit(w)  # both questions are required: nothing moves on
    expect_step(w, "questions")
    expect(w.get_by_text("Please fill in this field.")).to_be_visible()
    expect(w.get_by_text("Please choose an option.")).to_be_visible()
    # The range is said before the customer gets it wrong, then again when they do.
    expect(w.get_by_text("Between 10,000 and 5,000,000.", exact=True)).to_be_visible()
    answer(w, "How much would you like to borrow (EUR)?", "5")
    submit(w)
    expect(w.get_by_text("Please enter a number of at least 10,000.")).to_be_visible()
    answer(w, "How much would you like to borrow (EUR)?", "250000")
    answer(w, "What is it for?", "Renovating")
    submit(w)

    fill_customer(w)
    # The answers are in the summary, as the customer gave them.
    assert summary(w)["How much would you like to borrow (EUR)?"] == "250,000"
    assert summary(w)["What is it for?"] == "Renovating"
    book(w)
    expect_step(w, "confirmed")
    shown = summary(w)
    assert shown["What is it for?"] == "Renovating"
    assert shown["Subject"] == "Mortgage"
    assert shown["Meeting"] == "At an office"
    assert shown["Place"].startswith("Antwerp Meir, Meir 50, 2000 Antwerpen")
    assert "Central European" in shown["When"]

    appointment = check_confirmation(page, servers, confirmation_links(w))
    assert appointment["meeting_type"] == "OFFICE"
    assert appointment["office"]["id"] == "antwerp"
    assert appointment["subject"]["id"] == "mortgage"
    assert appointment["answers"] == {"amount": 250000, "property": "renovate"}
    assert appointment["customer"]["email"] == "ada@example.com"
    assert appointment["video_url"] is None


def test_a_video_appointment_returns_its_video_link(page: Page, servers: Any) -> None:
    w = open_host(page, servers)
    pick(w, "Investing")
    pick(w, "Video call")
    expect_step(w, "agent")  # no office step: every office counts for VIDEO
    expect(w.get_by_role("button", name="George Whitfield")).to_be_visible()  # from London
    pick(w, "Emma Lambert")
    expect_step(w, "timetable")
    assert summary(w)["With"] == "Emma Lambert, Customer advisor"
    pick_first_time(w)
    expect_step(w, "questions")
    answer(w, "Anything we should know beforehand?", "I inherited some shares.")
    submit(w)
    fill_customer(w)
    book(w)

    links = confirmation_links(w)
    appointment = check_confirmation(page, servers, links)
    assert appointment["meeting_type"] == "VIDEO"
    assert appointment["agent"]["id"] == "emma"
    assert appointment["video_url"] == f"https://meet.demobank.example/r/{appointment['id']}"
    assert links["video"] == appointment["video_url"]
    assert appointment["answers"] == {"context": "I inherited some shares."}


def test_a_phone_appointment_needs_a_phone_number(page: Page, servers: Any) -> None:
    posts = appointment_posts(page)
    w = open_host(page, servers)
    pick(w, "Saving")
    pick(w, "Phone call")
    pick(w, "No preference")
    pick_first_time(w)
    expect_step(w, "questions")
    answer(w, "What are you saving for?", ["A home", "My pension"])
    submit(w)
    fill_customer(w)
    expect(w.get_by_text("We will call you on this number.")).to_be_visible()

    w.get_by_role("button", name="Book appointment").click()
    phone = w.get_by_label("Phone number")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    expect(w.get_by_text("Please fill in this field.")).to_be_visible()
    phone.fill("call me")
    expect(w.get_by_text("Please enter a valid phone number")).to_be_visible()
    expect_step(w, "customer")
    assert posts == []
    assert events(page, "appointment-created") == []

    phone.fill("+32 2 123 45 67")
    book(w)
    # The confirmation repeats the number that will be called.
    assert summary(w)["We call you on"] == "+32 2 123 45 67"
    assert summary(w)["What are you saving for?"] == "A home, My pension"
    appointment = check_confirmation(page, servers, confirmation_links(w))
    assert appointment["meeting_type"] == "PHONE"
    assert appointment["customer"]["phone"] == "+32 2 123 45 67"
    assert sorted(appointment["answers"]["goals"]) == ["home", "pension"]
    assert len(posts) == 1


def test_an_appointment_at_the_customers_address_asks_for_it(page: Page, servers: Any) -> None:
    w = open_host(page, servers)
    pick(w, "Home insurance")
    pick(w, "At your address")
    expect_step(w, "address")
    submit(w)
    expect(w.get_by_label("Street and number")).to_be_focused()
    w.get_by_label("Street and number").fill("Kerkstraat 12")
    w.get_by_label("Postal code").fill("2000")
    w.get_by_label("City").fill("Antwerpen")
    # The organisation's country (most of its offices are in Belgium), not the browser's
    # region (en-GB).
    expect(w.get_by_label("Country")).to_have_value("BE")
    submit(w)
    expect_step(w, "office")
    expect(
        w.get_by_text("The advisor who visits you comes from the office you choose.", exact=True)
    ).to_be_visible()
    pick(w, "Antwerp Meir")
    pick_first_time(w)
    fill_customer(w)
    book(w)
    assert summary(w)["Place"] == "Kerkstraat 12, 2000 Antwerpen"

    appointment = check_confirmation(page, servers, confirmation_links(w))
    assert appointment["meeting_type"] == "ON_LOCATION"
    assert appointment["location"] == {
        "street": "Kerkstraat 12",
        "postal_code": "2000",
        "city": "Antwerpen",
        "country": "BE",
    }
    assert appointment["agent"]["id"] == "david"  # the one who visits from Antwerp


# ---- preselection -------------------------------------------------------------------------


def test_preselected_subject_meeting_type_and_office_skip_their_steps(
    page: Page, servers: Any
) -> None:
    w = embed_page(
        page, servers, {"subject": "car-loan", "meeting-type": "OFFICE", "office": "antwerp"}
    )
    expect_step(w, "timetable")
    assert [e["detail"]["step"] for e in events(page, "step")] == ["timetable"]
    expect(w.get_by_role("button", name="Back")).to_have_count(0)
    shown = summary(w)
    assert shown["Subject"] == "Car loan"
    assert shown["Place"].startswith("Antwerp Meir")


def test_only_the_subject_preselected_opens_on_the_meeting_type(page: Page, servers: Any) -> None:
    w = embed_page(page, servers, {"subject": "car-loan"})
    expect_step(w, "meeting-type")
    expect(w.get_by_role("button", name="Phone call", exact=True)).to_be_visible()


def test_external_ids_preselect_subject_office_and_agent(page: Page, servers: Any) -> None:
    w = embed_page(
        page,
        servers,
        {
            "subject": "ext:SUB-01",
            "meeting-type": "OFFICE",
            "office": "ext:OFF-BXL",
            "agent": "ext:EMP-0042",
        },
    )
    expect_step(w, "timetable")
    shown = summary(w)
    assert shown["Subject"] == "Opening an account"
    assert shown["Place"].startswith("Brussels Centre")
    assert shown["With"].startswith("Alice Peeters")
    pick_first_time(w)
    fill_customer(w)
    book(w)
    appointment = api_appointment(servers, manage_token(confirmation_links(w)["manage"]))
    assert (appointment["subject"]["id"], appointment["office"]["id"]) == (
        "new-account",
        "brussels",
    )
    assert appointment["agent"]["id"] == "alice"


def test_an_unknown_preselected_subject_offers_the_full_list_with_a_notice(
    page: Page, servers: Any
) -> None:
    w = embed_page(page, servers, {"subject": "no-such-subject"})
    expect_step(w, "subject")
    expect(
        w.get_by_text(
            "What this page asked for cannot be booked online at the moment. "
            "Please choose from the list.",
            exact=True,
        )
    ).to_be_visible()
    expect(w.get_by_role("button", name="Mortgage", exact=True)).to_be_visible()
    [event] = events(page, "error")
    assert event["detail"]["code"] == "UNKNOWN_SUBJECT"
    assert events(page, "misconfigured") == []  # something can be booked: the list


def test_the_url_hash_overrides_the_attributes(page: Page, servers: Any) -> None:
    w = embed_page(
        page,
        servers,
        {"subject": "mortgage"},
        hash="rendezvous:subject=car-loan&meeting-type=PHONE",
    )
    expect_step(w, "timetable")
    assert summary(w)["Subject"] == "Car loan"
    assert summary(w)["Meeting"] == "Phone call"


def test_javascript_options_override_the_hash(page: Page, servers: Any) -> None:
    script = "Rendezvous('mount', '#w1', { subject: 'savings', meetingType: 'VIDEO' });"
    w = embed_page(
        page,
        servers,
        {"subject": "mortgage"},
        hash="rendezvous:subject=car-loan&meeting-type=PHONE",
        script=script,
    )
    expect_step(w, "timetable")
    assert summary(w)["Subject"] == "Saving"
    assert summary(w)["Meeting"] == "Video call"


def test_the_hash_cannot_redirect_the_api(page: Page, servers: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    w = embed_page(page, servers, hash="rendezvous:api-base=http://evil.invalid/&subject=savings")
    expect_step(w, "meeting-type")
    assert not [u for u in requests if "evil.invalid" in u]


# ---- invites ------------------------------------------------------------------------------


def test_an_invite_link_books_with_that_agent_once(page: Page, servers: Any) -> None:
    link = mint_invite(
        servers,
        "--agent",
        "emma",
        "--subject",
        "savings",
        "--meeting-type",
        "VIDEO",
        "--single-use",
    )
    assert link.startswith(f"{servers.api}/book?invite=")
    record_events(page)
    page.goto(link)
    w = widget(page)
    expect_step(w, "timetable")
    shown = summary(w)
    assert shown["With"] == "Emma Lambert, Customer advisor"
    assert shown["Subject"] == "Saving"
    assert shown["Meeting"] == "Video call"
    pick_first_time(w)
    submit(w)  # the optional question
    fill_customer(w)
    book(w)
    appointment = check_confirmation(page, servers, confirmation_links(w))
    assert appointment["agent"]["id"] == "emma"
    assert appointment["meeting_type"] == "VIDEO"

    page.goto(link)
    expect(
        w.get_by_text(
            "This invitation link has already been used. You can still book an appointment below.",
            exact=True,
        )
    ).to_be_visible()
    assert [e["detail"]["code"] for e in events(page, "error")] == ["INVITE_USED"]


# ---- two widgets -------------------------------------------------------------------------


def test_two_widgets_on_one_page_work_independently(page: Page, servers: Any) -> None:
    record_events(page)
    page.goto(f"{servers.host}/two-widgets.html")
    general, mortgage = widget(page, "#general"), widget(page, "#mortgage")
    expect_step(general, "subject")
    expect(heading(mortgage)).to_have_text("Hoe wilt u afspreken?")

    pick(general, "Car loan")
    pick(general, "Phone call")
    expect_step(general, "timetable")
    expect(time_buttons(general).first).to_be_visible()
    expect(heading(mortgage)).to_have_text("Hoe wilt u afspreken?")
    expect(time_buttons(mortgage)).to_have_count(0)

    pick(mortgage, "Videogesprek")
    expect(heading(mortgage)).to_have_text("Kies een dag en tijd")
    expect_step(general, "timetable")

    steps = [(e["target"], e["detail"]["step"]) for e in events(page, "step")]
    # The two first steps arrive in either order; then each event names its own widget.
    assert set(steps[:2]) == {("general", "subject"), ("mortgage", "meeting-type")}
    assert steps[2:] == [
        ("general", "meeting-type"),
        ("general", "timetable"),
        ("mortgage", "timetable"),
    ]
    ready = {(e["target"], e["detail"]["language"]) for e in events(page, "ready")}
    assert ready == {("general", "en"), ("mortgage", "nl")}


# ---- the hosted page and manage links ---------------------------------------------------


def test_the_hosted_page_books_and_its_manage_link_reschedules_and_cancels(
    page: Page, servers: Any
) -> None:
    record_events(page)
    page.goto(f"{servers.api}/book?subject=car-insurance&meeting_type=PHONE")
    w = widget(page)
    expect_step(w, "timetable")
    pick_first_time(w)
    fill_customer(w, phone="+32 470 12 34 56")
    book(w)
    links = confirmation_links(w)
    token = manage_token(links["manage"])
    booked = api_appointment(servers, token)

    page.goto(links["manage"])
    expect_step(w, "manage")
    expect(w.get_by_text("Confirmed", exact=True)).to_be_visible()
    assert summary(w)["Subject"] == "Car insurance"
    w.get_by_role("button", name="Choose another time").click()
    expect_step(w, "reschedule")
    times = time_buttons(w)
    expect(times.first).to_be_visible()
    times.first.click()  # the booked time itself is not free, so this one is another
    expect_step(w, "manage")
    expect(w.get_by_text("Your appointment has been moved.", exact=True)).to_be_visible()
    moved = api_appointment(servers, token)
    assert moved["id"] == booked["id"]
    assert moved["start"] != booked["start"]
    assert moved["sequence"] == booked["sequence"] + 1
    assert (
        events(page, "appointment-rescheduled")[0]["detail"]["appointment"]["start"]
        == moved["start"]
    )

    w.get_by_role("button", name="Cancel appointment").click()
    w.get_by_role("button", name="Yes, cancel it").click()
    expect(w.get_by_text("Your appointment has been cancelled.", exact=True)).to_be_visible()
    expect(w.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(w.get_by_role("button", name="Choose another time")).to_have_count(0)
    assert api_appointment(servers, token)["status"] == "cancelled"


# ---- events ------------------------------------------------------------------------------


def test_ready_and_step_events_carry_their_details(page: Page, servers: Any) -> None:
    w = embed_page(page, servers, {"language": "fr"})
    expect(heading(w)).to_have_text(re.compile(r"\S"))
    pick(w, "Épargner")
    expect(heading(w)).to_have_text("Comment souhaitez-vous nous rencontrer ?")
    w.get_by_role("button", name="Retour").click()
    expect(w.get_by_role("button", name="Épargner")).to_be_visible()

    recorded = events(page)
    assert [(e["type"], e["detail"]) for e in recorded] == [
        ("rendezvous:step", {"step": "subject"}),
        ("rendezvous:ready", {"language": "fr"}),
        ("rendezvous:step", {"step": "meeting-type"}),
        ("rendezvous:step", {"step": "subject"}),
    ]
    assert {e["target"] for e in recorded} == {"w1"}


def test_an_invite_without_an_office_offers_only_the_agents_offices(
    page: Page, servers: Any
) -> None:
    """Mortgage at an office is also booked in London (George), but Bob works in Antwerp
    and Brussels only: his invite lists those two, and each has real times for him."""
    offered = httpx.get(
        f"{servers.api}/api/v1/offices",
        params={"subject": "mortgage", "meeting_type": "OFFICE"},
        timeout=10,
    ).json()["offices"]
    assert "London City" in [o["name"] for o in offered]
    link = mint_invite(
        servers, "--agent", "bob", "--subject", "mortgage", "--meeting-type", "OFFICE"
    )
    record_events(page)
    page.goto(link)
    w = widget(page)
    expect_step(w, "office")
    offices = w.get_by_role("list").get_by_role("button")
    expect(offices).to_have_count(2)
    expect(w.get_by_role("button", name="London City", exact=True)).to_have_count(0)
    pick(w, "Antwerp Meir")
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    shown = summary(w)
    assert shown["Place"].startswith("Antwerp Meir")
    assert shown["With"].startswith("Bob Janssens")
    w.get_by_role("button", name="Back").click()
    pick(w, "Brussels Centre")
    expect(time_buttons(w).first).to_be_visible()
    assert events(page, "misconfigured") == []

    # Emma works in Brussels only: her invite skips the office step.
    link = mint_invite(
        servers, "--agent", "emma", "--subject", "savings", "--meeting-type", "OFFICE"
    )
    page.goto(link)
    expect_step(w, "timetable")
    expect(time_buttons(w).first).to_be_visible()
    assert summary(w)["Place"].startswith("Brussels Centre")
    assert [e["detail"]["step"] for e in events(page, "step")] == ["timetable"]


def test_an_invite_for_a_hidden_subject_books_with_its_agent(page: Page, servers: Any) -> None:
    """Estate planning is hidden from customers (available_for_customers = false): the
    catalog never lists it, but an agent's invite for it books, with that agent."""
    listed = httpx.get(f"{servers.api}/api/v1/subjects", timeout=10).json()["categories"]
    assert "estate-planning" not in [s["id"] for c in listed for s in c["subjects"]]
    link = mint_invite(servers, "--agent", "bob", "--subject", "estate-planning")
    record_events(page)
    page.goto(link)
    w = widget(page)
    expect_step(w, "meeting-type")  # the subject is the invite's: its step is skipped
    pick(w, "At an office")
    expect_step(w, "timetable")  # Bob sees customers for it in Brussels only
    shown = summary(w)
    assert shown["Subject"] == "Estate planning"
    assert shown["With"] == "Bob Janssens, Senior advisor"
    assert shown["Place"].startswith("Brussels Centre")
    pick_first_time(w)
    fill_customer(w)
    book(w)
    appointment = check_confirmation(page, servers, confirmation_links(w))
    assert appointment["subject"]["id"] == "estate-planning"
    assert appointment["agent"]["id"] == "bob"
    assert appointment["meeting_type"] == "OFFICE"
    assert appointment["office"]["id"] == "brussels"
    assert events(page, "misconfigured") == []
    assert events(page, "error") == []


def test_an_invite_booked_hidden_subject_is_rescheduled_from_its_manage_link(
    page: Page, servers: Any
) -> None:
    """Estate planning is hidden from customers: its manage link's timetable asks the
    appointment's own free times (GET /api/v1/appointments/{token}/slots), which keep
    the invite's agent and open the hidden subject, so there are times to move to."""
    link = mint_invite(servers, "--agent", "bob", "--subject", "estate-planning")
    record_events(page)
    page.goto(link)
    w = widget(page)
    pick(w, "At an office")
    pick_first_time(w)
    fill_customer(w)
    book(w)
    token = manage_token(confirmation_links(w)["manage"])
    booked = api_appointment(servers, token)

    page.goto(f"{servers.api}/book?manage={token}")
    expect_step(w, "manage")
    assert summary(w)["Subject"] == "Estate planning"
    w.get_by_role("button", name="Choose another time").click()
    expect_step(w, "reschedule")
    times = time_buttons(w)
    expect(times.first).to_be_visible()
    times.first.click()
    expect_step(w, "manage")
    expect(w.get_by_text("Your appointment has been moved.", exact=True)).to_be_visible()

    moved = api_appointment(servers, token)
    assert moved["id"] == booked["id"]
    assert moved["start"] != booked["start"]
    assert (moved["subject"]["id"], moved["agent"]["id"]) == ("estate-planning", "bob")
    assert moved["office"]["id"] == booked["office"]["id"]
    assert events(page, "error") == []


# ---- a request is not a booking -----------------------------------------------------------


def mark_colour(w: Any) -> str:
    """The colour of the confirmation's mark (a check, or a clock for a request)."""
    colour: str = w.locator(".rv-done .rv-icon").evaluate("el => getComputedStyle(el).color")
    return colour


def test_a_request_looks_and_reads_unlike_a_booking_and_has_no_video_link_yet(
    page: Page, servers: Any
) -> None:
    """Mortgage by video waits for the advisor (auto_accept = false)."""
    w = embed_page(page, servers, {"subject": "mortgage", "meeting-type": "VIDEO"})
    pick_first_time(w)
    expect_step(w, "questions")
    answer(w, "How much would you like to borrow (EUR)?", "200000")
    answer(w, "What is it for?", "Buying")
    submit(w)
    fill_customer(w)
    book(w)
    expect_step(w, "requested")
    expect(
        w.get_by_text(
            "Nothing is booked yet: the advisor will accept or decline your request, "
            "and you will receive an e-mail either way.",
            exact=True,
        )
    ).to_be_visible()
    links = confirmation_links(w)
    assert "video" not in links  # no "Join the video call" before it is accepted
    appointment = api_appointment(servers, manage_token(links["manage"]))
    assert appointment["status"] == "requested"
    assert appointment["video_url"]  # the server has one; the widget keeps it back
    requested = mark_colour(w)
    assert requested == "rgb(154, 91, 0)"  # the warning colour, --rendezvous-warning

    page.goto(links["manage"])
    expect_step(w, "manage")
    expect(w.get_by_text("Waiting for confirmation", exact=True)).to_be_visible()
    expect(
        w.get_by_text(
            "The advisor has not confirmed this appointment yet. "
            "You will receive an e-mail once they have.",
            exact=True,
        )
    ).to_be_visible()
    expect(w.get_by_role("link", name="Join the video call")).to_have_count(0)

    # A confirmed one: its own words, the success colour and the video link.
    w = embed_page(page, servers, {"subject": "car-loan", "meeting-type": "VIDEO"})
    pick_first_time(w)
    expect_step(w, "questions")
    submit(w)
    fill_customer(w)
    book(w)
    expect_step(w, "confirmed")
    assert "video" in confirmation_links(w)
    assert mark_colour(w) == "rgb(28, 122, 74)"


# ---- the context that stays -------------------------------------------------------------


def test_the_chosen_subject_stays_in_view_from_the_first_step(page: Page, servers: Any) -> None:
    page.goto(f"{servers.api}/book?subject=mortgage")
    w = widget(page)
    expect_step(w, "meeting-type")
    assert summary(w) == {"Subject": "Mortgage"}
    pick(w, "At an office")
    expect_step(w, "office")
    assert summary(w) == {"Subject": "Mortgage", "Meeting": "At an office"}
    pick(w, "Antwerp Meir")
    expect(time_buttons(w).first).to_be_visible()
    assert summary(w) == {
        "Subject": "Mortgage",
        "Meeting": "At an office",
        "Place": "Antwerp Meir",
        "Length": "60 mins",
    }


def test_an_invite_names_its_agent_from_the_first_step(page: Page, servers: Any) -> None:
    link = mint_invite(servers, "--agent", "emma")
    record_events(page)
    page.goto(link)
    w = widget(page)
    expect_step(w, "subject")  # Emma serves several subjects
    assert summary(w) == {"With": "Emma Lambert, Customer advisor"}
    pick(w, "Saving")
    expect_step(w, "meeting-type")
    assert summary(w) == {"Subject": "Saving", "With": "Emma Lambert, Customer advisor"}
