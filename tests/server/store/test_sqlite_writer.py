"""The SQLite write path (`server/store/sqlite_writer.py`): transactions of one process
that queue for the lock share one COMMIT, each behind its own SAVEPOINT; processes queue
on the lock file; and whatever the grouping, a slot is booked once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from server.store import StoreError, open_store
from server.store.sqlite import SQLiteStore
from server.store.sqlite_writer import _settle
from tests.server.store._rows import NINE, NOW, appointment, hold
from tests.support import ROOT


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await open_store(tmp_path / "rendezvous.sqlite3")
    assert isinstance(opened, SQLiteStore)
    yield opened
    await opened.close()


async def test_queued_transactions_share_a_commit_and_each_sees_those_before(
    store: SQLiteStore, tmp_path: Path
) -> None:
    rows = [appointment(NINE + timedelta(hours=n), agent="alice") for n in range(6)]
    seen: list[int] = []

    async def book(n: int) -> None:
        async with store.write() as tx:
            busy = await tx.busy(["alice"], NINE, NINE + timedelta(days=1), NOW)
            seen.append(len(busy["alice"]))
            await tx.insert_appointment(rows[n])
        # Returned: committed, visible to any other connection.
        assert await store.appointment(rows[n].id) == rows[n]

    await asyncio.gather(*(book(n) for n in range(6)))
    assert seen == [0, 1, 2, 3, 4, 5]
    with sqlite3.connect(tmp_path / "rendezvous.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == 6


async def test_a_failing_transaction_in_a_group_undoes_only_its_own_writes(
    store: SQLiteStore,
) -> None:
    kept, undone, after = (
        appointment(),
        appointment(NINE + timedelta(hours=1)),
        appointment(NINE + timedelta(hours=2)),
    )
    gate = asyncio.Event()

    async def first() -> None:
        async with store.write() as tx:
            await tx.insert_appointment(kept)
            await gate.wait()  # the others queue meanwhile: one group

    async def failing() -> None:
        with pytest.raises(RuntimeError, match="boom"):
            async with store.write() as tx:
                await tx.insert_appointment(undone)
                await tx.insert_hold(hold())
                raise RuntimeError("boom")

    async def third() -> None:
        async with store.write() as tx:
            assert await tx.appointment(undone.id) is None
            assert await tx.appointment(kept.id) == kept
            await tx.insert_appointment(after)

    tasks = [asyncio.create_task(step()) for step in (first, failing, third)]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(*tasks)
    assert await store.appointment(kept.id) == kept
    assert await store.appointment(after.id) == after
    assert await store.appointment(undone.id) is None
    busy = await store.busy(["alice"], NINE, NINE + timedelta(minutes=30), NOW)
    assert [(row.start, row.hold) for row in busy["alice"]] == [(NINE, False)]  # no hold


async def test_a_schema_error_in_a_group_is_that_transactions_error_only(
    store: SQLiteStore,
) -> None:
    good = appointment()

    async def bad() -> None:
        with pytest.raises(StoreError):
            async with store.write() as tx:
                await tx.insert_appointment(appointment(minutes=0))  # end == start

    async def fine() -> None:
        async with store.write() as tx:
            await tx.insert_appointment(good)

    await asyncio.gather(bad(), fine(), bad())
    assert await store.appointment(good.id) == good


async def test_a_cancelled_transaction_releases_the_lock(store: SQLiteStore) -> None:
    started = asyncio.Event()

    async def slow() -> None:
        async with store.write() as tx:
            await tx.insert_appointment(appointment(id="cancelled"))
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(slow())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(10):
        async with store.write() as tx:
            await tx.insert_appointment(appointment(id="next"))
    assert await store.appointment("cancelled") is None
    assert await store.appointment("next") is not None


async def test_a_writing_loop_cancelled_at_any_moment_stops(store: SQLiteStore) -> None:
    """As the delivery worker is stopped: a cancellation that comes while a statement
    is on the database thread is not lost (the loop catches only Exception)."""

    async def loop() -> None:
        while True:
            with contextlib.suppress(Exception):
                async with store.write() as tx:
                    await tx.insert_appointment(appointment())

    for delay in (0, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01):
        task = asyncio.create_task(loop())
        await asyncio.sleep(delay)
        task.cancel()
        async with asyncio.timeout(10):
            with pytest.raises(asyncio.CancelledError):
                await task
    async with asyncio.timeout(10), store.write() as tx:  # the lock is free again
        await tx.insert_appointment(appointment(id="after"))
    assert await store.appointment("after") is not None


_RACER = """
import asyncio, json, sys
from datetime import UTC, datetime, timedelta
sys.path[:0] = [{root!r}]
from tests.server.store._rows import appointment
from server.store import open_store

async def book(store):
    row = appointment()
    async with store.write() as tx:
        busy = await tx.busy([row.agent], row.start, row.end, row.created_at)
        if busy[row.agent]:
            return False
        await asyncio.sleep(0.001)  # widen the window between the check and the insert
        await tx.insert_appointment(row)
        return True

async def main():
    store = await open_store(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    results = await asyncio.gather(*(book(store) for _ in range(int(sys.argv[2]))))
    await store.close()
    print(json.dumps(sum(results)), flush=True)

asyncio.run(main())
"""


def test_two_processes_with_many_concurrent_bookings_of_one_slot_book_it_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rendezvous.sqlite3"
    script = tmp_path / "racer.py"
    script.write_text(_RACER.format(root=str(ROOT)))
    racers = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), "60"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for racer in racers:
            assert racer.stdout is not None
            assert racer.stdout.readline().strip() == "ready"
        for racer in racers:  # released together
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        booked = []
        for racer in racers:
            out, _ = racer.communicate(timeout=60)
            assert racer.returncode == 0
            booked.append(json.loads(out))
    finally:
        for racer in racers:
            racer.kill()
            racer.wait()
    assert sum(booked) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == 1


async def test_the_busy_read_is_answered_from_its_indexes(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """0008: the busy time of a search or a booking never visits the tables' rows, and
    forgetting old Idempotency-Keys does not scan every key."""
    with sqlite3.connect(tmp_path / "rendezvous.sqlite3") as conn:
        plan = " | ".join(
            row[3]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT agent, start_utc, end_utc, trailing_buffer"
                " FROM appointments WHERE agent IN ('a', 'b') AND +status IN ('confirmed')"
                " AND start_utc < 5 AND start_utc > 1 AND end_utc + trailing_buffer * 60 > 2"
                " UNION ALL SELECT agent, start_utc, end_utc, trailing_buffer FROM holds"
                " WHERE agent IN ('a') AND used_by IS NULL AND expires_at > 3"
                " AND start_utc < 5 AND start_utc > 1 AND end_utc + trailing_buffer * 60 > 2"
            )
        )
        forget = conn.execute(
            "EXPLAIN QUERY PLAN DELETE FROM idempotency_keys WHERE created_at < 5"
        ).fetchall()
    assert "appointments USING COVERING INDEX appointments_agent_start_busy" in plan
    assert "holds USING COVERING INDEX holds_agent_start_busy" in plan
    assert "USING INDEX idempotency_keys_created_at" in forget[0][3]


async def test_the_lock_file_is_private(store: SQLiteStore, tmp_path: Path) -> None:
    lock = tmp_path / "rendezvous.sqlite3.write-lock"
    assert lock.stat().st_mode & 0o777 == 0o600


async def test_a_trip_that_ends_just_as_its_caller_is_cancelled_keeps_its_result() -> None:
    """Else a BEGIN that had run would be forgotten, and the connection left inside a
    transaction that no one ends (every later write: "cannot start a transaction")."""
    step: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    caller = asyncio.create_task(_settle(step))
    await asyncio.sleep(0)  # the caller waits for the step
    step.set_result("began")
    caller.cancel()  # in the same turn of the loop
    assert await caller == ("began", True)


async def test_a_transactions_reads_run_without_handing_the_event_loop_over(
    store: SQLiteStore,
) -> None:
    """Inside a transaction this process holds the write lock for every process: a read
    that went to the connection's thread would let other tasks run (and wait for the
    thread) meanwhile. Every kind of read answers without the loop running anything."""
    ran: list[str] = []
    loop = asyncio.get_running_loop()
    async with store.write() as tx:
        loop.call_soon(ran.append, "another task")
        await tx.busy_spans(["alice"], NINE, NINE + timedelta(days=1), NOW)
        await tx.time_off(["alice"], NINE, NINE + timedelta(days=1))
        await tx.calendars(["alice"])
        await tx.delivery("no-such-delivery")
        await tx.invite("no-such-invite")
        await tx.insert_appointment(appointment(NINE, agent="alice"))
        assert ran == []
    assert ran == ["another task"]


async def test_the_data_version_is_asked_at_once_and_moves_with_every_commit(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """The slot search asks it before every reuse of a read (`booking.busy_reads`): at
    once, without a trip to a connection's thread, and never the same after a commit
    of this process's writer or of another process."""
    ran: list[str] = []
    asyncio.get_running_loop().call_soon(ran.append, "another task")
    first = await store.data_version()
    assert ran == [] and first is not None
    assert await store.data_version() == first  # nothing committed: the same
    async with store.write() as tx:
        await tx.insert_appointment(appointment(NINE, agent="alice"))
    second = await store.data_version()
    assert second not in (None, first)
    with sqlite3.connect(tmp_path / "rendezvous.sqlite3") as other:  # another process
        other.execute("DELETE FROM appointments")
    assert await store.data_version() not in (None, first, second)
