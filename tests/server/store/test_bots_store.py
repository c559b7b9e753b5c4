"""The store's part of the bot defence (docs/bots.md), on both backends: holds by
client, the oldest released first, activity counts, answered challenges used once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from server.store import Store, open_store
from tests.server.store._rows import NINE, NOW, hold

pytestmark = pytest.mark.both_backends

LATER = NOW + timedelta(minutes=10)


@pytest.fixture
async def store(database: str | Path) -> AsyncIterator[Store]:
    store = await open_store(database)
    yield store
    await store.close()


async def held(store: Store, ids: list[str]) -> list[str]:
    return [id for id in ids if await store.hold(id) is not None]


async def test_a_hold_keeps_its_client(store: Store) -> None:
    row = replace(hold(), client="c" * 32)
    async with store.write() as tx:
        await tx.insert_hold(row)
    assert await store.hold(row.id) == row


async def test_a_clients_oldest_holds_are_released_first(store: Store) -> None:
    # Placed one after another within one second: the same expiry.
    rows = [
        replace(hold(NINE + timedelta(hours=i)), client="a", expires_at=LATER) for i in range(4)
    ]
    other = replace(hold(NINE + timedelta(hours=6)), client="b", expires_at=LATER)
    used = replace(hold(NINE + timedelta(hours=7)), client="a", expires_at=LATER)
    async with store.write() as tx:
        for row in [*rows, other, used]:
            await tx.insert_hold(row)
        await tx.use_hold(used.id, "appointment-1")

    async with store.write() as tx:
        assert await tx.release_client_holds("a", NOW, keep=1) == 3

    ids = [row.id for row in [*rows, other, used]]
    assert await held(store, ids) == [rows[3].id, other.id, used.id]


async def test_expired_holds_do_not_count(store: Store) -> None:
    gone = replace(hold(), client="a", expires_at=NOW - timedelta(seconds=1))
    live = replace(hold(NINE + timedelta(hours=1)), client="a")
    async with store.write() as tx:
        await tx.insert_hold(gone)
        await tx.insert_hold(live)
        assert await tx.release_client_holds("a", NOW, keep=1) == 0


async def test_activity_is_counted_within_the_window_and_forgotten_after(store: Store) -> None:
    async with store.write() as tx:
        for minutes in (0, 5, 10):
            at = NOW + timedelta(minutes=minutes)
            await tx.note_client_activity("a", at, at - timedelta(minutes=60))
        await tx.note_client_activity("b", NOW, NOW - timedelta(minutes=60))
        assert await tx.client_activity("a", NOW) == 3
        assert await tx.client_activity("a", NOW + timedelta(minutes=5)) == 2
        assert await tx.client_activity("b", NOW) == 1
        # A later write forgets every client's rows older than its window.
        late = NOW + timedelta(minutes=70)
        await tx.note_client_activity("c", late, late - timedelta(minutes=60))
        assert await tx.client_activity("a", NOW - timedelta(days=1)) == 1
        assert await tx.client_activity("b", NOW - timedelta(days=1)) == 0


async def test_an_answered_challenge_is_used_once_until_it_expires(store: Store) -> None:
    async with store.write() as tx:
        assert await tx.use_challenge("sig", LATER, NOW)
        assert not await tx.use_challenge("sig", LATER, NOW)
        assert await tx.use_challenge("other", LATER, NOW)
    async with store.write() as tx:
        assert not await tx.use_challenge("sig", LATER, NOW + timedelta(minutes=5))
        # Once expired it is forgotten (and an expired answer is refused before this).
        assert await tx.use_challenge("sig", LATER + timedelta(minutes=10), LATER)


async def test_a_rolled_back_use_leaves_the_answer_usable(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.write() as tx:
            assert await tx.use_challenge("sig", LATER, NOW)
            raise RuntimeError("the time was taken")
    async with store.write() as tx:
        assert await tx.use_challenge("sig", LATER, NOW)


async def test_concurrent_holds_of_one_client_keep_the_cap(store: Store) -> None:
    async def place(i: int) -> None:
        async with store.write() as tx:
            await tx.release_client_holds("a", NOW, keep=1)
            await tx.insert_hold(replace(hold(NINE + timedelta(hours=i)), client="a"))

    await asyncio.gather(*(place(i) for i in range(8)))

    async with store.write() as tx:
        assert await tx.release_client_holds("a", NOW, keep=2) == 0  # at most 2 were left
