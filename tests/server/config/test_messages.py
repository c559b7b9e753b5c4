"""A value that does not decode is reported with its path in the file and what was
expected, in plain words (server/config/messages.py, from msgspec's errors)."""

from __future__ import annotations

import pytest

from tests.server.config._base import edit, issues_of

DECODING = [
    # -- decoding: types, constraints, unknown keys ---------------------------------
    pytest.param(
        "[[categories]]",
        "[extra]\nx = 1\n\n[[categories]]",
        "extra",
        "unknown key; expected one of organisation, categories, subjects, offices, agents",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "duration = 60",
        "duraton = 60",
        "subjects[0].meeting_types.OFFICE.duraton",
        "unknown key; expected one of duration, granularity, trailing_buffer",
        id="unknown-key-in-a-rule",
    ),
    pytest.param(
        "[subjects.meeting_types.VIDEO]",
        "[subjects.meeting_types.TELEPATHY]",
        "subjects[0].meeting_types.TELEPATHY",
        'expected one of OFFICE, VIDEO, PHONE, ON_LOCATION, got "TELEPATHY"',
        id="unknown-meeting-type",
    ),
    pytest.param(
        "duration = 60",
        "duration = 2",
        "subjects[0].meeting_types.OFFICE.duration",
        "expected int >= 5, got 2",
        id="rule-below-its-bound",
    ),
    pytest.param(
        "duration = 20",
        "max_concurrent = 101",
        "offices[0].subjects.mortgage.rules.VIDEO.max_concurrent",
        "expected int <= 100, got 101",
        id="override-above-its-bound",
    ),
    pytest.param(
        "hold_minutes = 7",
        "hold_minutes = 0",
        "organisation.hold_minutes",
        "expected int >= 1, got 0",
        id="hold-minutes",
    ),
    pytest.param(
        'name = "Bob"',
        "name = 5",
        "agents[1].name",
        "expected str, got int",
        id="wrong-type",
    ),
    pytest.param(
        'name = "Savings"',
        "name = 5",
        "subjects[1].name",
        "expected a string or a table of language = string, got int",
        id="translatable-wrong-type",
    ),
    pytest.param(
        'name = "Bob"',
        'name = "' + "B" * 201 + '"',
        "agents[1].name",
        "expected str of length <= 200, got 201 characters",
        id="string-too-long",
    ),
    pytest.param(
        'id = "bob"',
        'id = "bob smith"',
        "agents[1].id",
        'expected an id (1 to 64 letters, digits, "_", "." or "-"), got "bob smith"',
        id="bad-id",
    ),
    pytest.param(
        'timezone = "Europe/London"',
        "",
        "offices[1].timezone",
        "required key is missing",
        id="missing-key",
    ),
    pytest.param(
        'country = "GB"',
        'country = "UK1"',
        "offices[1].address.country",
        'expected an ISO 3166 alpha-2 country code such as "BE", got "UK1"',
        id="bad-country",
    ),
    pytest.param(
        "lat = 50.85",
        "lat = 95.0",
        "offices[0].geo.lat",
        "expected float <= 90.0, got 95.0",
        id="bad-latitude",
    ),
    pytest.param(
        'email = "alice@example.com"',
        'email = "alice"',
        "agents[0].email",
        'expected an email address, got "alice"',
        id="bad-email",
    ),
    pytest.param(
        'languages = ["en", "nl"]',
        'languages = ["en", "Dutch"]',
        "organisation.languages[1]",
        'expected a language code such as "en" or "pt-BR", got "Dutch"',
        id="bad-language-code",
    ),
    pytest.param(
        'languages = ["en", "nl"]',
        "languages = []",
        "organisation.languages",
        "expected an array of length >= 1, got 0 items",
        id="no-languages",
    ),
    pytest.param(
        'type = "long_text"',
        'type = "essay"',
        "subjects[0].questions[2].type",
        "expected one of short_text, long_text, number, select, multi_select",
        id="bad-question-type",
    ),
    pytest.param(
        'start = "10:00"',
        'start = "10h00"',
        "agents[1].week.tuesday[0].start",
        'expected a time "HH:MM", got "10h00"',
        id="time-not-hh-mm",
    ),
    pytest.param(
        'end = "16:00"',
        'end = "25:00"',
        "agents[1].week.tuesday[0].end",
        'expected a time "HH:MM", got "25:00"',
        id="time-out-of-range",
    ),
    pytest.param(
        'end = "16:00"',
        'end = "24:00"',
        "agents[1].week.tuesday[0].end",
        'expected a time "HH:MM", got "24:00"',
        id="no-24-00",
    ),
    pytest.param(
        "tuesday = [",
        "tuesdy = [",
        "agents[1].week.tuesdy",
        "unknown key; expected one of monday, tuesday, wednesday",
        id="unknown-weekday",
    ),
    pytest.param(
        'office = "london" }]',
        'office = "london", meeting_types = ["FAX"] }]',
        "agents[1].week.tuesday[0].meeting_types[0]",
        'expected one of OFFICE, VIDEO, PHONE, ON_LOCATION, got "FAX"',
        id="block-meeting-type",
    ),
    pytest.param(
        "date = 2026-12-24",
        'date = "2026-13-01"',
        "agents[0].days[0].date",
        'expected a date "YYYY-MM-DD", got "2026-13-01"',
        id="bad-date",
    ),
    pytest.param(
        'template = "unavailable"',
        'template = "holiday"',
        "agents[0].days[0].template",
        'expected one of unavailable, got "holiday"',
        id="unknown-day-template",
    ),
    pytest.param(
        '[[categories]]\nid = "loans"\nname = { en = "Loans", nl = "Leningen" }',
        '[[categories]]\nid = "loans"\nname = { en = "Loans", NL = "Leningen" }',
        "categories[0].name.NL",
        'expected a language code such as "en" or "pt-BR", got "NL"',
        id="bad-language-key-in-text",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "message"), DECODING)
def test_each_bad_value_is_reported_with_its_path_and_what_was_expected(
    old: str, new: str, path: str, message: str
) -> None:
    issues = issues_of(edit(old, new))
    assert [issue.path for issue in issues] == [path], issues
    assert issues[0].message.startswith(message), issues[0].message
