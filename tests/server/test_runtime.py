"""The organisation file is reloaded when it changes; a bad edit keeps the last good one."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server import config
from server.app import create_app
from server.runtime import OrganisationFile
from server.settings import Settings
from tests.support import edit_file, eventually

pytestmark = pytest.mark.organisation("minimal")


def test_an_unchanged_file_is_not_reloaded(config_path: Path) -> None:
    organisation_file = OrganisationFile.load(config_path)
    assert organisation_file.refresh() is False


def test_a_good_edit_replaces_the_organisation(config_path: Path) -> None:
    organisation_file = OrganisationFile.load(config_path)
    before = organisation_file.current.version
    edit_file(config_path, "# The least", "# An edit. The least")
    assert organisation_file.refresh() is True
    assert organisation_file.current.version != before
    assert organisation_file.last_error is None


def test_a_bad_edit_keeps_the_last_good_version_and_says_why(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    organisation_file = OrganisationFile.load(config_path)
    good = organisation_file.current
    edit_file(config_path, "[[categories]]", "[unknown_section]\nx = 1\n\n[[categories]]")
    with caplog.at_level(logging.ERROR, logger="rendezvous.runtime"):
        assert organisation_file.refresh() is False
    assert organisation_file.current is good
    assert organisation_file.last_error is not None
    assert "unknown_section" in organisation_file.last_error
    assert "still serving version " + good.version in caplog.text


def test_a_deleted_file_keeps_the_last_good_version(config_path: Path) -> None:
    organisation_file = OrganisationFile.load(config_path)
    good = organisation_file.current
    config_path.unlink()
    assert organisation_file.refresh() is False
    assert organisation_file.current is good


def test_the_running_server_picks_up_an_edit_without_restart(settings: Settings) -> None:
    settings = dataclasses.replace(settings, reload_interval=0.05)
    with TestClient(create_app(settings)) as client:
        before = client.get("/healthz").json()["config_version"]
        edit_file(settings.config_path, "# The least", "# Edited while running. The least")
        after = eventually(
            lambda: client.get("/healthz").json()["config_version"],
            lambda version: version != before,
            timeout=5,
            what="the reload of a good edit",
        )

        edit_file(settings.config_path, "[organisation]", "this is = not [valid toml")
        health = eventually(
            lambda: client.get("/healthz").json(),
            lambda health: not health["config_ok"],
            timeout=5,
            what="the refusal of a bad edit",
        )
        assert health["config_version"] == after
        assert health["config_ok"] is False


def test_healthz_says_the_file_is_invalid_but_not_what_it_contains(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        edit_file(settings.config_path, "@minimal-bank.example", "@minimal-bank")
        edit_file(settings.config_path, "[[categories]]", "[secret_section]\n\n[[categories]]")
        runtime.organisation_file.refresh()
        assert runtime.organisation_file.last_error is not None
        response = client.get("/healthz")
    assert response.json() == {
        "status": "ok",
        "config_version": runtime.snapshot.version,
        "config_ok": False,
    }
    assert "minimal-bank" not in response.text
    assert "secret_section" not in response.text


def test_the_server_refuses_to_start_on_an_invalid_file(settings: Settings) -> None:
    edit_file(
        settings.config_path,
        'timezone = "Europe/Brussels"\nlanguages',
        'timezone = "Mars/Olympus"\nlanguages',
    )
    with pytest.raises(config.ConfigError) as excinfo, TestClient(create_app(settings)):
        pass
    assert "organisation.timezone" in str(excinfo.value)


async def test_the_watcher_loads_a_change_only_once_two_checks_see_it_unchanged(
    config_path: Path,
) -> None:
    organisation_file = OrganisationFile.load(config_path)
    first = organisation_file.current
    edit_file(config_path, "# The least", "# Half an edit. The least")
    assert await organisation_file.poll(settle=0) is False  # seen once: not yet
    edit_file(config_path, "# Half an edit.", "# The whole edit.")
    assert await organisation_file.poll(settle=0) is False  # changed since: not yet
    assert organisation_file.current is first
    assert await organisation_file.poll(settle=0) is True  # unchanged since: loaded
    assert organisation_file.current.version == config.load(config_path).version
    assert await organisation_file.poll(settle=0) is False  # nothing new


async def test_the_watcher_waits_the_settle_time(config_path: Path) -> None:
    organisation_file = OrganisationFile.load(config_path)
    first = organisation_file.current
    edit_file(config_path, "# The least", "# An edit. The least")
    for _ in range(3):
        assert await organisation_file.poll(settle=60) is False
    assert organisation_file.current is first


async def test_the_watcher_keeps_the_last_good_version_on_a_bad_edit(config_path: Path) -> None:
    organisation_file = OrganisationFile.load(config_path)
    good = organisation_file.current
    edit_file(config_path, "[[categories]]", "[unknown_section]\nx = 1\n\n[[categories]]")
    assert await organisation_file.poll(settle=0) is False
    assert await organisation_file.poll(settle=0) is False
    assert organisation_file.current is good
    assert organisation_file.last_error is not None
    assert "unknown_section" in organisation_file.last_error
