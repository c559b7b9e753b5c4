"""`[agents.calendar]` in the organisation file (SPEC 12): checked like every key, its
secrets read from the environment, a missing one reported by `rendezvous check` and
`serve`, and never logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server import cli, config
from server.app import create_app
from server.calendars import links
from server.calendars.problems import MissingSecret
from server.settings import Settings
from tests.server.calendars._servers import FeedServer
from tests.server.calendars.conftest import organisation, refresh

pytestmark = pytest.mark.organisation("calendars")

SECRET = "https://outlook.office365.com/owa/calendar/0a1b2c/d3e4f5/reachcalendar.ics"


def load(alice: str, *, max_stale: str = "24") -> config.LoadedOrganisation:
    text = organisation(alice=alice).replace(
        "calendar_max_stale_hours = 24", f"calendar_max_stale_hours = {max_stale}"
    )
    return config.loads(text)


def problems(alice: str, **kwargs: str) -> list[str]:
    try:
        load(alice, **kwargs)
    except config.ConfigError as exc:
        return [str(issue) for issue in exc.issues]
    return []


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param('kind = "ics"\nurl_env = "A"', [], id="ics-from-the-environment"),
        pytest.param(
            'kind = "ics"\nurl = "webcal://p01-caldav.icloud.com/published/2/x"', [], id="webcal"
        ),
        pytest.param(
            'kind = "caldav"\nurl = "https://dav.example/cal/alice/work/"\nusername = "alice"\n'
            'password_env = "P"\nwrite = false',
            [],
            id="caldav",
        ),
        pytest.param(
            'kind = "ics"',
            [
                "agents[0].calendar: expected exactly one of url and url_env (url_env names the"
                " environment variable that holds the address, which is a secret)"
            ],
            id="no-address",
        ),
        pytest.param(
            'kind = "ics"\nurl = "https://x.example/a.ics"\nurl_env = "A"',
            [
                "agents[0].calendar: expected exactly one of url and url_env (url_env names the"
                " environment variable that holds the address, which is a secret)"
            ],
            id="two-addresses",
        ),
        pytest.param(
            'kind = "ics"\nurl = "ftp://x.example/a.ics"',
            [
                'agents[0].calendar.url: expected an http(s) or webcal address, got "ftp://x.example/a.ics"'
            ],
            id="ftp",
        ),
        pytest.param(
            'kind = "ics"\nurl_env = "A"\nwrite = true\nusername = "alice"',
            [
                'agents[0].calendar.username: is only for kind = "caldav"',
                'agents[0].calendar.write: is only for kind = "caldav"',
            ],
            id="caldav-keys-on-ics",
        ),
        pytest.param(
            'kind = "caldav"\nurl = "https://dav.example/c/"\nusername = "alice"',
            ["agents[0].calendar.password_env: expected username and password_env together"],
            id="user-without-password",
        ),
        pytest.param(
            'kind = "exchange"\nurl_env = "A"',
            ['agents[0].calendar.kind: expected one of caldav, ics, got "exchange"'],
            id="unknown-kind",
        ),
        pytest.param(
            'kind = "ics"\nurl_env = "A"\npassword = "hunter2"',
            [
                "agents[0].calendar.password: unknown key; expected one of kind, url, url_env,"
                " username, password_env, write"
            ],
            id="a-password-in-the-file",
        ),
        pytest.param(
            'kind = "ics"\nurl_env = "1A"',
            [
                "agents[0].calendar.url_env: expected the name of an environment variable (letters,"
                ' digits, _; no digit first), got "1A"'
            ],
            id="bad-variable-name",
        ),
    ],
)
def test_the_calendar_table_is_checked(table: str, expected: list[str]) -> None:
    assert sorted(problems(f"[agents.calendar]\n{table}\n")) == sorted(expected)


@pytest.mark.parametrize("hours", ["-1", "721", '"24"'])
def test_the_staleness_is_hours_from_0_to_720(hours: str) -> None:
    [problem] = problems("", max_stale=hours)
    assert problem.startswith("organisation.calendar_max_stale_hours: expected")


def test_a_link_knows_its_agent_s_zone_and_changes_its_fingerprint_with_the_table() -> None:
    table = '[agents.calendar]\nkind = "ics"\nurl_env = "A"\n'
    found = links.links_of(load(table).organisation)
    assert list(found) == ["alice"]
    link = found["alice"]
    assert (link.kind, link.zone, link.write) == ("ics", "Europe/Brussels", False)
    other = links.links_of(load(table.replace('"A"', '"B"')).organisation)["alice"]
    assert other.fingerprint != link.fingerprint
    caldav = links.links_of(
        load(
            '[agents.calendar]\nkind = "caldav"\nurl = "https://d.example/c/"\n'
            'username = "a"\npassword_env = "P"\n'
        ).organisation
    )["alice"]
    assert caldav.write  # write defaults to true for CalDAV


def test_secrets_come_from_the_environment_and_webcal_is_https() -> None:
    table = '[agents.calendar]\nkind = "ics"\nurl_env = "ALICE_CALENDAR_URL"\n'
    link = links.links_of(load(table).organisation)["alice"]
    webcal = SECRET.replace("https://", "webcal://")
    assert links.access(link, {"ALICE_CALENDAR_URL": webcal}).url == SECRET
    with pytest.raises(MissingSecret) as raised:
        links.access(link, {})
    assert raised.value.message == "the environment variable ALICE_CALENDAR_URL is not set"
    with pytest.raises(MissingSecret):
        links.access(link, {"ALICE_CALENDAR_URL": "javascript:alert(1)"})
    assert "reachcalendar" not in repr(links.access(link, {"ALICE_CALENDAR_URL": SECRET}))


def test_check_reports_a_missing_variable_and_serve_refuses_to_start(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ALICE_CALENDAR_URL", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", str(config_path)])
    assert exited.value.code == 2
    assert (
        "agents[0].calendar.url_env: the environment variable ALICE_CALENDAR_URL is not set"
        in capsys.readouterr().err
    )
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(config_path))
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve"])  # refuses before it listens
    assert exited.value.code == 2
    monkeypatch.setenv("ALICE_CALENDAR_URL", "not an address")
    with pytest.raises(SystemExit):
        cli.main(["check", str(config_path)])
    assert "does not hold an http(s) or webcal address" in capsys.readouterr().err
    monkeypatch.setenv("ALICE_CALENDAR_URL", SECRET)
    assert cli.main(["check", str(config_path)]) == 0
    assert "reachcalendar" not in capsys.readouterr().out


def test_the_address_is_never_logged(
    settings: Settings,
    feeds: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # as `rendezvous serve` logs
    path = "/owa/calendar/s3cr3t-t0k3n/cal.ics"
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        monkeypatch.setenv(
            "ALICE_CALENDAR_URL", feeds.serve(path, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        )
        refresh(client)  # works
        monkeypatch.setenv("ALICE_CALENDAR_URL", f"http://127.0.0.1:9{path}")
        refresh(client)  # fails: nothing listens on port 9
    assert feeds.count(path) == 1
    assert "cannot be read" in caplog.text
    assert "s3cr3t" not in caplog.text and "owa/calendar" not in caplog.text
