"""The organisation file: decoding, every validation rule, all errors at once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from server import cli, config, vocabulary
from server.config import ConfigError, Issue
from tests.support import DEMO, organisation_text

#: A small valid organisation; each case below breaks it in one place.
BASE = organisation_text("config")


def edit(old: str, new: str, source: str = BASE) -> str:
    assert source.count(old) == 1, f"{old!r} must occur exactly once"
    return source.replace(old, new)


def issues_of(source: str) -> list[Issue]:
    with pytest.raises(ConfigError) as caught:
        config.loads(source, "test.toml")
    return caught.value.issues


def test_the_base_file_is_valid() -> None:
    loaded = config.loads(BASE, "test.toml")
    assert [subject.id for subject in loaded.organisation.subjects] == ["mortgage", "savings"]
    assert loaded.path is None


def test_the_demo_bank_loads() -> None:
    loaded = config.load(DEMO)
    org = loaded.organisation
    assert loaded.path == DEMO
    assert loaded.version == hashlib.sha256(DEMO.read_bytes()).hexdigest()[:16]
    assert org.organisation.languages[0] == "en"
    assert {m for s in org.subjects for m in s.meeting_types} == set(vocabulary.MEETING_TYPES)
    assert any(not subject.available_for_customers for subject in org.subjects)
    assert any(not office.active for office in org.offices)
    assert len(org.agents) >= 10
    assert {q.type for s in org.subjects for q in s.questions} == {
        "short_text",
        "long_text",
        "number",
        "select",
        "multi_select",
    }
    for origin in ("127.0.0.1:8000", "localhost:8000", "127.0.0.1:8001", "localhost:8001"):
        assert f"http://{origin}" in org.organisation.allowed_origins
    # Week templates cover Monday to Saturday, so the demo offers slots on any day.
    for weekday in config.WEEKDAYS[:6]:
        assert any(getattr(agent.week, weekday) for agent in org.agents if agent.active)


def test_the_demo_bank_summary() -> None:
    summary = config.summary(config.load(DEMO))
    assert summary.startswith("Demo Bank (version ")
    assert "offices: 4 (3 active, 1 inactive)" in summary
    assert "meeting types in use: OFFICE, VIDEO, PHONE, ON_LOCATION" in summary
    assert "bookable combinations (subject × meeting type × office): " in summary


def test_bookable_combinations_need_an_agent_with_hours_there() -> None:
    loaded = config.loads(BASE, "test.toml")
    # savings is not assigned in any office; mortgage is, to Alice, in Brussels.
    assert config.bookable_combinations(loaded.engine) == [
        ("mortgage", "OFFICE", "brussels"),
        ("mortgage", "VIDEO", "brussels"),
    ]
    video_only = edit(
        '{ start = "13:00", end = "17:00", office = "brussels" }',
        '{ start = "13:00", end = "17:00", office = "brussels", meeting_types = ["VIDEO"] }',
    )
    video_only = edit(
        '    { start = "09:00", end = "12:00", office = "brussels" },\n', "", video_only
    )
    loaded = config.loads(video_only, "test.toml")
    assert config.bookable_combinations(loaded.engine) == [("mortgage", "VIDEO", "brussels")]


CASES = [
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
    # -- organisation ---------------------------------------------------------------
    pytest.param(
        'timezone = "Europe/Brussels"\nlanguages',
        'timezone = "Europe/Brusels"\nlanguages',
        "organisation.timezone",
        'unknown time zone "Europe/Brusels"',
        id="organisation-time-zone",
    ),
    pytest.param(
        'timezone = "Europe/Brussels"\nlanguages',
        'timezone = "Europe"\nlanguages',
        "organisation.timezone",
        'unknown time zone "Europe"',
        id="time-zone-that-is-a-directory-of-zones",
    ),
    pytest.param(
        'languages = ["en", "nl"]',
        'languages = ["en", "nl", "en"]',
        "organisation.languages[2]",
        'language "en" is listed twice',
        id="duplicate-language",
    ),
    pytest.param(
        'public_url = "https://book.example.com"',
        'public_url = "ftp://book.example.com"',
        "organisation.public_url",
        'expected an http(s) URL such as "https://book.example.com", got "ftp://book.example.com"',
        id="public-url",
    ),
    pytest.param(
        'public_url = "https://book.example.com"',
        'public_url = "https://book.example.com:99999"',
        "organisation.public_url",
        "expected an http(s) URL",
        id="public-url-with-a-bad-port",
    ),
    pytest.param(
        '[agents.week]\n  tuesday = [{ start = "10:00", end = "16:00", office = "london" }]',
        "week = 5",
        "agents[1].week",
        "expected a table, got int",
        id="week-not-a-table",
    ),
    pytest.param(
        'allowed_origins = ["https://www.example.com"]',
        'allowed_origins = ["https://www.example.com/shop"]',
        "organisation.allowed_origins[0]",
        'expected an origin "scheme://host[:port]" without a path, got "https://www.example.com/shop"',
        id="origin-with-a-path",
    ),
    pytest.param(
        "{appointment_id}",
        "{appointment}",
        "organisation.video_url_template",
        "expected a URL that uses only the placeholder {appointment_id}",
        id="video-url-template-placeholder",
    ),
    *(
        pytest.param(
            "{appointment_id}",
            placeholder,
            "organisation.video_url_template",
            "expected a URL that uses only the placeholder {appointment_id}, written exactly so"
            f' (as in "https://meet.example/r/{{appointment_id}}"), {rest}',
            id=f"video-url-template-{name}",
        )
        for name, placeholder, rest in [
            ("attribute", "{appointment_id.real}", "not {appointment_id.real}"),
            ("index", "{appointment_id[0]}", "not {appointment_id[0]}"),
            ("width", "{appointment_id:>999999999999}", "not {appointment_id:>999999999999}"),
            ("conversion", "{appointment_id!r}", "not {appointment_id!r}"),
            ("positional", "{}", "not {}"),
            ("lone-brace", "{", 'got "https://meet.example.com/{"'),
        ]
    ),
    pytest.param(
        "{appointment_id}",
        "{{appointment_id}}",
        "organisation.video_url_template",
        "expected a URL without the characters '{' '}'",
        id="video-url-template-literal-braces",
    ),
    pytest.param(
        'public_url = "https://book.example.com"',
        'public_url = "https://afspraak.bankë.example"',
        "organisation.public_url",
        'expected an ASCII URL, got "https://afspraak.bankë.example": write the host name in'
        ' its punycode form, "https://afspraak.xn--bank-opa.example"',
        id="public-url-not-ascii",
    ),
    pytest.param(
        'public_url = "https://book.example.com"',
        'public_url = "https://bankë.example:8443/bōek"',
        "organisation.public_url",
        'expected an ASCII URL, got "https://bankë.example:8443/bōek": write the host name in'
        " its punycode form and percent-escape the other characters,"
        ' "https://xn--bank-opa.example:8443/b%C5%8Dek"',
        id="public-url-not-ascii-path",
    ),
    pytest.param(
        'public_url = "https://book.example.com"',
        'public_url = "https://book.example.com/<book>"',
        "organisation.public_url",
        "expected a URL without the characters '<' '>'",
        id="public-url-with-characters-outside-uris",
    ),
    pytest.param(
        'allowed_origins = ["https://www.example.com"]',
        'allowed_origins = ["https://www.bankë.example"]',
        "organisation.allowed_origins[0]",
        'expected an ASCII URL, got "https://www.bankë.example": write the host name in its'
        ' punycode form, "https://www.xn--bank-opa.example"',
        id="origin-not-ascii",
    ),
    pytest.param(
        "https://meet.example.com/{appointment_id}",
        "https://meet.bankë.example/{appointment_id}",
        "organisation.video_url_template",
        'expected an ASCII URL, got "https://meet.bankë.example/{appointment_id}": write the'
        ' host name in its punycode form, "https://meet.xn--bank-opa.example/{appointment_id}"',
        id="video-url-template-not-ascii",
    ),
    pytest.param(
        "hold_minutes = 7",
        'hold_minutes = 7\n[organisation.calendar_templates.en.VIDEO]\ntitle = "{{ agent_name "',
        "organisation.calendar_templates.en.VIDEO.title",
        "line 1: the template does not parse",
        id="calendar-template-syntax",
    ),
    pytest.param(
        "hold_minutes = 7",
        'hold_minutes = 7\n[organisation.calendar_templates.en.VIDEO]\ntitle = "{{ agnet_name }}"',
        "organisation.calendar_templates.en.VIDEO.title",
        "line 1: unknown variable 'agnet_name' (the variables are agent_name, customer_address,"
        " customer_name, ",
        id="calendar-template-unknown-variable",
    ),
    pytest.param(
        "hold_minutes = 7",
        "hold_minutes = 7\n[organisation.calendar_templates.en.VIDEO]\n"
        "description = \"{{ ''.__class__ }}\"",
        "organisation.calendar_templates.en.VIDEO.description",
        "line 1: attribute access (.__class__) is not allowed",
        id="calendar-template-outside-the-sandbox",
    ),
    pytest.param(
        "hold_minutes = 7",
        "hold_minutes = 7\n[organisation.calendar_templates.en.default]\n"
        'location = "{% for i in range(10000000000) %}x{% endfor %}"',
        "organisation.calendar_templates.en.default.location",
        "line 1: a loop ({% for %}) is not allowed",
        id="calendar-template-loop-over-a-huge-range",
    ),
    pytest.param(
        "hold_minutes = 7",
        "hold_minutes = 7\n[organisation.calendar_templates.en.default]\n"
        "title = \"{% include 'other.txt' %}\"",
        "organisation.calendar_templates.en.default.title",
        "line 1: {% include %} is not allowed",
        id="calendar-template-include",
    ),
    pytest.param(
        "hold_minutes = 7",
        "hold_minutes = 7\n[organisation.calendar_templates.en.default]\n"
        f'title = "{{{{ {"(" * 1000}1{")" * 1000} }}}}"',
        "organisation.calendar_templates.en.default.title",
        "the template is nested too deeply",
        id="calendar-template-nested-too-deeply",
    ),
    pytest.param(
        "hold_minutes = 7",
        'hold_minutes = 7\n[organisation.calendar_templates.en.FAX]\ntitle = "x"',
        "organisation.calendar_templates.en.FAX",
        'expected one of OFFICE, VIDEO, PHONE, ON_LOCATION, default, got "FAX"',
        id="calendar-template-meeting-type",
    ),
    pytest.param(
        "hold_minutes = 7",
        'hold_minutes = 7\n[organisation.calendar_templates.fr.default]\ntitle = "x"',
        "organisation.calendar_templates.fr",
        '"fr" is not a language of the organisation (en, nl)',
        id="calendar-template-language",
    ),
    # -- translatable text ----------------------------------------------------------
    pytest.param(
        'name = { en = "Loans", nl = "Leningen" }',
        'name = { nl = "Leningen" }',
        "categories[0].name",
        'missing the text in the first language "en"',
        id="text-without-first-language",
    ),
    pytest.param(
        'name = { en = "Loans", nl = "Leningen" }',
        'name = { en = "Loans", de = "Kredite" }',
        "categories[0].name.de",
        '"de" is not a language of the organisation (en, nl)',
        id="text-in-unknown-language",
    ),
    # -- categories -----------------------------------------------------------------
    pytest.param(
        'image = "https://www.example.com/loans.svg"',
        'image = "loans.svg"',
        "categories[0].image",
        'expected an http(s) URL, got "loans.svg"',
        id="category-image",
    ),
    pytest.param(
        '[[subjects]]\nid = "mortgage"',
        '[[categories]]\nid = "loans"\nname = "Again"\n\n[[subjects]]\nid = "mortgage"',
        "categories[1].id",
        'duplicate id "loans"',
        id="duplicate-category",
    ),
    # -- subjects -------------------------------------------------------------------
    pytest.param(
        'category = "loans"\nname = "Savings"',
        'category = "lones"\nname = "Savings"',
        "subjects[1].category",
        'unknown category "lones"; known: loans',
        id="subject-category",
    ),
    pytest.param(
        '[[offices]]\nid = "brussels"',
        '[[subjects]]\nid = "savings"\ncategory = "loans"\nname = "Again"\n\n'
        '[[offices]]\nid = "brussels"',
        "subjects[2].id",
        'duplicate id "savings"',
        id="duplicate-subject",
    ),
    pytest.param(
        'category = "loans"\nname = "Savings"',
        'external_id = "SUB-1"\ncategory = "loans"\nname = "Savings"',
        "subjects[1].external_id",
        'duplicate external_id "SUB-1"',
        id="duplicate-subject-external-id",
    ),
    pytest.param(
        'id = "notes"',
        'id = "amount"',
        "subjects[0].questions[2].id",
        'duplicate question id "amount"',
        id="duplicate-question",
    ),
    pytest.param(
        '{ id = "build", label = "Build" }',
        '{ id = "buy", label = "Build" }',
        "subjects[0].questions[1].options[1].id",
        'duplicate option id "buy"',
        id="duplicate-option",
    ),
    pytest.param(
        'options = [{ id = "buy", label = "Buy" }, { id = "build", label = "Build" }]',
        "options = []",
        "subjects[0].questions[1].options",
        "a select question needs at least one option",
        id="select-without-options",
    ),
    pytest.param(
        'label = "Notes"',
        'label = "Notes"\n  options = [{ id = "a", label = "A" }]',
        "subjects[0].questions[2].options",
        "only select and multi_select questions have options, not long_text",
        id="options-on-a-text-question",
    ),
    pytest.param(
        'label = "Amount"',
        'label = "Amount"\n  min = 10\n  max = 5',
        "subjects[0].questions[0].max",
        "max 5 is less than min 10",
        id="number-min-above-max",
    ),
    pytest.param(
        'label = "Notes"',
        'label = "Notes"\n  min = 1',
        "subjects[0].questions[2].min",
        "only number questions have min, not long_text",
        id="min-on-a-text-question",
    ),
    pytest.param(
        'label = "Amount"',
        'label = "Amount"\n  max_length = 10',
        "subjects[0].questions[0].max_length",
        "only text questions have max_length, not number",
        id="max-length-on-a-number-question",
    ),
    # -- offices --------------------------------------------------------------------
    pytest.param(
        'timezone = "Europe/London"',
        'timezone = "Mars/Olympus_Mons"',
        "offices[1].timezone",
        'unknown time zone "Mars/Olympus_Mons"',
        id="office-time-zone",
    ),
    pytest.param(
        '[[agents]]\nid = "alice"',
        '[[offices]]\nid = "london"\nname = "Again"\ntimezone = "Europe/London"\n'
        'address = { street = "2 Bank St", postal_code = "E14", city = "London", country = "GB" }'
        '\n\n[[agents]]\nid = "alice"',
        "offices[2].id",
        'duplicate id "london"',
        id="duplicate-office",
    ),
    pytest.param(
        'external_id = "OFF-2"',
        'external_id = "OFF-1"',
        "offices[1].external_id",
        'duplicate external_id "OFF-1"',
        id="duplicate-office-external-id",
    ),
    pytest.param(
        'country = "GB" }',
        'country = "GB" }\n  [offices.subjects.pension]\n  meeting_types = []\n  agents = []',
        "offices[1].subjects.pension",
        'unknown subject "pension"; known: mortgage, savings',
        id="office-subject",
    ),
    pytest.param(
        'agents = ["alice"]',
        'agents = ["alice", "zed"]',
        "offices[0].subjects.mortgage.agents[1]",
        'unknown agent "zed"; known: alice, bob',
        id="office-agent",
    ),
    pytest.param(
        'meeting_types = ["OFFICE", "VIDEO"]',
        'meeting_types = ["OFFICE", "VIDEO", "PHONE"]',
        "offices[0].subjects.mortgage.meeting_types[2]",
        'meeting type "PHONE" is not enabled for subject "mortgage" (enabled: OFFICE, VIDEO)',
        id="office-meeting-type-not-enabled-for-subject",
    ),
    pytest.param(
        'meeting_types = ["OFFICE", "VIDEO"]',
        'meeting_types = ["OFFICE"]',
        "offices[0].subjects.mortgage.rules.VIDEO",
        'overrides meeting type "VIDEO", which this office does not enable for "mortgage"'
        " (enabled: OFFICE)",
        id="override-for-a-meeting-type-the-office-does-not-enable",
    ),
    # -- agents ---------------------------------------------------------------------
    pytest.param(
        'id = "bob"',
        'id = "alice"',
        "agents[1].id",
        'duplicate id "alice"',
        id="duplicate-agent",
    ),
    pytest.param(
        'external_id = "EMP-2"',
        'external_id = "EMP-1"',
        "agents[1].external_id",
        'duplicate external_id "EMP-1"',
        id="duplicate-agent-external-id",
    ),
    pytest.param(
        'offices = ["london"]',
        'offices = ["london", "paris"]',
        "agents[1].offices[1]",
        'unknown office "paris"; known: brussels, london',
        id="agent-office",
    ),
    pytest.param(
        'expertise = ["savings"]',
        'expertise = ["savings", "pension"]',
        "agents[1].expertise[1]",
        'unknown subject "pension"; known: mortgage, savings',
        id="agent-expertise",
    ),
    pytest.param(
        'office = "london" }]',
        'office = "brussels" }]',
        "agents[1].week.tuesday[0].office",
        'office "brussels" is not one of the agent\'s offices (london)',
        id="block-office-not-the-agents",
    ),
    pytest.param(
        'office = "london" }]',
        'office = "london", subjects = ["pension"] }]',
        "agents[1].week.tuesday[0].subjects[0]",
        'unknown subject "pension"; known: mortgage, savings',
        id="block-subject",
    ),
    pytest.param(
        'start = "10:00", end = "16:00"',
        'start = "16:00", end = "10:00"',
        "agents[1].week.tuesday[0].end",
        "end 10:00 is not after start 16:00",
        id="end-before-start",
    ),
    pytest.param(
        'start = "10:00", end = "16:00"',
        'start = "10:00", end = "10:00"',
        "agents[1].week.tuesday[0].end",
        "end 10:00 is not after start 10:00",
        id="empty-block",
    ),
    pytest.param(
        'start = "13:00", end = "17:00"',
        'start = "11:30", end = "17:00"',
        "agents[0].week.monday[1]",
        "overlaps agents[0].week.monday[0]",
        id="overlapping-week-blocks",
    ),
    pytest.param(
        'template = "unavailable"',
        'blocks = [{ start = "09:00", end = "12:00", office = "brussels" },'
        ' { start = "11:00", end = "13:00", office = "brussels" }]',
        "agents[0].days[0].blocks[1]",
        "overlaps agents[0].days[0].blocks[0]",
        id="overlapping-day-template-blocks",
    ),
    pytest.param(
        'template = "unavailable"',
        'template = "unavailable"\n  blocks = []',
        "agents[0].days[0]",
        'expected exactly one of template = "unavailable" and blocks',
        id="day-template-with-both",
    ),
    pytest.param(
        'template = "unavailable"',
        "",
        "agents[0].days[0]",
        'expected exactly one of template = "unavailable" and blocks',
        id="day-template-with-neither",
    ),
    pytest.param(
        'template = "unavailable"',
        'template = "unavailable"\n  [[agents.days]]\n  date = "2026-12-24"\n'
        '  template = "unavailable"',
        "agents[0].days[1].date",
        "a day template for 2026-12-24 is already given",
        id="duplicate-day-template-date",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "message"), CASES)
def test_each_rule_reports_its_path_and_what_was_expected(
    old: str, new: str, path: str, message: str
) -> None:
    issues = issues_of(edit(old, new))
    assert [issue.path for issue in issues] == [path], issues
    assert issues[0].message.startswith(message), issues[0].message


def test_four_problems_are_reported_together() -> None:
    source = edit('agents = ["alice"]', 'agents = ["alice", "zed"]')
    source = edit('start = "10:00", end = "16:00"', 'start = "16:00", end = "10:00"', source)
    source = edit(
        'meeting_types = ["OFFICE", "VIDEO"]',
        'meeting_types = ["OFFICE", "VIDEO", "PHONE"]',
        source,
    )
    source = edit('timezone = "Europe/London"', 'timezone = "Europe/Londres"', source)
    paths = {issue.path for issue in issues_of(source)}
    assert paths == {
        "offices[0].subjects.mortgage.agents[1]",
        "agents[1].week.tuesday[0].end",
        "offices[0].subjects.mortgage.meeting_types[2]",
        "offices[1].timezone",
    }


def test_decoding_errors_in_several_items_are_all_reported() -> None:
    source = edit("duration = 60", "duration = 2")
    source = edit('end = "12:00"', 'end = "12h00"', source)
    source = edit('start = "10:00"', "start = 10", source)
    source = edit('country = "GB"', 'country = "gb"', source)
    paths = [issue.path for issue in issues_of(source)]
    assert paths == [
        "subjects[0].meeting_types.OFFICE.duration",
        "offices[1].address.country",
        "agents[0].week.monday[0].end",
        "agents[1].week.tuesday[0].start",
    ]


def test_an_agent_with_a_bad_block_still_has_its_day_templates_checked() -> None:
    source = edit('end = "12:00"', 'end = "12h00"')
    source = edit('template = "unavailable"', 'template = "unavailable"\n  blocks = []', source)
    issues = issues_of(source)
    assert [issue.path for issue in issues] == [
        "agents[0].week.monday[0].end",
        "agents[0].days[0]",
    ]


def test_a_reference_to_an_item_that_failed_to_decode_is_not_reported_twice() -> None:
    # alice is broken, but the office that names her should not add "unknown agent".
    issues = issues_of(edit('email = "alice@example.com"', "email = 5"))
    assert [issue.path for issue in issues] == ["agents[0].email"]


def test_the_error_lists_every_issue_one_per_line() -> None:
    source = edit('timezone = "Europe/London"', 'timezone = "Europe/Londres"')
    source = edit('agents = ["alice"]', 'agents = ["zed"]', source)
    with pytest.raises(ConfigError) as caught:
        config.loads(source, "test.toml")
    assert str(caught.value).splitlines() == [
        'offices[0].subjects.mortgage.agents[0]: unknown agent "zed"; known: alice, bob',
        'offices[1].timezone: unknown time zone "Europe/Londres"',
    ]


def test_a_toml_syntax_error_is_one_issue_with_line_and_column() -> None:
    issues = issues_of(edit('name = "Test Bank"', 'name = "Test Bank'))
    line = BASE.splitlines().index('name = "Test Bank"') + 1
    assert len(issues) == 1
    assert issues[0].path == "test.toml"
    assert issues[0].message.startswith(f"TOML syntax error at line {line}, column ")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param(
            "x = " + "9" * 5000,
            "a value cannot be read: Exceeds the limit (4300 digits) for integer string"
            " conversion: value has 5000 digits",
            id="huge-integer",
        ),
        pytest.param(
            "x = " + "[" * 5000 + "]" * 5000,
            "arrays or inline tables are nested too deeply to be read",
            id="deep-array",
        ),
        pytest.param(
            "x = " + "{ a = " * 5000 + "1" + " }" * 5000,
            "arrays or inline tables are nested too deeply to be read",
            id="deep-inline-table",
        ),
    ],
)
def test_values_that_tomllib_cannot_hold_are_one_issue(line: str, message: str) -> None:
    assert issues_of(BASE + "\n" + line + "\n") == [Issue("test.toml", message)]


@pytest.mark.parametrize(
    "new",
    [
        pytest.param('"https://meet.example.com/{appointment_id.real}"', id="attribute"),
        pytest.param('"https://meet.example.com/{appointment_id:>999999999999}"', id="width"),
        pytest.param('"https://meet.bankë.example/{appointment_id}"', id="not-ascii"),
    ],
)
def test_check_exits_2_on_a_bad_video_url_template(
    tmp_path: Path, new: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "organisation.toml"
    path.write_text(edit('"https://meet.example.com/{appointment_id}"', new), encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", str(path)])
    assert exited.value.code == 2
    assert "organisation.video_url_template: expected" in capsys.readouterr().err


def test_a_missing_organisation_table_is_reported() -> None:
    issues = issues_of('[[categories]]\nid = "loans"\nname = "Loans"\n')
    assert [str(issue) for issue in issues] == [
        "organisation: required table [organisation] is missing"
    ]


def test_load_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path / "nope.toml")
    assert caught.value.issues[0].message.startswith("cannot read the file")


def test_translatable_text_takes_both_forms() -> None:
    org = config.loads(BASE, "test.toml").organisation
    plain, table = org.subjects[1].name, org.subjects[0].name
    assert plain == "Savings"
    assert table == {"en": "Mortgage", "nl": "Hypotheek"}
    assert vocabulary.text(plain, "nl", "en") == "Savings"
    assert vocabulary.text(table, "nl", "en") == "Hypotheek"
    assert vocabulary.text(table, "fr", "en") == "Mortgage"
    assert vocabulary.text({"nl": "Hypotheek"}, "fr", "en") == "Hypotheek"


def test_day_template_dates_may_be_toml_dates_or_strings() -> None:
    source = edit("date = 2026-12-24", 'date = "2026-12-24"')
    assert config.loads(source).organisation == config.loads(BASE).organisation


def test_defaults_fill_what_the_file_leaves_out() -> None:
    settings = config.loads(BASE).organisation.organisation
    assert (settings.hold_minutes, settings.manage_days_after) == (7, 30)
    assert config.PlanningRule() == config.PlanningRule(
        duration=30,
        granularity=15,
        trailing_buffer=0,
        earliest=0,
        latest=60,
        auto_accept=True,
        max_concurrent=1,
    )


def test_the_version_follows_the_bytes() -> None:
    assert config.loads(BASE).version == config.loads(BASE).version
    assert config.loads(BASE).version != config.loads(BASE + "\n# edited\n").version
    assert len(config.loads(BASE).version) == 16
