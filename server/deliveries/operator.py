"""`rendezvous outbox`: what is pending or failed, and `--retry ID` (SPEC 8, 10).

What it prints, and what not: an operator needs to know which delivery is stuck, for
which appointment, why, and whether it concerns one recipient or a whole domain. So a
line shows the delivery's id, status, channel and kind, the appointment's id, the
attempts, when it was last tried or will be tried next, and the last error; a
recipient is shown masked (`a***@example.com`: the domain, not the person; a webhook
by its id), and the stored errors are masked the same way. Names, phone numbers,
answers and the message itself are not printed: they are in the database for whoever
may read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from server.deliveries.outbox import GIVE_UP_AFTER
from server.deliveries.worker import DeliveryWorker, mail_transport, mask
from server.runtime import Runtime
from server.settings import Settings
from server.store import DeliveryRow, open_store

LIMIT = 200


def recipient(row: DeliveryRow) -> str:
    if row.recipient_role == "webhook":
        return f"webhook {row.recipient}"
    return f"{row.recipient_role} {mask(row.recipient)}"


def table(rows: Sequence[DeliveryRow], now: datetime) -> str:
    """One line per delivery, then its last error indented below it."""
    lines = []
    for row in rows:
        when = row.next_attempt_at or row.due_at
        timing = (
            f"next attempt {_ago(when, now)}"
            if row.status == "pending"
            else f"given up {_ago(row.updated_at or when, now)}"
        )
        lines.append(
            f"{row.id}  {row.status:<7}  {row.channel:<7}  {row.kind:<26}"
            f"  {recipient(row):<34}  appointment {row.appointment_id or '-'}"
            f"  attempts {row.attempts}  {timing}"
        )
        if row.last_error:
            lines.append(f"    last error: {row.last_error}")
    return "\n".join(lines)


def _ago(moment: datetime, now: datetime) -> str:
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    seconds = int((moment - now).total_seconds())
    if abs(seconds) < 60:
        return f"{stamp} (now)"
    span = timedelta(seconds=abs(seconds))
    words = (
        f"{span.days} d"
        if span.days
        else f"{span.seconds // 3600} h {span.seconds % 3600 // 60} min"
    )
    return f"{stamp} ({'in ' + words if seconds > 0 else words + ' ago'})"


async def listing(settings: Settings, now: datetime) -> str:
    """`rendezvous outbox`: pending and failed deliveries, the next to be tried first."""
    if settings.database_url is None and not settings.database_path.exists():
        return f"no database at {settings.database_path} yet: nothing was ever written"
    store = await open_store(settings.database, pool_size=1)
    try:
        rows = await store.deliveries(("pending", "failed"), limit=LIMIT + 1)
    finally:
        await store.close()
    if not rows:
        return "the outbox is empty: nothing pending, nothing failed"
    pending = sum(row.status == "pending" for row in rows)
    more = f" (the first {LIMIT} shown)" if len(rows) > LIMIT else ""
    head = f"{pending} pending, {len(rows) - pending} failed{more}"
    return f"{head}\n{table(rows[:LIMIT], now)}"


async def retry(settings: Settings, delivery_id: str, now: datetime) -> tuple[int, str]:
    """`rendezvous outbox --retry ID`: make it pending and due now (the 48 hours start
    again), then try it once from this process. Exit code 0 when it was sent, 1 when it
    was not (yet), 2 when there is no such delivery."""
    if settings.database_url is None and not settings.database_path.exists():
        return 2, f"no database at {settings.database_path}"
    runtime = await Runtime.start(dataclasses.replace(settings, reload_interval=0))
    worker = DeliveryWorker(runtime, mail_transport(settings))
    try:
        async with runtime.store.write() as tx:
            found = await tx.retry_delivery(delivery_id, now, now + GIVE_UP_AFTER)
        if not found:
            return 2, f'no delivery "{delivery_id}" (see `rendezvous outbox`)'
        await worker.run_once(only=delivery_id)
        row = await runtime.store.delivery(delivery_id)
    finally:
        await worker.stop()
        await runtime.stop()
    assert row is not None
    if row.status == "sent":
        return 0, f"{row.id}: sent to {recipient(row)}"
    if row.claimed_by and row.status == "pending":
        return 1, f"{row.id}: pending; a running server is sending it right now"
    return 1, f"{row.id}: {row.status}\n{table([row], runtime.now())}"


__all__ = ["listing", "recipient", "retry", "table"]
