"""Checkpoints off the write path (`server/store/sqlite_checkpoints.py`): the WAL reaches
the database file through the checkpointer's own connection, not in a commit."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from server.store import open_store
from server.store.sqlite import SQLiteStore
from server.store.sqlite_checkpoints import BACKSTOP
from tests.server.store._rows import NINE, appointment


def _in_the_database_file(path: Path) -> int:
    """Appointments in the database file alone, its WAL left unread."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:
        found: int = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
    return found


async def _checkpoints(store: SQLiteStore, count: int) -> None:
    """Wait for `count` more checkpoints of the store's own checkpointer."""
    runs = store.checkpointer.runs
    for _ in range(100):
        if store.checkpointer.runs >= runs + count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no checkpoint within 5 s")


async def test_commits_reach_the_database_file_through_the_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "rendezvous.sqlite3"
    store = await open_store(path)
    assert isinstance(store, SQLiteStore)
    try:
        await _checkpoints(store, 1)  # the migrations' pages
        assert _in_the_database_file(path) == 0
        async with store.write() as tx:
            for n in range(20):
                await tx.insert_appointment(appointment(NINE + timedelta(hours=n)))
        # The commit itself copied nothing: its pages wait in the WAL.
        assert _in_the_database_file(path) == 0
        await _checkpoints(store, 2)
        assert _in_the_database_file(path) == 20
    finally:
        await store.close()


async def test_the_write_connection_checkpoints_only_past_the_backstop(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "rendezvous.sqlite3")
    assert isinstance(store, SQLiteStore)
    try:
        found = await store._writer.conn.execute_fetchall("PRAGMA wal_autocheckpoint")
        assert next(iter(found))[0] == BACKSTOP
    finally:
        await store.close()
