"""Loading the organisation file (server/config/loading.py): TOML, decoding item by item,
every problem at once, the version."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from server import cli, config, vocabulary
from server.config import ConfigError, Issue
from tests.server.config._base import BASE, edit, issues_of
from tests.support import DEMO


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
