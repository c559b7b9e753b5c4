"""The store's interface, on both backends (`both_backends`, tests/conftest.py): what
every backend must do alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from server.store import AppointmentRow, Conflict, Store, StoreError, Transaction, open_store
from tests.server.store._rows import NINE, NOW, appointment, hold

pytestmark = pytest.mark.both_backends


@pytest.fixture
async def store(database: str | Path) -> AsyncIterator[Store]:
    store = await open_store(database)
    yield store
    await store.close()


async def test_an_appointment_round_trips(store: Store) -> None:
    row = replace(appointment(), location={"street": "Rue Neuve 1"}, invite_id="inv1")
    async with store.write() as tx:
        await tx.insert_appointment(row)
        assert await tx.appointment(row.id) == row
    assert await store.appointment(row.id) == row
    assert await store.appointment("nope") is None


async def test_update_appointment_changes_only_the_given_fields(store: Store) -> None:
    row = appointment()
    later = NINE + timedelta(hours=2)
    async with store.write() as tx:
        await tx.insert_appointment(row)
        assert await tx.update_appointment(
            row.id,
            updated_at=NOW + timedelta(minutes=5),
            start=later,
            end=later + timedelta(minutes=30),
            sequence=1,
        )
        assert not await tx.update_appointment("nope", updated_at=NOW, status="cancelled")
    assert await store.appointment(row.id) == replace(
        row,
        start=later,
        end=later + timedelta(minutes=30),
        sequence=1,
        updated_at=NOW + timedelta(minutes=5),
    )


async def test_an_exception_inside_write_leaves_nothing(store: Store) -> None:
    row = appointment()
    with pytest.raises(RuntimeError, match="boom"):
        async with store.write() as tx:
            await tx.insert_appointment(row)
            await tx.insert_hold(hold())
            raise RuntimeError("boom")
    assert await store.appointment(row.id) is None
    assert await store.busy(["alice"], NOW, NOW + timedelta(days=1), NOW) == {"alice": []}
    async with store.write() as tx:  # the lock and the connection are usable again
        await tx.insert_appointment(row)
    assert await store.appointment(row.id) == row


async def test_a_transaction_cannot_be_used_after_it_ends(store: Store) -> None:
    async with store.write() as tx:
        pass
    with pytest.raises(RuntimeError):
        await tx.insert_appointment(appointment())


async def test_a_row_the_schema_refuses_is_a_store_error_and_rolls_back(store: Store) -> None:
    first = appointment()
    with pytest.raises(StoreError):
        async with store.write() as tx:
            await tx.insert_appointment(first)
            await tx.insert_appointment(appointment(minutes=0))  # end == start
    assert await store.appointment(first.id) is None
    with pytest.raises(Conflict):
        async with store.write() as tx:
            await tx.insert_appointment(first)
            await tx.insert_appointment(replace(first, agent="bob"))


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="aware"):
        async with store.write() as tx:
            await tx.insert_appointment(appointment(start=datetime(2026, 3, 2, 9, 0)))


@pytest.mark.parametrize(
    ("start", "minutes", "trailing_buffer", "overlaps"),
    [
        pytest.param(NINE - timedelta(minutes=30), 30, 0, False, id="ends-at-window-start"),
        pytest.param(NINE - timedelta(minutes=30), 30, 1, True, id="buffer-reaches-window"),
        pytest.param(NINE - timedelta(days=6), 60, 60 * 24 * 6, True, id="long-buffer"),
        pytest.param(NINE + timedelta(minutes=59), 30, 0, True, id="starts-before-window-end"),
        pytest.param(NINE + timedelta(minutes=60), 30, 0, False, id="starts-at-window-end"),
        pytest.param(NINE - timedelta(minutes=10), 90, 0, True, id="covers-window"),
    ],
)
async def test_busy_returns_the_rows_whose_occupation_overlaps_the_window(
    store: Store, start: datetime, minutes: int, trailing_buffer: int, overlaps: bool
) -> None:
    row = appointment(start, minutes, trailing_buffer=trailing_buffer)
    async with store.write() as tx:
        await tx.insert_appointment(row)
    busy = await store.busy(["alice"], NINE, NINE + timedelta(hours=1), NOW)
    assert [(b.start, b.end, b.trailing_buffer) for b in busy["alice"]] == (
        [(row.start, row.end, trailing_buffer)] if overlaps else []
    )


async def test_busy_counts_confirmed_requested_and_live_holds_only(store: Store) -> None:
    rows = {
        status: appointment(NINE + timedelta(hours=i), status=status)
        for i, status in enumerate(["confirmed", "requested", "cancelled", "declined"])
    }
    live = hold(NINE + timedelta(hours=4))
    expired = hold(NINE + timedelta(hours=5), expires_at=NOW)
    used = hold(NINE + timedelta(hours=6))
    async with store.write() as tx:
        for row in rows.values():
            await tx.insert_appointment(row)
        await tx.insert_appointment(appointment(NINE, agent="carol"))
        for h in (live, expired, used):
            await tx.insert_hold(h)
        assert await tx.use_hold(used.id, rows["confirmed"].id)
        assert not await tx.use_hold(used.id, "another")
    busy = await store.busy(["alice", "bob"], NOW, NOW + timedelta(days=1), NOW)
    assert busy["bob"] == []
    assert [(b.start, b.hold) for b in busy["alice"]] == [
        (rows["confirmed"].start, False),
        (rows["requested"].start, False),
        (live.start, True),
    ]
    async with store.write() as tx:
        assert await tx.busy(["alice"], NOW, NOW + timedelta(days=1), NOW) == {
            "alice": busy["alice"]
        }
        assert (await tx.hold(used.id)) == replace(used, used_by=rows["confirmed"].id)
        assert await tx.delete_expired_holds(NOW) == 1
    assert await store.hold(expired.id) is None


async def test_appointment_counts_per_agent(store: Store) -> None:
    async with store.write() as tx:
        await tx.insert_appointment(appointment(NINE))
        await tx.insert_appointment(appointment(NINE + timedelta(hours=1)))
        await tx.insert_appointment(appointment(NINE + timedelta(hours=2), status="cancelled"))
        await tx.insert_appointment(appointment(NINE + timedelta(days=1)))
    counts = await store.appointment_counts(["alice", "bob"], NINE, NINE + timedelta(days=1))
    assert counts == {"alice": 2, "bob": 0}


async def test_idempotency_keys_and_used_invites(store: Store) -> None:
    async with store.write() as tx:
        assert await tx.idempotency_key("k1", NOW - timedelta(days=1)) is None
        await tx.save_idempotency_key("k1", "hash", "appt", NOW)
        assert not await tx.invite_used("inv")
        await tx.use_invite("inv", "appt", NOW)
    saved = await store.idempotency_key("k1", NOW - timedelta(hours=1))
    assert saved is not None
    assert (saved.request_hash, saved.appointment_id, saved.created_at) == ("hash", "appt", NOW)
    # A key saved before `since` is as good as forgotten.
    assert await store.idempotency_key("k1", NOW + timedelta(seconds=1)) is None
    # A refused write ends its transaction (PostgreSQL aborts it): one per transaction.
    with pytest.raises(Conflict):
        async with store.write() as tx:
            assert await tx.invite_used("inv")
            await tx.use_invite("inv", "other", NOW)
    with pytest.raises(Conflict):
        async with store.write() as tx:
            await tx.save_idempotency_key("k1", "hash", "other", NOW)
    async with store.write() as tx:
        assert await tx.delete_idempotency_keys(NOW + timedelta(days=1)) == 1


async def _book_if_free(store: Store, row: AppointmentRow) -> bool:
    async with store.write() as tx:
        busy = await tx.busy([row.agent], row.start, row.end, row.created_at)
        if busy[row.agent]:
            return False
        await asyncio.sleep(0.05)  # widen the window between the check and the insert
        await tx.insert_appointment(row)
        return True


async def test_two_stores_racing_for_one_slot_book_it_once(database: str | Path) -> None:
    first, second = await open_store(database), await open_store(database)
    try:
        results = await asyncio.gather(
            *(_book_if_free(s, appointment()) for s in (first, second, first, second))
        )
        assert sorted(results) == [False, False, False, True]
        busy = await second.busy(["alice"], NINE, NINE + timedelta(minutes=30), NOW)
        assert len(busy["alice"]) == 1
    finally:
        await first.close()
        await second.close()


async def test_a_transaction_sees_its_own_writes_before_commit(store: Store) -> None:
    row = appointment()
    tx: Transaction
    async with store.write() as tx:
        await tx.insert_appointment(row)
        assert (await tx.busy(["alice"], NINE, NINE + timedelta(minutes=1), NOW))["alice"]
        # ...while the read connection still sees the last committed state.
        assert await store.appointment(row.id) is None
