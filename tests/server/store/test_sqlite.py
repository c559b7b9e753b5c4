from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from server.store import (
    migrations,
    open_store,
)
from tests.server.store._rows import appointment
from tests.support import ROOT


async def test_open_creates_the_directory_and_applies_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "rendezvous.sqlite3"
    store = await open_store(path)
    await store.close()
    with sqlite3.connect(path) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert versions == [version for version, _, _ in migrations()]
    assert {"appointments", "holds", "idempotency_keys", "used_invites"} <= tables
    assert {
        "appointments_agent_start_busy",
        "appointments_status",
        "holds_agent_start_busy",
        "idempotency_keys_created_at",
    } <= tables
    assert journal_mode == "wal"


async def test_processes_opening_one_new_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "rendezvous.sqlite3"
    stores = await asyncio.gather(*(open_store(path) for _ in range(4)))
    for store in stores:
        await store.close()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
    assert len(rows) == len(migrations())


async def test_migration_2_keeps_the_appointment_of_every_stored_answer(tmp_path: Path) -> None:
    """Upgrading a database of the first schema keeps its Idempotency-Keys working."""
    path = tmp_path / "old.sqlite3"
    first = next(sql for version, _, sql in migrations() if version == 1)
    with sqlite3.connect(path) as conn:
        conn.executescript(first)
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at INTEGER NOT NULL)"
        )
        conn.execute("INSERT INTO schema_migrations VALUES (1, '0001_initial', 0)")
        conn.execute(
            "INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?)",
            ["k1", "hash", 201, b'{"appointment":{"id":"appt-1"},"links":{}}', 1_800_000_000],
        )
    store = await open_store(path)
    try:
        saved = await store.idempotency_key("k1", datetime(2020, 1, 1, tzinfo=UTC))
        assert saved is not None
        assert (saved.request_hash, saved.appointment_id) == ("hash", "appt-1")
    finally:
        await store.close()


_KILLED = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
sys.path[:0] = [{root!r}, {tests!r}]
from _rows import appointment
from server.store import open_store

async def main():
    store = await open_store(sys.argv[1])
    async with store.write() as tx:
        await tx.insert_appointment(appointment(id="committed"))
    async with store.write() as tx:
        await tx.insert_appointment(appointment(id="uncommitted"))
        print("inside", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_a_process_killed_mid_transaction_keeps_what_it_committed(tmp_path: Path) -> None:
    path = tmp_path / "rendezvous.sqlite3"
    script = tmp_path / "killed.py"
    script.write_text(_KILLED.format(root=str(ROOT), tests=str(Path(__file__).parent)))
    child = subprocess.Popen(
        [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=20)
        assert line.strip() == "inside"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    store = await open_store(path)
    try:
        assert await store.appointment("committed") is not None
        assert await store.appointment("uncommitted") is None
        async with store.write() as tx:  # and it takes new writes
            await tx.insert_appointment(appointment(id="after"))
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


#: Migration numbers assigned to a branch that is not merged yet (numbers are assigned
#: per branch: docs/architecture.md): the only gaps allowed (none since 0004, holds and
#: bots, was merged).
NOT_MERGED_YET: set[int] = set()


def test_migration_files_are_numbered_in_order() -> None:
    versions = [version for version, _, _ in migrations()]
    assert versions == sorted(set(versions))
    gaps = set(range(1, versions[-1] + 1)) - set(versions)
    assert gaps == NOT_MERGED_YET, (
        f"migrations missing: {sorted(gaps)}; waiting for another branch: "
        f"{sorted(NOT_MERGED_YET)} (update NOT_MERGED_YET when it is merged)"
    )
