"""The config tests' valid organisation (tests/server/organisations/config.toml), and how
they break it: one edit at a time."""

from __future__ import annotations

import pytest

from server import config
from server.config import ConfigError, Issue
from tests.support import organisation_text

#: A small valid organisation; each case breaks it in one place.
BASE = organisation_text("config")


def edit(old: str, new: str, source: str = BASE) -> str:
    assert source.count(old) == 1, f"{old!r} must occur exactly once"
    return source.replace(old, new)


def issues_of(source: str) -> list[Issue]:
    with pytest.raises(ConfigError) as caught:
        config.loads(source, "test.toml")
    return caught.value.issues
