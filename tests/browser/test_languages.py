"""Languages and time zones in real Chromium.

The widget's own words come from plugin/i18n/*.js; the catalog's names come from the
organisation file in the languages it has (en, nl, fr), else its first language.
Times are shown in the customer's zone, which is named on screen and can be changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._widget import (
    choose_zone,
    edit_organisation,
    embed_page,
    events,
    expect_step,
    heading,
    mint_invite,
    summary,
    time_buttons,
)
from tests.support import brussels_today

LANGUAGES = [
    pytest.param(
        {
            "language": "en",
            "office_note": "At one of our offices",
            "subject_step": "What would you like to talk about?",
            "category": "Loans",
            "subject": "Mortgage",
            "description": "Buying, building or renovating a home",
            "meeting_step": "How would you like to meet?",
            "back": "Back",
            "office": "At an office",
            "video": "Video call",
            "change_zone": "Change time zone",
            "next_week": "Next week",
            "zone_named": r"Times are shown in Central European \w+ Time — Europe/Brussels\.",
        },
        id="en",
    ),
    pytest.param(
        {
            "language": "nl",
            "office_note": "In een van onze kantoren",
            "subject_step": "Waarover wilt u praten?",
            "category": "Leningen",
            "subject": "Hypotheek",
            "description": "Een woning kopen, bouwen of verbouwen",
            "meeting_step": "Hoe wilt u afspreken?",
            "back": "Terug",
            "office": "Op kantoor",
            "video": "Videogesprek",
            "change_zone": "Tijdzone wijzigen",
            "next_week": "Volgende week",
            "zone_named": r"Tijden in Midden-Europese \w+ — Europe/Brussels\.",
        },
        id="nl",
    ),
    pytest.param(
        {
            "language": "fr",
            "office_note": "Dans une de nos agences",
            "subject_step": "De quoi souhaitez-vous parler ?",
            "category": "Crédits",
            "subject": "Crédit hypothécaire",
            "description": "Acheter, construire ou rénover un logement",
            "meeting_step": "Comment souhaitez-vous nous rencontrer ?",
            "back": "Retour",
            "office": "En agence",
            "video": "Appel vidéo",
            "change_zone": "Changer de fuseau horaire",
            "next_week": "Semaine suivante",
            "zone_named": (
                r"Heures affichées selon le fuseau heure .+ d’Europe centrale — Europe/Brussels\."
            ),
        },
        id="fr",
    ),
]


#: German: the widget's own words; the demo's catalog has no German, so its names fall
#: back to English (the organisation's first language).
GERMAN = {
    "language": "de",
    "office_note": "In einer unserer Filialen",
    "subject_step": "Worüber möchten Sie sprechen?",
    "category": "Loans",
    "subject": "Mortgage",
    "description": "Buying, building or renovating a home",
    "meeting_step": "Wie möchten Sie sich treffen?",
    "back": "Zurück",
    "office": "In einer Filiale",
    "video": "Videoanruf",
    "change_zone": "Zeitzone ändern",
    "next_week": "Nächste Woche",
    "zone_named": r"Uhrzeiten in der Zeitzone Mitteleuropäische \w+ — Europe/Brussels\.",
}


def expect_the_widget_to_speak(page: Page, servers: Any, words: dict[str, str]) -> None:
    """Through subject, meeting type and timetable, everything is in `words`' language."""
    w = embed_page(page, servers, {"language": words["language"]})
    expect(heading(w)).to_have_text(words["subject_step"])
    expect(w.get_by_role("heading", level=3, name=words["category"], exact=True)).to_be_visible()
    subject = w.get_by_role("button", name=words["subject"], exact=True)
    expect(subject).to_have_accessible_description(words["description"])
    assert w.evaluate("el => el.shadowRoot.querySelector('[lang]').lang") == words["language"]

    subject.click()
    expect(heading(w)).to_have_text(words["meeting_step"])
    expect(w.get_by_role("button", name=words["back"], exact=True)).to_be_visible()
    choices = w.get_by_role("list").get_by_role("button")
    expect(choices.first).to_have_accessible_description(words["office_note"])
    choices.nth(1).click()  # VIDEO: the meeting types' names are test_meeting_types_...

    expect(w.get_by_role("button", name=words["change_zone"], exact=True)).to_be_visible()
    expect(w.get_by_role("button", name=words["next_week"], exact=True)).to_be_visible()
    expect(w.get_by_text(re.compile(f"^{words['zone_named']}$"))).to_be_visible()
    expect(time_buttons(w).first).to_be_visible()
    assert events(page, "ready")[0]["detail"] == {"language": words["language"]}


@pytest.mark.parametrize("words", LANGUAGES)
def test_the_widget_speaks_the_language_of_its_attribute(
    page: Page, servers: Any, words: dict[str, str]
) -> None:
    expect_the_widget_to_speak(page, servers, words)


def test_a_language_the_organisation_has_no_text_in_falls_back_to_its_first(
    page: Page, servers: Any
) -> None:
    """The demo organisation speaks en, nl and fr: a German page gets its first, English
    (the widget would otherwise mix German words with English names)."""
    w = embed_page(page, servers, {"language": "de"})
    expect(heading(w)).to_have_text("What would you like to talk about?")
    assert events(page, "ready")[0]["detail"] == {"language": "en"}


def test_an_organisation_with_german_gets_a_german_widget(page: Page, own_servers: Any) -> None:
    edit_organisation(
        own_servers,
        lambda text: text.replace(
            'languages = ["en", "nl", "fr"]          # first = default',
            'languages = ["en", "nl", "fr", "de"]',
            1,
        ),
    )
    expect_the_widget_to_speak(page, own_servers, GERMAN)


@pytest.mark.parametrize("words", LANGUAGES)
def test_meeting_types_are_named_in_the_widgets_language(
    page: Page, servers: Any, words: dict[str, str]
) -> None:
    w = embed_page(page, servers, {"language": words["language"], "subject": "mortgage"})
    expect(heading(w)).to_have_text(words["meeting_step"])
    # The choices are drawn with the heading: no need to wait long for them.
    for name in words["office"], words["video"]:
        expect(w.get_by_role("button", name=name, exact=True)).to_be_visible(timeout=1000)


@pytest.fixture
def dutch_page(browser: Browser) -> Iterator[Page]:
    """A visitor whose browser prefers Belgian Dutch."""
    context = browser.new_context(locale="nl-BE", timezone_id="Europe/Brussels")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_without_an_attribute_the_browsers_language_is_used(dutch_page: Page, servers: Any) -> None:
    w = embed_page(dutch_page, servers)
    expect(heading(w)).to_have_text("Waarover wilt u praten?")
    expect(w.get_by_role("button", name="Hypotheek", exact=True)).to_be_visible()
    assert events(dutch_page, "ready")[0]["detail"] == {"language": "nl"}


def test_the_attribute_wins_over_the_browsers_language(dutch_page: Page, servers: Any) -> None:
    w = embed_page(dutch_page, servers, {"language": "fr"})
    expect(heading(w)).to_have_text("De quoi souhaitez-vous parler ?")


# ---- time zones ------------------------------------------------------------------------


def shown_times(page: Page) -> tuple[str, list[str]]:
    """The selected day's name and its free times, as shown (HH:MM, 24-hour in en-GB)."""
    w = page.locator(".rendezvous")
    expect(time_buttons(w).first).to_be_visible()
    day = w.get_by_role("heading", level=3).inner_text()
    return day, [t.strip() for t in time_buttons(w).all_inner_texts()]


def hours_between(east: str, west: str, day: str) -> int:
    """How many hours `west`'s clocks are behind `east`'s on a day shown as
    "Free times on Tuesday 24 November" (this year, or next when that has passed)."""
    today = brussels_today()
    shown = datetime.strptime(day.rsplit(" on ", 1)[1], "%A %d %B").date()
    shown = shown.replace(year=today.year)
    if shown < today - timedelta(days=1):
        shown = shown.replace(year=today.year + 1)
    noon = datetime.combine(shown, time(12))
    offset = (
        noon.replace(tzinfo=ZoneInfo(east)).utcoffset()
        - noon.replace(tzinfo=ZoneInfo(west)).utcoffset()
    )
    return int(offset / timedelta(hours=1))


def test_times_are_shown_in_the_customers_zone_and_follow_a_new_zone(
    page: Page, servers: Any
) -> None:
    w = embed_page(
        page, servers, {"subject": "investments", "meeting-type": "OFFICE", "office": "brussels"}
    )
    expect_step(w, "timetable")
    expect(
        w.get_by_text(
            re.compile(r"^Times are shown in Central European \w+ Time — Europe/Brussels\.$")
        )
    ).to_be_visible()
    day, brussels = shown_times(page)

    choose_zone(w, "new york", re.compile(r"^New York — Eastern Time \(GMT-[45]\)$"))
    expect(
        w.get_by_text(re.compile(r"^Times are shown in Eastern \w+ Time — America/New York\.$"))
    ).to_be_visible()
    # The customer stays where they were.
    expect(w.get_by_role("button", name="Change time zone")).to_be_focused()
    new_day, new_york = shown_times(page)
    assert new_day == day  # office hours are the same date on both sides of the ocean
    shift = hours_between("Europe/Brussels", "America/New_York", day)
    assert shift in {5, 6}  # 6 h, or 5 h in the weeks when only one side has summer time
    earlier = [
        (datetime.strptime(t, "%H:%M") - timedelta(hours=shift)).strftime("%H:%M") for t in brussels
    ]
    # A time may have passed its notice meanwhile, so compare from the end.
    assert new_york and earlier[-len(new_york) :] == new_york

    when = w.get_by_role("definition").filter(has_text="Eastern")
    time_buttons(w).last.click()
    expect(w.get_by_role("heading", level=2)).not_to_have_text("Choose a date and time")
    expect(when).to_contain_text(new_york[-1])  # the summary speaks the chosen zone too


def test_the_timezone_attribute_sets_the_zone(page: Page, servers: Any) -> None:
    w = embed_page(
        page,
        servers,
        {"subject": "new-account", "meeting-type": "VIDEO", "timezone": "Asia/Tokyo"},
    )
    expect(w.get_by_text(re.compile(r"— Asia/Tokyo\.$"))).to_be_visible()
    expect(w.get_by_text(re.compile(r"^Times are shown in Japan Standard Time"))).to_be_visible()


def test_an_invite_names_its_agent_in_the_widgets_language(page: Page, servers: Any) -> None:
    link = mint_invite(
        servers,
        "--agent",
        "chloe",
        "--subject",
        "new-account",
        "--meeting-type",
        "OFFICE",
        "--office",
        "antwerp",
    )
    page.goto(link + "&language=nl")
    w = page.locator(".rendezvous")
    expect(heading(w)).to_have_text("Kies een dag en tijd")
    shown = summary(w)
    assert shown["Met"] == "Chloé Dubois, Klantenadviseur"
    assert shown["Onderwerp"] == "Een rekening openen"


def test_preferred_language_lists_only_the_organisations_languages(
    page: Page, servers: Any
) -> None:
    w = embed_page(page, servers, {"subject": "car-loan", "meeting-type": "PHONE"})
    expect(time_buttons(w).first).to_be_visible()
    time_buttons(w).first.click()
    expect_step(w, "questions")
    w.get_by_role("button", name="Continue").click()
    expect_step(w, "customer")
    language = w.get_by_label("Preferred language")
    # The demo organisation writes in English, Dutch and French; the widget also speaks
    # German, but nobody there would answer in it.
    assert language.locator("option").all_inner_texts() == ["English", "Dutch", "French"]
    expect(language).to_have_value("en")
