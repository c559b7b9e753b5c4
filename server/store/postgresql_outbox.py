"""The PostgreSQL backend's part of the outbox (SPEC 10): the SQL of the `deliveries`
table, as two mixins that `server.store.postgresql` adds to its transaction
(`PgOutboxWrites`) and its store (`PgOutboxReads`), as `sqlite_outbox` does for SQLite.

Claiming is one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
RETURNING ...`: the inner query locks the rows it picks and passes over those another
worker's claim has locked at that moment, so workers on any number of machines each get
different rows and none waits for another. A claim is a lease (`claimed_until`) that
the claiming transaction commits at once; a worker that dies leaves rows any worker may
claim once the lease has passed. Recording the result is conditional on still holding
the claim. Rows are kept in the order they were written by `seq` (an identity column:
SQLite's rowid).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from server.deliveries.kinds import DeliveryStatus
from server.store.interface import DeliveryRow
from server.vocabulary import from_unix, to_unix

_COLUMNS = (
    "id, channel, kind, recipient_role, recipient, appointment_id, payload, due_at, "
    "expires_at, status, attempts, next_attempt_at, last_error, claimed_by, claimed_until, "
    "created_at, updated_at, sent_at"
)
_MARKS = ", ".join(f"${n}" for n in range(1, 19))


def _utc(moment: datetime) -> datetime:
    """As the store keeps times: UTC, whole seconds."""
    return from_unix(to_unix(moment))


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _row(row: asyncpg.Record) -> DeliveryRow:
    return DeliveryRow(
        id=row["id"],
        channel=row["channel"],
        kind=row["kind"],
        recipient_role=row["recipient_role"],
        recipient=row["recipient"],
        appointment_id=row["appointment_id"],
        payload=row["payload"],
        due_at=row["due_at"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        claimed_by=row["claimed_by"],
        claimed_until=row["claimed_until"],
        updated_at=row["updated_at"],
        sent_at=row["sent_at"],
    )


def _text(value: str | None) -> str | None:
    """PostgreSQL's text and jsonb cannot hold NUL, which an answer quoted in an error (a
    calendar server's, an SMTP server's) may carry and SQLite keeps: it becomes U+FFFD."""
    return None if value is None else value.replace("\x00", "\ufffd")


def _json(value: Any) -> Any:
    """A payload with `_text` applied to every string in it."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Mapping):
        return {_text(key): _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def _values(row: DeliveryRow) -> tuple[Any, ...]:
    return (
        row.id,
        row.channel,
        row.kind,
        row.recipient_role,
        row.recipient,
        row.appointment_id,
        _json(row.payload),
        _utc(row.due_at),
        _utc(row.expires_at),
        row.status,
        row.attempts,
        _utc(row.next_attempt_at or row.due_at),
        _text(row.last_error),
        row.claimed_by,
        _maybe(row.claimed_until),
        _utc(row.created_at),
        _utc(row.updated_at or row.created_at),
        _maybe(row.sent_at),
    )


class PgOutboxReads:
    """`DeliveryReader` on the class's `_pg_fetch` (the pool, or a transaction's
    connection)."""

    async def _pg_fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        raise NotImplementedError

    async def _pg_fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        raise NotImplementedError

    async def delivery(self, id: str) -> DeliveryRow | None:
        row = await self._pg_fetchrow(f"SELECT {_COLUMNS} FROM deliveries WHERE id = $1", id)
        return None if row is None else _row(row)

    async def deliveries(
        self, statuses: Collection[DeliveryStatus], limit: int = 100
    ) -> list[DeliveryRow]:
        wanted = list(statuses)
        if not wanted:
            return []
        rows = await self._pg_fetch(
            f"SELECT {_COLUMNS} FROM deliveries WHERE status = ANY($1::text[]) "
            "ORDER BY next_attempt_at, seq LIMIT $2",
            wanted,
            limit,
        )
        return [_row(row) for row in rows]

    async def appointment_deliveries(self, appointment_id: str) -> list[DeliveryRow]:
        rows = await self._pg_fetch(
            f"SELECT {_COLUMNS} FROM deliveries WHERE appointment_id = $1 ORDER BY seq",
            appointment_id,
        )
        return [_row(row) for row in rows]

    async def next_delivery_due(self, now: datetime) -> datetime | None:
        # Rows under a live claim are being sent; the earliest of the others decides.
        row = await self._pg_fetchrow(
            "SELECT min(next_attempt_at) FROM deliveries"
            " WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $1)",
            _utc(now),
        )
        return None if row is None else row[0]


class PgOutboxWrites(PgOutboxReads):
    """`DeliveryWriter` inside a transaction (its connection's `_pg_*`)."""

    async def _pg_execute(self, sql: str, *args: Any) -> int:
        raise NotImplementedError

    async def _pg_executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    async def insert_deliveries(self, rows: Sequence[DeliveryRow]) -> None:
        # One statement per row, in the caller's order: `seq` numbers them as written.
        await self._pg_executemany(
            f"INSERT INTO deliveries ({_COLUMNS}) VALUES ({_MARKS})", [_values(r) for r in rows]
        )

    async def delete_pending_deliveries(self, appointment_id: str, kinds: Collection[str]) -> int:
        wanted = list(kinds)
        if not wanted:
            return 0
        return await self._pg_execute(
            "DELETE FROM deliveries WHERE appointment_id = $1 AND status = 'pending'"
            " AND kind = ANY($2::text[])",
            appointment_id,
            wanted,
        )

    async def claim_deliveries(
        self, owner: str, now: datetime, until: datetime, limit: int, id: str | None = None
    ) -> list[DeliveryRow]:
        # SKIP LOCKED: rows another worker is claiming right now are left to it, so
        # concurrent claims neither wait for each other nor take the same row. A row a
        # claim committed after this statement began is re-read when locked (READ
        # COMMITTED), and its live lease excludes it.
        only = "AND id = $5" if id is not None else ""
        sql = f"""
            UPDATE deliveries SET claimed_by = $1, claimed_until = $2, updated_at = $3
             WHERE id IN (
                SELECT id FROM deliveries
                 WHERE status = 'pending' AND next_attempt_at <= $3
                   AND (claimed_until IS NULL OR claimed_until <= $3) {only}
                 ORDER BY next_attempt_at, seq
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}
        """
        args: list[Any] = [owner, _utc(until), _utc(now), limit]
        if id is not None:
            args.append(id)
        rows = await self._pg_fetch(sql, *args)
        claimed = [_row(row) for row in rows]
        return sorted(claimed, key=lambda row: (row.next_attempt_at or row.due_at, row.id))

    async def finish_delivery(
        self,
        id: str,
        owner: str,
        *,
        now: datetime,
        status: DeliveryStatus,
        attempts: int,
        next_attempt_at: datetime,
        last_error: str | None,
    ) -> bool:
        changed = await self._pg_execute(
            """
            UPDATE deliveries
               SET status = $3, attempts = $4, next_attempt_at = $5, last_error = $6,
                   claimed_by = NULL, claimed_until = NULL, updated_at = $7,
                   sent_at = CASE WHEN $3 = 'sent' THEN $7 ELSE sent_at END
             WHERE id = $1 AND claimed_by = $2
            """,
            id,
            owner,
            status,
            attempts,
            _utc(next_attempt_at),
            _text(last_error),
            _utc(now),
        )
        return changed == 1

    async def retry_delivery(self, id: str, now: datetime, expires_at: datetime) -> bool:
        changed = await self._pg_execute(
            """
            UPDATE deliveries
               SET status = 'pending', next_attempt_at = $2, expires_at = $3, updated_at = $2,
                   -- a worker sending it right now keeps its claim, and records its result
                   claimed_by = CASE WHEN claimed_until > $2 THEN claimed_by END,
                   claimed_until = CASE WHEN claimed_until > $2 THEN claimed_until END
             WHERE id = $1
            """,
            id,
            _utc(now),
            _utc(expires_at),
        )
        return changed == 1


__all__ = ["PgOutboxReads", "PgOutboxWrites"]
