"""`rendezvous check` warns, without failing, about rules that can never be met."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import cli
from server.config.warnings import rule_warnings
from tests.server.test_doctor import SMALL, small
from tests.support import DEMO as DEMO_CONFIG

OFFICE_RULE = "  [subjects.meeting_types.OFFICE]\n"


def warnings_of(*edits: tuple[str, str]) -> list[str]:
    return [str(warning) for warning in rule_warnings(small(*edits))]


def test_the_demo_and_the_small_organisation_have_no_warnings() -> None:
    from server import config

    assert rule_warnings(config.load(DEMO_CONFIG)) == []
    assert warnings_of() == []


@pytest.mark.parametrize(
    ("earliest", "latest", "words"),
    [
        pytest.param(525600, 60, "nothing can ever be booked", id="a-year-of-notice"),
        pytest.param(31 * 1440, 30, "nothing can ever be booked", id="one-day-past"),
        pytest.param(
            30 * 1440 + 60, 30, "only that day's late hours can be booked", id="into-the-last-day"
        ),
    ],
)
def test_a_minimum_notice_past_the_horizon_is_a_warning_at_its_key(
    earliest: int, latest: int, words: str
) -> None:
    [warning] = warnings_of((OFFICE_RULE, f"{OFFICE_RULE}  earliest = {earliest}\n"
                                          f"  latest = {latest}\n"))  # fmt: skip
    assert warning.startswith("subjects[0].meeting_types.OFFICE.earliest: the minimum notice")
    assert words in warning
    assert warning.endswith("— Tax return at the office at Main Street")


def test_a_notice_within_the_horizon_is_no_warning() -> None:
    assert warnings_of((OFFICE_RULE, f"{OFFICE_RULE}  earliest = 1440\n  latest = 1\n")) == []


def test_an_office_override_is_reported_at_the_override() -> None:
    [warning] = warnings_of(
        (
            '  agents = ["ann"]\n',
            '  agents = ["ann"]\n  [offices.subjects.tax.rules.VIDEO]\n  duration = 720\n',
        )
    )
    assert warning == (
        "offices[0].subjects.tax.rules.VIDEO.duration: 720 minutes is longer than every block"
        " of hours that allows it (the longest: 480 minutes): it can never be booked"
        " — Tax return by video at Main Street"
    )


def test_a_combination_without_any_hours_is_the_doctors_business_not_a_warning() -> None:
    no_hours = [
        (f'{day} = [{{ start = "09:00", end = "17:00", office = "main" }}]', "")
        for day in ("monday", "tuesday", "wednesday")
    ]
    assert warnings_of(*no_hours, (OFFICE_RULE, f"{OFFICE_RULE}  duration = 900\n")) == []


def test_the_command_prints_warnings_and_still_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "organisation.toml"
    path.write_text(SMALL.replace(OFFICE_RULE, f"{OFFICE_RULE}  duration = 600\n", 1))
    assert cli.main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 warning(s): rules that can never be met" in out
    assert "subjects[0].meeting_types.OFFICE.duration: 600 minutes is longer" in out
