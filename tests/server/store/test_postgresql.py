"""What only the PostgreSQL backend has to show: migrations raced by processes, and the
locks that keep a booking's transaction true while other transactions run beside it
(docs/architecture.md, "PostgreSQL: what is serialised and why it is correct").

Every test here runs on a fresh database of the machine's server (tests/databases.py).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from server.settings import Settings
from server.store import (
    AppointmentRow,
    Conflict,
    Store,
    StoreError,
    Transaction,
    describe,
    migrations,
    open_store,
)
from server.store import postgresql as pg
from tests.databases import PostgreSQLServer
from tests.server.store._rows import NINE, NOW, appointment, hold
from tests.support import ROOT

T = TypeVar("T")

#: How many transactions race in the tests below.
RACERS = 12


@pytest.fixture
def url(postgresql: PostgreSQLServer) -> AsyncIterator[str]:
    url = postgresql.create()
    yield url
    postgresql.drop(url)


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    store = await open_store(url, pool_size=RACERS + 2)
    yield store
    await store.close()


def test_the_migrations_have_the_numbers_of_sqlites() -> None:
    from server.store.sqlite import migrations as sqlite_migrations

    assert [v for v, _, _ in pg.migrations()] == [v for v, _, _ in sqlite_migrations()]
    assert [v for v, _, _ in migrations()] == [v for v, _, _ in sqlite_migrations()]


_MIGRATOR = """
import asyncio, json, sys, time
sys.path[:0] = [{root!r}]
from server.store import open_store
from server.store.postgresql import migrate

async def main(url, start_at):
    time.sleep(max(0.0, start_at - time.time()))
    applied = await migrate(url)
    store = await open_store(url)  # migrates too: nothing left to do
    await store.ping()
    await store.close()
    print(json.dumps(applied))

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""


def test_eight_processes_opening_a_new_database_at_once_apply_each_migration_once(
    postgresql: PostgreSQLServer, tmp_path: Path
) -> None:
    url = postgresql.create(migrated=False)
    try:
        script = tmp_path / "migrate.py"
        script.write_text(_MIGRATOR.format(root=str(ROOT)))
        start_at = str(time.time() + 2.0)  # all of them released together
        children = [
            subprocess.Popen(
                [sys.executable, str(script), url, start_at],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(8)
        ]
        applied: list[int] = []
        for child in children:
            out, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
            applied += json.loads(out)
        versions = [version for version, _, _ in pg.migrations()]
        assert sorted(applied) == versions  # each one, by exactly one process
        rows = postgresql.scalar(
            url, "SELECT array_agg(version ORDER BY version) FROM schema_migrations"
        )
        assert rows == versions
        assert postgresql.scalar(url, "SELECT count(*) FROM appointments") == 0
    finally:
        postgresql.drop(url)


def test_the_password_is_never_shown() -> None:
    url = "postgresql://rdv:s3cret-pw@db.example:5433/rendezvous"
    assert describe(url) == "postgresql://rdv:***@db.example:5433/rendezvous"
    assert "s3cret-pw" not in repr(pg.PostgreSQLStore(None, url))  # type: ignore[arg-type]
    settings = Settings.from_environ({"RENDEZVOUS_DATABASE": url, "RENDEZVOUS_DATABASE_POOL": "3"})
    assert (settings.database_url, settings.database, settings.database_pool) == (url, url, 3)
    assert Settings.from_environ({"RENDEZVOUS_DATABASE": "postgres://h/db"}).database_url


async def test_an_unreachable_server_is_a_store_error_without_the_password(
    postgresql: PostgreSQLServer,
) -> None:
    closed = "postgresql://rdv:s3cret-pw@127.0.0.1:1/rendezvous"  # port 1: refused
    with pytest.raises(StoreError) as raised:
        await open_store(closed)
    assert "s3cret-pw" not in str(raised.value)
    assert "127.0.0.1" in str(raised.value)


async def _within(*racers: Awaitable[T]) -> list[T]:
    """Run the racers together; a test that hangs (a lock never released) fails."""
    return await asyncio.wait_for(asyncio.gather(*racers), timeout=30)


async def _book_if_free(store: Store, row: AppointmentRow, pause: float = 0.02) -> bool:
    """A booking's shape: read the agent's busy time, then write (SPEC 5)."""
    async with store.write() as tx:
        busy = await tx.busy([row.agent], row.start, row.end, row.created_at)
        if busy[row.agent]:
            return False
        await asyncio.sleep(pause)  # widen the window between the check and the insert
        await tx.insert_appointment(row)
        return True


async def test_racing_transactions_on_many_connections_book_the_last_slot_once(
    store: Store, url: str
) -> None:
    other = await open_store(url)  # a second process, as it were
    try:
        stores = [store, other] * (RACERS // 2)
        results = await _within(*(_book_if_free(s, appointment()) for s in stores))
        assert sorted(results) == [False] * (RACERS - 1) + [True]
        busy = await other.busy(["alice"], NINE, NINE + timedelta(minutes=30), NOW)
        assert len(busy["alice"]) == 1
    finally:
        await other.close()


async def test_transactions_of_different_agents_do_not_wait_for_each_other(store: Store) -> None:
    """Serialised per agent, not per database: while a transaction holds alice's lock, a
    booking of bob's commits."""
    inside = asyncio.Event()
    release = asyncio.Event()

    async def alice_slowly() -> None:
        async with store.write() as tx:
            await tx.busy(["alice"], NINE, NINE + timedelta(hours=1), NOW)
            inside.set()
            await release.wait()
            await tx.insert_appointment(appointment())

    slow = asyncio.create_task(alice_slowly())
    try:
        await inside.wait()
        assert await asyncio.wait_for(_book_if_free(store, appointment(agent="bob")), timeout=5)
        # ...while another transaction for alice waits for the first one.
        waiting = asyncio.create_task(_book_if_free(store, appointment(), pause=0))
        await asyncio.sleep(0.3)
        assert not waiting.done()
    finally:
        release.set()
        await slow
    assert await waiting is False  # it read alice's booking once the lock was its own


async def test_a_transaction_locks_every_agent_it_reads_in_one_sorted_batch(store: Store) -> None:
    """Two transactions reading overlapping pools in opposite orders never deadlock."""
    agents = [f"agent-{i}" for i in range(8)]

    async def book(order: list[str]) -> bool:
        row = appointment(agent=order[0])
        async with store.write() as tx:
            await tx.busy(order, NINE, NINE + timedelta(hours=1), NOW)
            await asyncio.sleep(0.01)
            await tx.insert_appointment(row)
        return True

    orders = [agents if i % 2 else agents[::-1] for i in range(RACERS)]
    assert all(await _within(*(book(o) for o in orders)))


async def _book_once(store: Store, key: str) -> str:
    """The booking's protocol for an Idempotency-Key (server/booking/appointments.py):
    look the key up, forget expired keys, book, save the key."""
    async with store.write() as tx:
        earlier = await tx.idempotency_key(key, NOW - timedelta(days=1))
        if earlier is not None:
            return earlier.appointment_id
        await tx.delete_idempotency_keys(NOW - timedelta(days=1))
        row = appointment()
        busy = await tx.busy([row.agent], row.start, row.end, NOW)
        assert not busy[row.agent], "a retry found the slot taken instead of its answer"
        await asyncio.sleep(0.02)
        await tx.insert_appointment(row)
        await tx.save_idempotency_key(key, "hash", row.id, NOW)
        return row.id


async def test_concurrent_retries_of_one_idempotency_key_book_once(store: Store, url: str) -> None:
    other = await open_store(url)
    try:
        stores = [store, other] * (RACERS // 2)
        ids = await _within(*(_book_once(s, "key-1") for s in stores))
        assert len(set(ids)) == 1
        busy = await store.busy(["alice"], NINE, NINE + timedelta(minutes=30), NOW)
        assert len(busy["alice"]) == 1
    finally:
        await other.close()


async def test_forgetting_expired_keys_never_waits_for_a_key_in_use(store: Store) -> None:
    async with store.write() as tx:
        await tx.save_idempotency_key("old", "hash", "appt", NOW - timedelta(days=2))
    async with store.write() as first:
        assert await first.idempotency_key("old", NOW - timedelta(days=1)) is None  # locks it
        async with store.write() as second:
            deleted = await asyncio.wait_for(
                second.delete_idempotency_keys(NOW - timedelta(days=1)), timeout=5
            )
            assert deleted == 0  # "old" is in use: left alone
        assert await first.delete_idempotency_keys(NOW - timedelta(days=1)) == 1


async def _use_hold(store: Store, hold_id: str) -> bool:
    async with store.write() as tx:
        found = await tx.hold(hold_id)
        if found is None or found.used_by is not None:
            return False
        row = appointment()
        await asyncio.sleep(0.02)
        await tx.insert_appointment(row)
        assert await tx.use_hold(hold_id, row.id)
        return True


async def test_a_hold_is_used_by_one_booking(store: Store) -> None:
    held = hold()
    async with store.write() as tx:
        await tx.insert_hold(held)
    results = await _within(*(_use_hold(store, held.id) for _ in range(RACERS)))
    assert sorted(results) == [False] * (RACERS - 1) + [True]


async def _use_invite(store: Store, invite_id: str) -> bool:
    async with store.write() as tx:
        if await tx.invite_used(invite_id):
            return False
        row = appointment()
        await asyncio.sleep(0.02)
        await tx.insert_appointment(row)
        await tx.use_invite(invite_id, row.id, NOW)
        return True


async def test_a_single_use_invite_books_once(store: Store) -> None:
    results = await _within(*(_use_invite(store, "inv-1") for _ in range(RACERS)))
    assert sorted(results) == [False] * (RACERS - 1) + [True]
    assert await store.invite_used("inv-1")


async def test_an_appointment_read_in_a_transaction_is_locked_until_it_ends(store: Store) -> None:
    """Two cancellations of one appointment: the second reads the first's result."""
    row = appointment()
    async with store.write() as tx:
        await tx.insert_appointment(row)

    async def cancel() -> bool:
        tx: Transaction
        async with store.write() as tx:
            found = await tx.appointment(row.id)
            assert found is not None
            if found.status == "cancelled":
                return False
            await asyncio.sleep(0.02)
            return await tx.update_appointment(
                row.id, updated_at=NOW, status="cancelled", sequence=found.sequence + 1
            )

    assert sorted(await _within(*(cancel() for _ in range(4)))) == [False] * 3 + [True]
    cancelled = await store.appointment(row.id)
    assert cancelled is not None and cancelled.sequence == 1


async def test_a_duplicate_key_is_a_conflict(store: Store) -> None:
    row = appointment()
    async with store.write() as tx:
        await tx.insert_appointment(row)
    with pytest.raises(Conflict):
        async with store.write() as tx:
            await tx.insert_appointment(row)
