"""The worker's claims, leases and retries, against the real SQLite store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.deliveries import retries
from server.deliveries.retries import SendFailed
from server.store import DeliveryRow, new_id, open_store

pytestmark = [pytest.mark.organisation("demo"), pytest.mark.both_backends]

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def row(due: datetime = NOW, **changes: object) -> DeliveryRow:
    fields: dict[str, object] = {
        "id": new_id(),
        "channel": "webhook",
        "kind": "appointment.created",
        "recipient_role": "webhook",
        "recipient": "crm",
        "appointment_id": "a1",
        "payload": {},
        "due_at": due,
        "expires_at": due + timedelta(hours=48),
        "created_at": due,
        **changes,
    }
    return DeliveryRow(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [
        pytest.param(1, timedelta(minutes=1), id="first"),
        pytest.param(2, timedelta(minutes=5), id="second"),
        pytest.param(3, timedelta(minutes=30), id="third"),
        pytest.param(4, timedelta(hours=2), id="fourth"),
        pytest.param(5, timedelta(hours=6), id="fifth"),
        pytest.param(9, timedelta(hours=6), id="then-every-6h"),
    ],
)
def test_failures_are_retried_with_growing_delays(attempts: int, wait: timedelta) -> None:
    failed = retries.failed(row(attempts=attempts - 1), NOW, SendFailed("HTTP 503"))

    assert failed.status == "pending"
    assert failed.attempts == attempts
    assert failed.next_attempt_at == NOW + wait
    assert failed.last_error == "HTTP 503"


def test_the_last_attempt_is_made_at_48_hours_and_its_failure_is_final() -> None:
    delivery = row(attempts=10)
    late = NOW + timedelta(hours=46)

    almost = retries.failed(delivery, late, SendFailed("timeout"))
    final = retries.failed(delivery, NOW + timedelta(hours=48), SendFailed("timeout"))

    assert almost.next_attempt_at == NOW + timedelta(hours=48)
    assert final.status == "failed"


def test_a_permanent_refusal_is_final_at_once() -> None:
    assert retries.failed(row(), NOW, SendFailed("HTTP 410", permanent=True)).status == "failed"


#: Claimers racing in `test_concurrent_claims_never_share_a_row`: stores (server
#: processes) × loops in each (a process's concurrent transactions, each on its own
#: connection on PostgreSQL).
STORES, LOOPS, ROWS = 8, 4, 600


async def test_concurrent_claims_never_share_a_row(database: str | Path) -> None:
    setup = await open_store(database)
    async with setup.write() as tx:
        await tx.insert_deliveries([row() for _ in range(ROWS)])
    await setup.close()
    # Eight workers, each with its own connections, as in eight server processes.
    stores = [await open_store(database, pool_size=LOOPS) for _ in range(STORES)]
    start = asyncio.Event()

    async def claim_all(index: int) -> list[str]:
        store, owner = stores[index // LOOPS], f"w{index}"
        claimed: list[str] = []
        await start.wait()
        while True:
            async with store.write() as tx:
                batch = await tx.claim_deliveries(owner, NOW, NOW + timedelta(minutes=5), 7)
            if not batch:
                return claimed
            assert {delivery.claimed_by for delivery in batch} == {owner}
            claimed += [delivery.id for delivery in batch]
            await asyncio.sleep(0)

    try:
        racing = [asyncio.create_task(claim_all(i)) for i in range(STORES * LOOPS)]
        await asyncio.sleep(0.05)
        start.set()
        found = await asyncio.gather(*racing)
        owners = {row.id: row.claimed_by for row in await stores[0].deliveries(["pending"], ROWS)}
    finally:
        for store in stores:
            await store.close()

    every = [id for ids in found for id in ids]
    assert len(every) == ROWS
    assert len(set(every)) == ROWS
    # The database agrees: each row is claimed by the worker that got it.
    assert owners == {id: f"w{index}" for index, ids in enumerate(found) for id in ids}
    assert sum(1 for ids in found if ids) > 1  # the claims were shared out, not serial


async def test_a_dead_workers_claim_expires_and_the_row_is_claimed_again(
    database: str | Path,
) -> None:
    store = await open_store(database)
    try:
        delivery = row()
        async with store.write() as tx:
            await tx.insert_deliveries([delivery])
            (claimed,) = await tx.claim_deliveries("dead", NOW, NOW + timedelta(minutes=5), 10)
        assert claimed.claimed_by == "dead"

        async with store.write() as tx:
            during = await tx.claim_deliveries("other", NOW + timedelta(minutes=4), NOW, 10)
        async with store.write() as tx:
            after = await tx.claim_deliveries(
                "other", NOW + timedelta(minutes=5), NOW + timedelta(minutes=10), 10
            )
            late = await tx.finish_delivery(
                delivery.id,
                "dead",
                now=NOW,
                status="sent",
                attempts=1,
                next_attempt_at=NOW,
                last_error=None,
            )

        assert during == []
        assert [found.id for found in after] == [delivery.id]
        assert late is False  # the dead worker no longer holds it: nothing changes
        assert (await store.delivery(delivery.id)).claimed_by == "other"  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_a_delivery_not_yet_due_is_not_claimed(database: str | Path) -> None:
    store = await open_store(database)
    try:
        later = row(due=NOW + timedelta(hours=1))
        async with store.write() as tx:
            await tx.insert_deliveries([later])
            assert await tx.claim_deliveries("w", NOW, NOW + timedelta(minutes=5), 10) == []
        assert await store.next_delivery_due(NOW) == NOW + timedelta(hours=1)
    finally:
        await store.close()
