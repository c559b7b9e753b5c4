"""The slot search's kept busy reads (`booking.busy_reads`): reused while nothing is
committed and no hold in them expired, read again at once after a commit by any
connection (another process's too), on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from server.booking import busy_reads
from server.store import BusySpan, Store, open_store
from tests.server._booking import appointment_body, book, offered, runtime
from tests.server.store._rows import appointment, hold
from tests.support import NOW, Clock

pytestmark = [pytest.mark.organisation("appointments"), pytest.mark.both_backends]

WEDNESDAY = date(2026, 11, 25)


def farid_starts(client: TestClient) -> list[datetime]:
    return offered(client, "insurance", "OFFICE", "brussels", first_day=WEDNESDAY, days=1)


def another_process(client: TestClient, database: str | Path, change: Any) -> None:
    """`change(store)` through a store of its own on the same database: another
    connection, as another server process would have."""

    async def run() -> None:
        store = await open_store(database)
        try:
            await change(store)
        finally:
            await store.close()

    client.portal.call(run)  # type: ignore[union-attr]


def test_a_booking_by_another_process_shows_in_the_next_search(
    client: TestClient, database: str | Path
) -> None:
    before = farid_starts(client)
    assert before, "Farid has free starts on Wednesday"
    taken = before[0].astimezone(UTC)

    async def insert(store: Store) -> None:
        async with store.write() as tx:
            row = replace(appointment(taken, 30, agent="farid"), subject="insurance")
            await tx.insert_appointment(row)

    farid_starts(client)  # the same search again: kept, and nothing changed
    another_process(client, database, insert)
    after = farid_starts(client)
    assert before[0] not in after
    assert set(after) < set(before)


def test_a_hold_taken_by_another_process_shows_and_its_expiry_frees_the_time(
    client: TestClient, database: str | Path, clock: Clock
) -> None:
    before = farid_starts(client)
    start = before[0].astimezone(UTC)

    async def insert(store: Store) -> None:
        async with store.write() as tx:
            row = replace(
                hold(start, 30, expires_at=NOW + timedelta(minutes=7)),
                agent="farid",
                subject="insurance",
            )
            await tx.insert_hold(row)

    another_process(client, database, insert)
    assert before[0] not in farid_starts(client)
    # Nothing is committed when a hold expires: only the clock moves.
    clock.advance(minutes=8)
    assert before[0] in farid_starts(client)


class Counting:
    """A real store that counts its busy reads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads = 0

    async def data_version(self) -> int | None:
        return await self.store.data_version()

    async def busy_spans(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> list[BusySpan]:
        self.reads += 1
        return await self.store.busy_spans(agents, start, end, now)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_read_is_kept_until_something_is_committed(client: TestClient, backend: str) -> None:
    store = Counting(runtime(client).store)
    kept: busy_reads.Kept = busy_reads.Kept()
    start = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    end = start + timedelta(days=1)

    async def search() -> busy_reads.BusyRead:
        return await busy_reads.busy_read(kept, store, ("farid",), start, end, NOW)  # type: ignore[arg-type]

    async def write() -> None:
        async with store.store.write() as tx:
            row = replace(
                appointment(start + timedelta(hours=9), agent="farid"), subject="insurance"
            )
            await tx.insert_appointment(row)

    first = client.portal.call(search)  # type: ignore[union-attr]
    second = client.portal.call(search)  # type: ignore[union-attr]
    if backend == "postgresql":  # no cheap "changed since": every search reads
        assert store.reads == 2
        return
    assert second is first and store.reads == 1
    client.portal.call(write)  # type: ignore[union-attr]
    third = client.portal.call(search)  # type: ignore[union-attr]
    assert store.reads == 2
    assert len(third.spans) == len(first.spans) + 1
    assert third.key != first.key


def test_a_refused_start_takes_no_write_lock_and_a_retry_still_gets_its_booking(
    client: TestClient,
) -> None:
    start = farid_starts(client)[0]
    body = appointment_body("insurance", "OFFICE", start, "brussels")
    first = book(client, body, headers={"Idempotency-Key": "retry-me"})
    assert first.status_code == 201, first.text
    # Another customer, the same start: refused from the committed state.
    other = dict(body, customer={**body["customer"], "email": "bo@example.com"})
    refused = book(client, other)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "APPOINTMENT_NO_AVAILABILITY"
    # The first request, sent again: its own appointment, not a refusal.
    again = book(client, body, headers={"Idempotency-Key": "retry-me"})
    assert again.status_code == 201
    assert again.json()["appointment"]["id"] == first.json()["appointment"]["id"]


def test_a_taken_start_is_refused_while_another_process_holds_the_write_lock(
    client: TestClient, database: str | Path
) -> None:
    start = farid_starts(client)[0]
    assert (
        book(client, appointment_body("insurance", "OFFICE", start, "brussels")).status_code == 201
    )
    holding = asyncio.Event()
    released = asyncio.Event()

    async def hold_the_lock() -> None:
        store = await open_store(database)
        try:
            async with store.write() as tx:
                # SQLite: the write lock; PostgreSQL: Farid's advisory lock too.
                await tx.busy_spans(("farid",), start, start + timedelta(hours=1), NOW)
                holding.set()
                await asyncio.wait_for(released.wait(), 30)
        finally:
            await store.close()

    holder = client.portal.start_task_soon(hold_the_lock)  # type: ignore[union-attr]
    try:
        client.portal.call(holding.wait)  # type: ignore[union-attr]
        began = monotonic()
        other = appointment_body("insurance", "OFFICE", start, "brussels")
        other["customer"] = {**other["customer"], "email": "bo@example.com"}
        refused = book(client, other)
        waited = monotonic() - began
    finally:
        client.portal.call(released.set)  # type: ignore[union-attr]
        holder.result(timeout=30)
    assert refused.status_code == 409
    assert waited < 5  # answered without waiting for the lock (held for up to 30 s)


@given(
    zone=st.sampled_from(
        ["Pacific/Kiritimati", "Europe/Brussels", "America/New_York", "Etc/GMT+12", "Asia/Kolkata"]
    ),
    first=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    days=st.integers(min_value=1, max_value=62),
)
def test_a_widened_read_covers_the_window_in_any_zone(zone: str, first: date, days: int) -> None:
    local = ZoneInfo(zone)
    start = datetime.combine(first, time(), local).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), time(), local).astimezone(UTC)
    low, high = busy_reads.widened(start, end)
    assert low <= start - timedelta(hours=23) and high >= end + timedelta(hours=23)
    assert low.time() == high.time() == time() and low.tzinfo is UTC
