"""The words every part of the server shares (server/vocabulary.py): languages, time
zones, translatable text, formats, unix time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from availability import model
from server import vocabulary
from server.vocabulary import choose_language, from_unix, time_zone, to_unix

KNOWN = ("en", "nl", "fr")


@pytest.mark.parametrize(
    ("requested", "header", "chosen"),
    [
        pytest.param("nl", None, "nl", id="requested"),
        pytest.param("NL", None, "nl", id="in-any-case"),
        pytest.param(" fr ", None, "fr", id="with-spaces"),
        pytest.param("fr-BE", None, "fr", id="its-primary-subtag"),
        pytest.param("nl", "fr", "nl", id="requested-wins-over-the-header"),
        pytest.param("de", "de-DE,nl;q=0.8,en;q=0.5", "nl", id="else-the-best-known-of-the-header"),
        pytest.param(None, "en;q=0.5, fr;q=0.9", "fr", id="by-quality-not-position"),
        pytest.param(None, "fr;q=0.5, nl;q=0.5", "fr", id="equal-quality-keeps-the-order"),
        pytest.param(None, "fr-CA;q=0.7, en;q=0.6", "fr", id="a-regional-variant"),
        pytest.param(None, "nl;q=0, en;q=0.1", "en", id="q-0-is-not-acceptable"),
        pytest.param(None, "nl;q=high, en;q=0.1", "en", id="a-bad-q-counts-as-0"),
        pytest.param(None, "*, en;q=0.1", "en", id="the-wildcard-names-nothing"),
        pytest.param("", "fr", "fr", id="an-empty-request-is-none"),
        pytest.param("de", "de, es", None, id="nothing-known"),
        pytest.param(None, None, None, id="nothing-asked"),
    ],
)
def test_choose_language(requested: str | None, header: str | None, chosen: str | None) -> None:
    assert choose_language(KNOWN, requested, header) == chosen


@pytest.mark.parametrize(
    ("requested", "header"),
    [
        pytest.param("pt-BR", None, id="requested-as-listed"),
        pytest.param("pt-br", None, id="requested-in-another-case"),
        pytest.param(None, "pt-BR,pt;q=0.9", id="from-the-header"),
    ],
)
def test_a_regional_language_is_chosen_as_the_organisation_spells_it(
    requested: str | None, header: str | None
) -> None:
    # Was None: the request was lowered ("pt-br") and compared with "pt-BR".
    assert choose_language(("en", "pt-BR"), requested, header) == "pt-BR"


def test_only_the_first_32_languages_of_a_header_are_read() -> None:
    header = ", ".join(["de"] * 32 + ["nl"])

    assert choose_language(KNOWN, None, header) is None
    assert choose_language(KNOWN, None, ", ".join(["de"] * 31 + ["nl"])) == "nl"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Europe/Brussels", id="a-zone"),
        pytest.param("UTC", id="utc"),
        pytest.param("America/Argentina/Buenos_Aires", id="three-parts"),
    ],
)
def test_a_real_zone_is_a_time_zone(name: str) -> None:
    zone = time_zone(name)
    assert zone is not None and zone.key == name
    assert vocabulary.is_time_zone(name)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Mars/Olympus", id="unknown"),
        pytest.param("Europe", id="a-directory-of-zones"),
        pytest.param("../../etc/passwd", id="a-path"),
        pytest.param("/usr/share/zoneinfo/UTC", id="an-absolute-path"),
        pytest.param("", id="empty"),
        pytest.param(" Europe/Brussels", id="padded"),
        pytest.param("Europe/" + "x" * 60, id="too-long"),
        pytest.param("Europe/Brussels\x00", id="a-nul"),
    ],
)
def test_anything_else_is_no_time_zone(name: str) -> None:
    assert time_zone(name) is None
    assert not vocabulary.is_time_zone(name)


def test_translatable_text_falls_back_to_the_fallback_language_then_any() -> None:
    assert vocabulary.text("Mortgage", "nl", "en") == "Mortgage"
    assert vocabulary.text({"en": "Mortgage", "nl": "Hypotheek"}, "nl", "en") == "Hypotheek"
    assert vocabulary.text({"en": "Mortgage", "nl": "Hypotheek"}, "fr", "en") == "Mortgage"
    assert vocabulary.text({"nl": "Hypotheek"}, "fr", "en") == "Hypotheek"
    assert vocabulary.text({}, "fr", "en") == ""


def test_unix_seconds_round_trip_from_any_offset() -> None:
    moment = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))

    seconds = to_unix(moment)

    assert seconds == int(moment.timestamp())
    assert from_unix(seconds) == moment
    assert from_unix(seconds).tzinfo is UTC
    assert to_unix(datetime(1970, 1, 1, tzinfo=UTC)) == 0


def test_a_naive_datetime_has_no_unix_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        to_unix(datetime(2026, 3, 29, 3, 30))


@pytest.mark.parametrize(
    ("value", "good"),
    [
        ("ann@example.com", True),
        ("ann.smith+bank@mail.example.co.uk", True),
        ("ann@example", False),
        ("ann@", False),
        ("ann smith@example.com", False),
        ("<ann>@example.com", False),
        ("ann@-example.com", False),
    ],
)
def test_the_email_pattern(value: str, good: bool) -> None:
    assert bool(re.match(vocabulary.EMAIL_PATTERN, value)) is good


@pytest.mark.parametrize(
    ("value", "good"),
    [
        ("+32 470 12 34 56", True),
        ("02 123.45.67", True),
        ("0470/12-34-56", True),
        ("(02) 123 45 67", False),  # starts with a digit, or "+" and a digit
        ("1234", False),
        ("call me", False),
        ("+32 470 12 34 56 ext 7", False),
    ],
)
def test_the_phone_pattern(value: str, good: bool) -> None:
    assert bool(re.match(vocabulary.PHONE_PATTERN, value)) is good


def test_the_server_names_the_engines_meeting_types() -> None:
    assert vocabulary.MEETING_TYPES == model.MEETING_TYPES
    assert sorted(vocabulary.NEEDS_OFFICE) == ["OFFICE", "ON_LOCATION"]
