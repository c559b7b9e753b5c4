"""Fixtures shared by every test: a copy of the test's organisation file, the database
(SQLite, or PostgreSQL where a test folder asks for both: `backend`), settings, the
clock, an app client."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.databases import BACKENDS, Backend, PostgreSQLServer, sqlite_path
from tests.support import NOW, ROOT, Clock, organisation_path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests and run them last.

    Playwright's sync API keeps an event loop running in the main thread for as long as
    the session-wide browser lives, and pytest-asyncio cannot start its own loop beside
    it; so every async test runs before the first browser test.
    """
    browser_dir = ROOT / "tests" / "browser"
    for item in items:
        if browser_dir in item.path.parents:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: browser_dir in item.path.parents)


@pytest.fixture
def config_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A private copy, which the test may edit, of the organisation file it is marked
    with: `@pytest.mark.organisation("holds")` is tests/server/organisations/holds.toml,
    "demo" the demo organisation."""
    marker = request.node.get_closest_marker("organisation")
    if marker is None:
        pytest.fail(
            f"{request.node.nodeid} runs on an organisation file: name it with"
            ' @pytest.mark.organisation("name") (tests/server/organisations/name.toml)',
            pytrace=False,
        )
    path = tmp_path / "organisation.toml"
    shutil.copyfile(organisation_path(*marker.args), path)
    return path


@pytest.fixture(scope="session")
def postgresql() -> Iterator[PostgreSQLServer]:
    """The machine's PostgreSQL server with this session's migrated template database.
    Unreachable: the test is skipped, saying why; with CI=true it fails."""
    server = PostgreSQLServer()
    try:
        server.start()
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL is not reachable at {server.server}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL is required)", pytrace=False)
        pytest.skip(reason)
    yield server
    server.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`pytestmark = pytest.mark.both_backends` runs a module's tests that use the
    database (`database`, `settings`, `client`) on SQLite and on PostgreSQL."""
    if metafunc.definition.get_closest_marker("both_backends") and (
        "backend" in metafunc.fixturenames
    ):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Backend:
    """The store's backend: SQLite, or each in turn for the modules marked
    `both_backends` (the store, booking, manage and concurrency tests)."""
    chosen: Backend = getattr(request, "param", "sqlite")
    return chosen


@pytest.fixture
def database(
    request: pytest.FixtureRequest, backend: Backend, tmp_path: Path
) -> Iterator[str | Path]:
    """What `open_store` opens: the SQLite file in the test's folder, or the URL of an
    empty, migrated PostgreSQL database of its own (tests/databases.py)."""
    if backend == "sqlite":
        yield sqlite_path(tmp_path)
        return
    server: PostgreSQLServer = request.getfixturevalue("postgresql")
    url = server.lease()
    yield url
    server.give_back(url)


@pytest.fixture
def settings(tmp_path: Path, config_path: Path, database: str | Path) -> Settings:
    return Settings(
        config_path=config_path,
        database_path=sqlite_path(tmp_path),
        database_url=database if isinstance(database, str) else None,
        secret_key="test-secret-key-not-for-production",
        reload_interval=0,
        rate_limit_per_minute=0,  # tests that exercise the limit turn it on themselves
    )


@pytest.fixture
def clock() -> Clock:
    """The clock of the `client`'s app, frozen at `NOW` (a Tuesday, 09:00 in Brussels)
    until the test moves it: `clock.set(moment)`, `clock.advance(minutes=7)`."""
    return Clock(NOW)


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        client.app.state.runtime.clock = clock  # type: ignore[attr-defined]
        yield client
