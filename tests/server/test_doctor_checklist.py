"""The "no categories available" checklist, one cause at a time: `rendezvous doctor` names
each in words, and `check` and `doctor` count the same bookable combinations.

Each test breaks the small organisation of `test_doctor` in one way. Where a colleague
keeps the combination bookable (the expertise case), the doctor still names the agent:
the FAQ's check 3 is about the agent, not the combination.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from availability import model
from server import cli, config, doctor
from tests.server.test_doctor import SMALL, small
from tests.support import DEMO as DEMO_CONFIG

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Brussels

#: A second agent at Main Street who serves tax advice, so the combination stays bookable.
BOB = """
[[agents]]
id = "bob"
name = "Bob Jones"
offices = ["main"]
expertise = ["tax"]
  [agents.week]
  monday = [{ start = "09:00", end = "17:00", office = "main" }]
  tuesday = [{ start = "09:00", end = "17:00", office = "main" }]
  wednesday = [{ start = "09:00", end = "17:00", office = "main" }]
"""


def report_of(loaded: config.LoadedOrganisation, busy: model.Busy | None = None) -> str:
    return doctor.diagnose(loaded, busy or model.Busy(), NOW).text()


def with_bob(*edits: tuple[str, str]) -> config.LoadedOrganisation:
    text = SMALL.replace('agents = ["ann"]', 'agents = ["ann", "bob"]') + BOB
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return config.loads(text)


def test_1_a_hidden_subject_is_named() -> None:
    text = report_of(small(("available_for_customers = true", "available_for_customers = false")))
    assert "Tax return is hidden from customers (available_for_customers = false)" in text


def test_2_a_subject_without_meeting_types_is_named() -> None:
    loaded = small(
        ("  [subjects.meeting_types.OFFICE]\n  [subjects.meeting_types.VIDEO]\n", ""),
        ('meeting_types = ["OFFICE", "VIDEO"]', "meeting_types = []"),
    )
    assert "Tax return has no meeting type enabled" in report_of(loaded)


def test_3_a_switched_off_office_is_named() -> None:
    text = report_of(small(('"Main Street"\nactive = true', '"Main Street"\nactive = false')))
    assert "Main Street is switched off (active = false)" in text


def test_4_a_meeting_type_the_office_does_not_enable_is_named() -> None:
    text = report_of(small(('meeting_types = ["OFFICE", "VIDEO"]', 'meeting_types = ["OFFICE"]')))
    assert "Main Street does not offer Tax return by video" in text


def test_5_nobody_assigned_is_named() -> None:
    text = report_of(small(('agents = ["ann"]', "agents = []")))
    assert "Nobody is assigned to Tax return at Main Street." in text


def test_6_an_assigned_agent_without_the_expertise_is_named_even_when_a_colleague_serves() -> None:
    loaded = with_bob(('expertise = ["tax"]', "expertise = []"))
    report = doctor.diagnose(loaded, model.Busy(), NOW)
    assert report.free == report.bookable == 2  # Bob keeps it bookable
    assert (
        "Ann Smith is assigned to Tax return at Main Street but does not have Tax return"
        " in their expertise (agents.expertise)." in report.assignment_problems
    )


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        pytest.param(
            ('"Ann Smith"\nactive = true', '"Ann Smith"\nactive = false'),
            "Ann Smith is not active (active = false).",
            id="inactive",
        ),
        pytest.param(
            ("online_planning = true", "online_planning = false"),
            "Ann Smith is not planning online (online_planning = false).",
            id="not-online",
        ),
    ],
)
def test_7_an_inactive_or_offline_agent_is_named(edit: tuple[str, str], words: str) -> None:
    assert words in report_of(small(edit))


def test_8_an_assigned_agent_without_hours_at_that_office_is_named() -> None:
    loaded = with_bob(
        ('monday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
        ('tuesday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
        ('wednesday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
    )
    report = doctor.diagnose(loaded, model.Busy(), NOW)
    assert (
        "Ann Smith is assigned to Tax return at Main Street but has no hours there that allow"
        " it (agents.week and agents.days)." in report.assignment_problems
    )


def test_8_hours_only_for_another_meeting_type_are_named_with_the_missing_type() -> None:
    loaded = with_bob(
        (
            'monday = [{ start = "09:00", end = "17:00", office = "main" }]',
            'monday = [{ start = "09:00", end = "17:00", office = "main",'
            ' meeting_types = ["OFFICE"] }]',
        ),
        ('tuesday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
        ('wednesday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
    )
    problems = doctor.diagnose(loaded, model.Busy(), NOW).assignment_problems
    assert any("has no hours there that allow it by video" in p for p in problems)


def test_8_a_day_template_that_takes_the_only_day_away_is_named() -> None:
    # Ann works only on Wednesday 25 November; a day template makes her unavailable.
    loaded = small(
        ('monday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
        ('tuesday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
        (
            'wednesday = [{ start = "09:00", end = "17:00", office = "main" }]',
            'wednesday = [{ start = "09:00", end = "17:00", office = "main" }]\n'
            "  [[agents.days]]\n"
            '  date = "2026-11-25"\n'
            '  template = "unavailable"\n'
            "  [[agents.days]]\n"
            '  date = "2026-12-02"\n'
            '  template = "unavailable"',
        ),
    )
    report = doctor.diagnose(loaded, model.Busy(), NOW, days=8)
    assert "Ann Smith has no hours at Main Street for this subject at the office" in report.text()
    assert report.free == 0 and report.bookable == 2


def test_8_a_duration_longer_than_every_block_is_named() -> None:
    loaded = small(("  [subjects.meeting_types.OFFICE]\n", "  [subjects.meeting_types.OFFICE]\n"
                    "  duration = 600\n"))  # fmt: skip
    text = report_of(loaded)
    assert (
        "Ann Smith's hours at Main Street that allow Tax return at the office are all shorter"
        " than the appointment (duration = 600 minutes)" in text
    )
    assert "600 minutes is longer than every block of hours that allows it" in text


def test_9_a_minimum_notice_beyond_the_horizon_is_named() -> None:
    loaded = small(("  [subjects.meeting_types.OFFICE]\n", "  [subjects.meeting_types.OFFICE]\n"
                    "  earliest = 525600\n  latest = 30\n"))  # fmt: skip
    text = report_of(loaded)
    assert (
        "the minimum notice for Tax return at the office at Main Street (earliest = 525600"
        " minutes) reaches past the booking horizon (latest = 30 days): nothing can ever be"
        " booked" in text
    )


def test_10_everything_booked_is_named() -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    busy = model.Busy({"ann": [model.Occupation(start, datetime(2026, 12, 31, tzinfo=UTC))]})
    report = doctor.diagnose(small(), busy, NOW)
    assert "Ann Smith is fully booked at Main Street in the next 14 days" in report.text()
    assert report.free == 0 and report.exit_code == doctor.EXIT_NOTHING_BOOKABLE
    assert report.text().endswith("customers will see no free times.")


# check and doctor agree ---------------------------------------------------------------


@pytest.mark.parametrize(
    "loaded",
    [
        pytest.param(config.load(DEMO_CONFIG), id="demo"),
        pytest.param(small(), id="small"),
        pytest.param(small(("online_planning = true", "online_planning = false")), id="none"),
        pytest.param(with_bob(('expertise = ["tax"]', "expertise = []")), id="colleague"),
    ],
)
def test_check_and_doctor_count_the_same_bookable_combinations(
    loaded: config.LoadedOrganisation,
) -> None:
    counted = len(config.bookable_combinations(loaded.engine))
    assert doctor.diagnose(loaded, model.Busy(), NOW).bookable == counted
    assert f"bookable combinations (subject × meeting type × office): {counted}" in (
        config.summary(loaded)
    )


def test_the_demo_counts_37_in_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", str(DEMO_CONFIG)]) == 0
    assert "bookable combinations (subject × meeting type × office): 37" in capsys.readouterr().out
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(tmp_path / "none.sqlite3"))
    assert cli.main(["doctor"]) == 0
    assert ": 37 can be booked (as `rendezvous check` counts them)" in capsys.readouterr().out
