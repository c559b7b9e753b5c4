from __future__ import annotations

import logging

import pytest

from server.calendar.text import CalendarTemplateError, CalendarTemplates
from server.sandbox import MAX_OUTPUT, MAX_VALUE

VARIABLES = {
    "customer_name": "Éva Janssens",
    "customer_address": "Kerkstraat 2, 9000 Gent",
    "agent_name": "Alice Peeters",
    "subject": "Mortgage",
    "office_name": "Brussels Centre",
    "office_address": "Rue Neuve 1, 1000 Brussels",
    "start_local": "Monday 2 March 2026, 10:00",
    "timezone": "Europe/Brussels",
    "video_url": "https://meet.demobank.example/r/abc123",
    "manage_url": "https://book.demobank.example/book?manage=t",
    "phone": "+32 2 123 45 67",
}


@pytest.mark.parametrize(
    ("lang", "meeting_type", "location"),
    [
        pytest.param("en", "OFFICE", "Rue Neuve 1, 1000 Brussels", id="office"),
        pytest.param("en", "ON_LOCATION", "Kerkstraat 2, 9000 Gent", id="on-location"),
        pytest.param("en", "VIDEO", "https://meet.demobank.example/r/abc123", id="video"),
        pytest.param("en", "PHONE", "Phone call", id="phone"),
        pytest.param("nl", "PHONE", "Telefoongesprek", id="phone-nl"),
        pytest.param("fr", "PHONE", "Appel téléphonique", id="phone-fr"),
        pytest.param("de", "PHONE", "Telefonat", id="phone-de"),
        pytest.param("es", "PHONE", "Phone call", id="unknown-language-falls-back-to-en"),
    ],
)
def test_default_templates_per_language_and_meeting_type(
    lang: str, meeting_type: str, location: str
) -> None:
    text = CalendarTemplates().render(lang, meeting_type, VARIABLES)
    assert text.location == location
    assert "Mortgage" in text.title and "Alice Peeters" in text.title
    assert VARIABLES["start_local"] in text.description
    assert VARIABLES["manage_url"] in text.description


def test_every_shipped_language_renders_every_meeting_type() -> None:
    templates = CalendarTemplates()
    assert set(templates.languages) >= {"en", "nl", "fr", "de"}
    for lang in templates.languages:
        for meeting_type in ("OFFICE", "VIDEO", "PHONE", "ON_LOCATION"):
            title, description, location = templates.render(lang, meeting_type, VARIABLES)
            assert title and description and location
            assert "\n\n\n" not in description


def test_overrides_take_precedence_part_by_part() -> None:
    templates = CalendarTemplates(
        {
            "nl": {
                "VIDEO": {"title": "Video: {{ subject }}"},
                "default": {"title": "Afspraak: {{ subject }}", "location": "Bij ons"},
            },
            "en": {"default": {"description": "Hello {{ customer_name }}"}},
        }
    )
    video = templates.render("nl", "VIDEO", VARIABLES)
    office = templates.render("nl", "OFFICE", VARIABLES)
    english = templates.render("en", "OFFICE", VARIABLES)
    assert video.title == "Video: Mortgage"  # (lang, M) beats (lang, default)
    assert video.location == "Bij ons"  # (lang, default) beats the shipped default
    assert office.title == "Afspraak: Mortgage"
    assert office.description.startswith("Uw afspraak")  # shipped default for nl
    assert english.description == "Hello Éva Janssens"
    assert english.title == "Mortgage with Alice Peeters"
    # an override for one language does not leak into another
    assert templates.render("fr", "VIDEO", VARIABLES).title.startswith("Appel vidéo")


def test_html_in_variables_stays_text() -> None:
    templates = CalendarTemplates({"en": {"default": {"title": "{{ customer_name }}"}}})
    payload = "<script>alert('x')</script> & \"quotes\""
    text = templates.render("en", "OFFICE", {**VARIABLES, "customer_name": payload})
    assert text.title == payload


def test_missing_variables_render_empty_and_none_is_empty() -> None:
    text = CalendarTemplates().render("en", "VIDEO", {"subject": "Mortgage", "video_url": None})
    assert text.location == ""
    assert "You will receive the link" in text.description


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("{{ ''.__class__.__mro__ }}", "attribute access (.__mro__)", id="mro"),
        pytest.param("{{ cycler.__init__.__globals__.os }}", "attribute access (.os)", id="cycler"),
        pytest.param("{{ customer_name * 999999999 }}", "the operator *", id="repetition"),
        pytest.param("{% for i in range(99999) %}x{% endfor %}", "a loop ({% for %})", id="loop"),
        pytest.param(
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
            "a macro ({% macro %})",
            id="endless-recursion",
        ),
        pytest.param("{{ 1 / 0 }}", "the operator /", id="division"),
    ],
)
def test_templates_outside_the_sandbox_are_refused_with_their_path_and_line(
    source: str, message: str
) -> None:
    with pytest.raises(CalendarTemplateError) as caught:
        CalendarTemplates({"en": {"VIDEO": {"title": f"Video call\n{source}"}}})
    assert str(caught.value).startswith(f"calendar template [en][VIDEO][title]: line 2: {message}")
    assert caught.value.problem.startswith(f"line 2: {message} is not allowed")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"en": {"default": {"title": "{% if %}"}}}, "[en][default][title]", id="syntax"
        ),
        pytest.param({"en": {"default": {"title": "{{ nope }}"}}}, "nope", id="undefined"),
        pytest.param({"en": {"CHAT": {"title": "x"}}}, "meeting type", id="meeting-type"),
        pytest.param({"en": {"default": {"subject": "x"}}}, "title", id="part"),
    ],
)
def test_broken_overrides_fail_at_construction(
    overrides: dict[str, dict[str, dict[str, str]]], message: str
) -> None:
    with pytest.raises(CalendarTemplateError) as caught:
        CalendarTemplates(overrides)
    assert message in str(caught.value)


def test_a_part_set_to_none_is_not_overridden() -> None:
    templates = CalendarTemplates({"fr": {"default": {"title": None, "location": "Chez nous"}}})
    text = templates.render("fr", "OFFICE", VARIABLES)
    assert (text.title, text.location) == ("Mortgage avec Alice Peeters", "Chez nous")


# -- templates that fail on a booking's values (the organisation file is untrusted, SPEC 9)


def test_an_override_that_fails_on_a_bookings_values_falls_back_to_the_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Fits with the sample value "customer_name" (13 characters), not with a long name.
    times = MAX_OUTPUT // MAX_VALUE + 1
    templates = CalendarTemplates({"en": {"default": {"title": "{{ customer_name }}" * times}}})
    assert templates.render("en", "OFFICE", {"customer_name": "Ann"}).title == "Ann" * times
    long_name = "Éva Janssens-Van den Bossche " * 100
    with caplog.at_level(logging.WARNING, logger="rendezvous.calendar"):
        text = templates.render("en", "OFFICE", {**VARIABLES, "customer_name": long_name})
    assert text.title == "Mortgage with Alice Peeters"  # the shipped default
    assert text.description.startswith("Your appointment")  # not overridden: unchanged
    assert (
        "calendar template [en][default][title] failed on this booking's values (the template"
        f" renders more than {MAX_OUTPUT} characters); using the shipped default"
    ) in caplog.text
    assert "Éva" not in caplog.text


def test_templates_nested_too_deeply_are_refused() -> None:
    with pytest.raises(
        CalendarTemplateError, match=r"\[PHONE\]\[location\]: the .* nested too deeply"
    ):
        CalendarTemplates(
            {"en": {"PHONE": {"location": "{{" + "(" * 1000 + "1" + ")" * 1000 + "}}"}}}
        )
