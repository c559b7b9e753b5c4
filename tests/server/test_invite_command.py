"""`rendezvous invite` refuses what could never be booked, with the reason in words, and
says what the link pre-selects (the link alone on stdout, the details on stderr)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import cli
from tests.server.test_doctor import SMALL

#: The small organisation with a second office, Harbour, where only Bob works, and a
#: second subject, pensions, that Ann is assigned to but has no expertise in.
ORGANISATION = (
    SMALL.replace(
        '[[agents]]\nid = "ann"',
        """[[subjects]]
id = "pension"
category = "advice"
name = "Pension"
  [subjects.meeting_types.OFFICE]
  [subjects.meeting_types.VIDEO]

[[offices]]
id = "harbour"
name = "Harbour"
timezone = "Europe/Brussels"
address = { street = "Quay 1", postal_code = "2000", city = "Antwerp", country = "BE" }
  [offices.subjects.tax]
  meeting_types = ["OFFICE"]
  agents = ["bob"]

[[agents]]
id = "ann\"""",
    ).replace(
        '  [offices.subjects.tax]\n  meeting_types = ["OFFICE", "VIDEO"]\n  agents = ["ann"]\n',
        '  [offices.subjects.tax]\n  meeting_types = ["OFFICE", "VIDEO"]\n  agents = ["ann"]\n'
        '  [offices.subjects.pension]\n  meeting_types = ["OFFICE"]\n  agents = ["ann"]\n',
    )
    + """
[[agents]]
id = "bob"
name = "Bob Jones"
offices = ["harbour"]
expertise = ["tax"]
active = false
  [agents.week]
  monday = [{ start = "09:00", end = "17:00", office = "harbour" }]
"""
)


@pytest.fixture
def environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "organisation.toml"
    path.write_text(ORGANISATION)
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(path))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(tmp_path / "var" / "rendezvous.sqlite3"))
    monkeypatch.setenv("RENDEZVOUS_SECRET_KEY", "test-secret-key-not-for-production")


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        pytest.param(
            ["--agent", "ann", "--subject", "pension"],
            "Ann Smith cannot be booked through this invite: Ann Smith does not have Pension"
            " in their expertise (agents.expertise).",
            id="assigned-without-the-expertise",
        ),
        pytest.param(
            ["--agent", "ann", "--office", "harbour"],
            "Ann Smith cannot be booked through this invite: Ann Smith is not assigned to"
            " anything at Harbour (offices.subjects.*.agents).",
            id="an-office-where-the-agent-does-not-work",
        ),
        pytest.param(
            ["--agent", "ann", "--subject", "pension", "--meeting-type", "VIDEO"],
            "Main Street does not offer Pension by video (offices.subjects.pension.meeting_types)",
            id="a-meeting-type-the-office-does-not-enable",
        ),
        pytest.param(
            ["--agent", "bob"],
            "Bob Jones cannot be booked through this invite: Bob Jones is not active"
            " (active = false).",
            id="an-inactive-agent",
        ),
    ],
)
def test_what_cannot_be_booked_is_refused_with_the_reason(
    environ: None, capsys: pytest.CaptureFixture[str], arguments: list[str], reason: str
) -> None:
    assert cli.main(["invite", *arguments]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert reason in err


def test_a_bookable_invite_prints_the_link_and_what_it_preselects(
    environ: None, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--agent", "ann", "--subject", "tax", "--meeting-type", "VIDEO"]
    assert cli.main(["invite", *arguments, "--expires", "3d", "--single-use"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("https://book.small.example/book?invite=")
    assert len(out.strip().splitlines()) == 1  # `$(rendezvous invite ...)` is the link
    assert "Invite for Ann Smith (ann)" in err
    assert "subject:      Tax return (tax)" in err
    assert "meeting type: VIDEO (by video)" in err
    assert "office:       any where the agent works" in err
    assert "single use:   yes" in err
    assert "expires:      " in err and "(Europe/Brussels)" in err


def test_an_invite_naming_only_the_agent_is_fine_when_they_serve_something(
    environ: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["invite", "--agent", "ann"]) == 0
    assert "subject:      any the agent serves" in capsys.readouterr().err
