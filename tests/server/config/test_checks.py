"""The organisation file's cross-reference checks (server/config/checks.py): what one
value alone cannot tell, each reported with its path, all at once."""

from __future__ import annotations

import pytest

from tests.server.config._base import edit, issues_of

CHECKS = [
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


@pytest.mark.parametrize(("old", "new", "path", "message"), CHECKS)
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
