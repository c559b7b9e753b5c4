"""`rendezvous doctor`: the reason codes of SPEC 4, in words, for what cannot be booked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from availability import model
from server import cli, config, doctor
from tests.support import DEMO, NOW, organisation_text

#: A tiny organisation that offers tax advice at the office and by video, Monday to
#: Wednesday; each case below breaks it in one way.
SMALL = organisation_text("doctor")


def small(*edits: tuple[str, str]) -> config.LoadedOrganisation:
    text = SMALL
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return config.loads(text)


def diagnose(loaded: config.LoadedOrganisation, **options: object) -> doctor.Report:
    return doctor.diagnose(loaded, model.Busy(), NOW, **options)  # type: ignore[arg-type]


def codes(report: doctor.Report) -> set[str]:
    return {reason.code for finding in report.findings for reason in finding.reasons}


def test_the_small_organisation_offers_everything() -> None:
    report = diagnose(small())
    assert report.findings == []
    assert report.bookable == report.checked == report.free == 2  # OFFICE, VIDEO at Main Street
    assert report.exit_code == 0


@pytest.mark.parametrize(
    ("edits", "code", "words"),
    [
        pytest.param(
            [('"Main Street"\nactive = true', '"Main Street"\nactive = false')],
            "OFFICE_INACTIVE",
            "Tax return at the office at Main Street: nothing can be booked — "
            "Main Street is switched off (active = false).",
            id="office-inactive",
        ),
        pytest.param(
            [('meeting_types = ["OFFICE", "VIDEO"]', 'meeting_types = ["OFFICE"]')],
            "MEETING_TYPE_NOT_ENABLED_FOR_OFFICE",
            "Tax return by video: nothing can be booked — "
            "Main Street does not offer Tax return by video "
            "(offices.subjects.tax.meeting_types).",
            id="meeting-type-not-enabled-at-office",
        ),
        pytest.param(
            [('agents = ["ann"]', "agents = []")],
            "NO_AGENT_ASSIGNED",
            "Tax return at the office at Main Street: nothing can be booked — "
            "nobody at Main Street is assigned to Tax return.",
            id="nobody-assigned",
        ),
        pytest.param(
            [('expertise = ["tax"]', "expertise = []")],
            "AGENT_NO_EXPERTISE",
            "Ann Smith is assigned at Main Street but does not have Tax return in their"
            " expertise.",
            id="expertise-missing",
        ),
        pytest.param(
            [('"Ann Smith"\nactive = true', '"Ann Smith"\nactive = false')],
            "AGENT_INACTIVE",
            "Ann Smith is not active (active = false).",
            id="agent-inactive",
        ),
        pytest.param(
            [("online_planning = true", "online_planning = false")],
            "AGENT_NOT_ONLINE",
            "Tax return by video at Main Street: nothing can be booked — "
            "Ann Smith is not planning online (online_planning = false).",
            id="agent-not-online",
        ),
        pytest.param(
            [
                ('monday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
                ('tuesday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
                ('wednesday = [{ start = "09:00", end = "17:00", office = "main" }]', ""),
            ],
            "OUTSIDE_HOURS",
            "Ann Smith has no hours at Main Street for this subject at the office in the next"
            " 14 days.",
            id="no-hours",
        ),
        pytest.param(
            [("  [subjects.meeting_types.OFFICE]\n", "  [subjects.meeting_types.OFFICE]\n"
              "  earliest = 30000\n")],
            "TOO_SOON",
            "Ann Smith's hours at Main Street in the next 14 days all start too soon for the"
            " minimum notice (earliest = 30000 minutes).",
            id="too-soon",
        ),
    ],
)  # fmt: skip
def test_each_way_to_fail_is_explained_in_words(
    edits: list[tuple[str, str]], code: str, words: str
) -> None:
    report = diagnose(small(*edits))
    assert code in codes(report)
    assert words in report.text()


def test_a_hidden_subject_is_an_organisation_level_problem() -> None:
    report = diagnose(small(("available_for_customers = true", "available_for_customers = false")))
    assert report.organisation_problems == [
        "Tax return is hidden from customers (available_for_customers = false):"
        " only an agent's invite link can book it."
    ]
    assert report.bookable == 0
    assert report.exit_code == doctor.EXIT_NOTHING_BOOKABLE


def test_organisation_level_problems_come_first() -> None:
    report = diagnose(
        small(
            ('"Main Street"\nactive = true', '"Main Street"\nactive = false'),
            ("online_planning = true", "online_planning = false"),
        )
    )
    text = report.text()
    assert text.index("Organisation") < text.index("Tax return (tax)")
    assert "  - Main Street is switched off (active = false): nothing there can be booked." in text
    assert "  - Ann Smith is not planning online (online_planning = false)." in text
    assert text.endswith("Nothing at all can be booked: customers will see no categories.")


def test_the_demo_explains_its_closed_office_and_its_hidden_subject() -> None:
    report = diagnose(config.load(DEMO))
    assert report.exit_code == 0
    ghent = [f for f in report.findings if f.office == "ghent"]
    assert ghent and all({r.code for r in f.reasons} == {"OFFICE_INACTIVE"} for f in ghent)
    assert {(f.subject, f.meeting_type) for f in ghent} == {
        ("savings", "OFFICE"),
        ("home-insurance", "OFFICE"),
        ("home-insurance", "ON_LOCATION"),
    }
    text = report.text()
    assert "Estate planning is hidden from customers" in text
    assert "Jan De Smet is not planning online (online_planning = false)." in text
    assert "Ines Claes is not active (active = false)." in text


def test_the_demo_on_christmas_eve_shows_who_is_away(tmp_path: Path) -> None:
    christmas_eve = datetime(2026, 12, 24, 6, 0, tzinfo=UTC)
    report = doctor.diagnose(
        config.load(DEMO), model.Busy(), christmas_eve, days=1, subject="new-account"
    )
    # Emma and Alice are unavailable on 24 December: nothing for a new account in Brussels.
    brussels = next(
        f for f in report.findings if f.office == "brussels" and f.meeting_type == "OFFICE"
    )
    assert {(r.agent, r.code) for r in brussels.reasons} == {
        ("alice", "OUTSIDE_HOURS"),
        ("emma", "OUTSIDE_HOURS"),
    }


def test_filters_narrow_the_report() -> None:
    report = diagnose(config.load(DEMO), subject="savings", office="ghent")
    assert {f.subject for f in report.findings} == {"savings"}
    assert {f.office for f in report.findings} == {"ghent"}


def test_every_reason_code_has_words() -> None:
    import availability

    assert set(doctor.MESSAGES) == set(availability.REASON_CODES)


# -- the command --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "exit_code"),
    [
        pytest.param(DEMO.read_text(), 0, id="demo-offers-something"),
        pytest.param(
            SMALL.replace("online_planning = true", "online_planning = false"),
            1,
            id="nothing-bookable",
        ),
        pytest.param(SMALL.replace('timezone = "Europe/Brussels"', 'timezone = "Mars"', 1), 2,
                     id="invalid-file"),
    ],
)  # fmt: skip
def test_the_command_exit_code(
    text: str,
    exit_code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "organisation.toml"
    path.write_text(text)
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(path))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(tmp_path / "missing.sqlite3"))
    try:
        code = cli.main(["doctor", "--days", "7"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == exit_code
    out = capsys.readouterr().out
    if exit_code != 2:
        assert out.startswith("Checked ")
    assert not (tmp_path / "missing.sqlite3").exists()  # doctor never creates a database


def test_the_command_refuses_unknown_ids(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(DEMO))
    assert cli.main(["doctor", "--office", "paris"]) == 2
    assert '--office: no such id "paris"' in capsys.readouterr().err
