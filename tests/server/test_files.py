"""Data files are readable by their owner only (server/files.py): the data folder when
we create it, the database and the WAL and shared-memory files SQLite adds at the first
write, the secret key. (The Maildir: tests/server/deliveries/test_templates.py.)"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.files import private_database, private_directory
from server.settings import Settings
from server.store.sqlite import SQLiteStore
from tests.server._booking import appointment_body, book, offered
from tests.support import NOW

pytestmark = pytest.mark.organisation("demo")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems give: files 0644 and folders 0755 unless we say otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_data_folder_database_and_its_wal_files_are_private(settings: Settings) -> None:
    settings = dataclasses.replace(settings, secret_key=None)  # the key file is made too
    data = settings.database_path.parent
    assert not data.exists()
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        client.app.state.runtime.clock = lambda: NOW  # type: ignore[attr-defined]
        assert mode(data) == 0o700
        assert mode(settings.database_path) == 0o600
        start = offered(client, "car-insurance", "OFFICE", "brussels")[0]
        response = book(client, appointment_body("car-insurance", "OFFICE", start, "brussels"))
        assert response.status_code == 201, response.text
        # After a booking, while the server runs: SQLite has made its WAL and SHM files.
        wal = data / (settings.database_path.name + "-wal")
        shm = data / (settings.database_path.name + "-shm")
        assert wal.stat().st_size > 0
        assert {path.name: mode(path) for path in (settings.database_path, wal, shm)} == {
            settings.database_path.name: 0o600,
            wal.name: 0o600,
            shm.name: 0o600,
        }
    assert mode(data / "secret_key") == 0o600
    everything = {path.name: mode(path) for path in data.iterdir() if path.is_file()}
    assert all(found & 0o077 == 0 for found in everything.values()), everything


async def test_a_database_made_world_readable_before_is_tightened_at_open(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # as an earlier version left it: 0644 and a WAL
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        held = sqlite3.connect(path)  # keeps the WAL file from being removed at close
        held.execute("SELECT * FROM t").fetchall()
    try:
        wal = path.with_name(path.name + "-wal")
        assert mode(path) == 0o644 and mode(wal) == 0o644
        store = await SQLiteStore.open(path)
        await store.close()
        assert mode(path) == 0o600
        assert mode(wal) == 0o600
    finally:
        held.close()


def test_an_existing_folder_keeps_the_mode_the_operator_gave_it(tmp_path: Path) -> None:
    shared = tmp_path / "srv"
    shared.mkdir(mode=0o750)
    os.chmod(shared, 0o750)
    private_database(shared / "rendezvous.sqlite3")
    assert mode(shared) == 0o750
    assert mode(shared / "rendezvous.sqlite3") == 0o600


def test_only_the_last_missing_folder_is_made_private(tmp_path: Path) -> None:
    private_directory(tmp_path / "a" / "var")
    assert mode(tmp_path / "a" / "var") == 0o700
    private_directory(tmp_path / "a" / "var")  # again: nothing to do
    assert mode(tmp_path / "a" / "var") == 0o700


async def test_sqlite_gives_its_new_wal_files_the_database_s_mode(tmp_path: Path) -> None:
    path = tmp_path / "var" / "db.sqlite3"
    store = await SQLiteStore.open(path)  # migrating it writes: the WAL and SHM appear
    try:
        created = sorted(p.name for p in path.parent.iterdir() if p.name != path.name)
        # ...and the processes' lock file (server/store/sqlite_writer.py), made 0600.
        assert created == ["db.sqlite3-shm", "db.sqlite3-wal", "db.sqlite3.write-lock"]
        assert {name: mode(path.parent / name) for name in created} == dict.fromkeys(created, 0o600)
    finally:
        await store.close()
