"""Settings from the environment, read once (server/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import DEFAULT_CONFIG, Settings


def test_without_an_environment_the_demo_is_served_locally() -> None:
    settings = Settings.from_environ({})

    assert settings == Settings()
    assert settings.config_path == DEFAULT_CONFIG
    assert (settings.host, settings.port, settings.secret_key) == ("127.0.0.1", 8000, None)
    assert (settings.reload_interval, settings.rate_limit_per_minute) == (1.0, 60)


def test_each_variable_is_read_with_its_type() -> None:
    settings = Settings.from_environ(
        {
            "RENDEZVOUS_CONFIG": "/srv/bank/organisation.toml",
            "RENDEZVOUS_DATABASE": "/var/lib/rendezvous/db.sqlite3",
            "RENDEZVOUS_SECRET_KEY": "s3cret",
            "RENDEZVOUS_HOST": "0.0.0.0",
            "RENDEZVOUS_PORT": "9000",
            "RENDEZVOUS_RELOAD_INTERVAL": "0.5",
            "RENDEZVOUS_RATE_LIMIT": "0",
        }
    )

    assert settings.config_path == Path("/srv/bank/organisation.toml")
    assert settings.database_path == Path("/var/lib/rendezvous/db.sqlite3")
    assert settings.secret_key == "s3cret"
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.reload_interval == 0.5
    assert settings.rate_limit_per_minute == 0


def test_an_empty_secret_is_no_secret() -> None:
    assert Settings.from_environ({"RENDEZVOUS_SECRET_KEY": ""}).secret_key is None


def test_a_value_of_the_wrong_type_is_refused_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="RENDEZVOUS_PORT"):
        Settings.from_environ({"RENDEZVOUS_PORT": "eighty"})
