"""Fixtures shared by every test: a copy of the demo organisation, settings, an app client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "examples" / "demo-bank" / "organisation.toml"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A private copy of the demo organisation file that a test may edit."""
    path = tmp_path / "organisation.toml"
    shutil.copyfile(DEMO_CONFIG, path)
    return path


@pytest.fixture
def settings(tmp_path: Path, config_path: Path) -> Settings:
    return Settings(
        config_path=config_path,
        database_path=tmp_path / "var" / "rendezvous.sqlite3",
        secret_key="test-secret-key-not-for-production",
        reload_interval=0,
        rate_limit_per_minute=0,  # tests that exercise the limit turn it on themselves
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        yield client
