from __future__ import annotations

import logging
import time

import pytest

from server.calendar.sandbox import MAX_SIZE
from server.calendar.text import CalendarTemplateError, CalendarTemplates

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
    "source",
    [
        pytest.param("{{ ''.__class__.__mro__ }}", id="mro"),
        pytest.param("{{ subject.__init__.__globals__ }}", id="globals"),
        pytest.param("{{ cycler.__init__.__globals__.os }}", id="cycler"),
    ],
)
def test_sandbox_escapes_are_refused_with_a_clear_error(source: str) -> None:
    with pytest.raises(CalendarTemplateError, match=r"\[en\]\[VIDEO\]\[title\].*sandbox"):
        CalendarTemplates({"en": {"VIDEO": {"title": source}}})


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


# -- templates that fail or cost too much (the organisation file is untrusted, SPEC 9) ---


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "{{ customer_name * 999999999 }}",
            " is too costly to render: repeating would make",
            id="too-costly",
        ),
        pytest.param(
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
            " is too costly to render: it recurses too deeply",
            id="endless-recursion",
        ),
        pytest.param(
            "{% for i in range(99999) %}x{% endfor %}",
            ": OverflowError: Range too big",
            id="error-of-its-own",
        ),
    ],
)
def test_too_costly_templates_fail_fast_with_their_path(source: str, message: str) -> None:
    started = time.perf_counter()
    with pytest.raises(CalendarTemplateError) as caught:
        CalendarTemplates({"en": {"VIDEO": {"title": source}}})
    assert time.perf_counter() - started < 0.5
    assert str(caught.value).startswith(f"calendar template [en][VIDEO][title]{message}")


def test_the_cost_checks_say_what_is_too_costly() -> None:
    with pytest.raises(CalendarTemplateError) as caught:
        CalendarTemplates({"en": {"VIDEO": {"title": "{{ customer_name * 999999999 }}"}}})
    assert str(caught.value) == (
        "calendar template [en][VIDEO][title] is too costly to render: repeating would make"
        f" a value larger than {MAX_SIZE} characters"
    )


def test_an_override_that_fails_on_a_bookings_values_falls_back_to_the_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Fits with the sample value "customer_name" (13 characters), not with a longer name.
    templates = CalendarTemplates({"en": {"default": {"title": "{{ customer_name * 700 }}"}}})
    assert templates.render("en", "OFFICE", {"customer_name": "Ann"}).title == "Ann" * 700
    with caplog.at_level(logging.WARNING, logger="rendezvous.calendar"):
        text = templates.render(
            "en", "OFFICE", {**VARIABLES, "customer_name": "Éva Janssens-Van den Bossche"}
        )
    assert text.title == "Mortgage with Alice Peeters"  # the shipped default
    assert text.description.startswith("Your appointment")  # not overridden: unchanged
    assert "[en][default][title] failed on this booking's values (TemplateTooCostly)" in (
        caplog.text
    )
    assert "shipped default" in caplog.text
    assert "Éva" not in caplog.text


def test_the_fallback_warning_does_not_log_the_bookings_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Renders with the sample values; with a real name it fails, the name in its message.
    source = "{{ {'customer_name': 'Phone'}[customer_name] }}"
    templates = CalendarTemplates({"en": {"default": {"location": source}}})
    with caplog.at_level(logging.WARNING, logger="rendezvous.calendar"):
        text = templates.render("en", "PHONE", {**VARIABLES, "customer_name": "Éva Janssens"})
    assert text.location == "Phone call"  # the shipped default
    assert "[en][default][location]" in caplog.text
    assert "UndefinedError" in caplog.text
    assert "Éva" not in caplog.text


def test_runtime_errors_of_a_template_are_calendar_template_errors() -> None:
    with pytest.raises(CalendarTemplateError, match=r"\[en\]\[PHONE\]\[location\]: Zero"):
        CalendarTemplates({"en": {"PHONE": {"location": "{{ 1 / 0 }}"}}})
    with pytest.raises(CalendarTemplateError, match="nested too deeply"):
        CalendarTemplates(
            {"en": {"PHONE": {"location": "{{" + "(" * 2000 + "1" + ")" * 2000 + "}}"}}}
        )
