"""The SQLite backend's part of the outbox (SPEC 10): the SQL of the `deliveries` table,
as two mixins that `server.store.sqlite` adds to its transaction and its store.

Claiming is one `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING ...` inside the
caller's `BEGIN IMMEDIATE` transaction: SQLite's write lock serialises it against every
other process's claim, so a row is handed to one worker at a time. A claim is a lease
(`claimed_until`); a worker that dies leaves rows that any worker may claim once the
lease has passed. Recording the result is conditional on still holding the claim.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import msgspec

from server.deliveries.kinds import DeliveryStatus
from server.store.interface import DeliveryRow
from server.store.sqlite_writer import Fetcher
from server.vocabulary import from_unix, to_unix

_COLUMNS = (
    "id, channel, kind, recipient_role, recipient, appointment_id, payload, due_at, "
    "expires_at, status, attempts, next_attempt_at, last_error, claimed_by, claimed_until, "
    "created_at, updated_at, sent_at"
)
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def _maybe_time(value: int | None) -> datetime | None:
    return None if value is None else from_unix(value)


def _row(row: sqlite3.Row) -> DeliveryRow:
    return DeliveryRow(
        id=row["id"],
        channel=row["channel"],
        kind=row["kind"],
        recipient_role=row["recipient_role"],
        recipient=row["recipient"],
        appointment_id=row["appointment_id"],
        payload=_decode(row["payload"]),
        due_at=from_unix(row["due_at"]),
        expires_at=from_unix(row["expires_at"]),
        created_at=from_unix(row["created_at"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=from_unix(row["next_attempt_at"]),
        last_error=row["last_error"],
        claimed_by=row["claimed_by"],
        claimed_until=_maybe_time(row["claimed_until"]),
        updated_at=from_unix(row["updated_at"]),
        sent_at=_maybe_time(row["sent_at"]),
    )


def _values(row: DeliveryRow) -> list[Any]:
    return [
        row.id,
        row.channel,
        row.kind,
        row.recipient_role,
        row.recipient,
        row.appointment_id,
        _encode(row.payload).decode(),
        to_unix(row.due_at),
        to_unix(row.expires_at),
        row.status,
        row.attempts,
        to_unix(row.next_attempt_at or row.due_at),
        row.last_error,
        row.claimed_by,
        None if row.claimed_until is None else to_unix(row.claimed_until),
        to_unix(row.created_at),
        to_unix(row.updated_at or row.created_at),
        None if row.sent_at is None else to_unix(row.sent_at),
    ]


async def _all(conn: Fetcher, sql: str, params: Sequence[Any]) -> list[DeliveryRow]:
    return [_row(row) for row in await conn.execute_fetchall(sql, params)]  # one trip


class OutboxReads:
    """`DeliveryReader` on a connection the class names (`_outbox_reader`)."""

    def _outbox_reader(self) -> Fetcher:
        raise NotImplementedError

    async def delivery(self, id: str) -> DeliveryRow | None:
        found = await _all(
            self._outbox_reader(), f"SELECT {_COLUMNS} FROM deliveries WHERE id = ?", [id]
        )
        return found[0] if found else None

    async def deliveries(
        self, statuses: Collection[DeliveryStatus], limit: int = 100
    ) -> list[DeliveryRow]:
        wanted = list(statuses)
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        return await _all(
            self._outbox_reader(),
            f"SELECT {_COLUMNS} FROM deliveries WHERE status IN ({marks}) "
            "ORDER BY next_attempt_at, rowid LIMIT ?",
            [*wanted, limit],
        )

    async def appointment_deliveries(self, appointment_id: str) -> list[DeliveryRow]:
        return await _all(
            self._outbox_reader(),
            f"SELECT {_COLUMNS} FROM deliveries WHERE appointment_id = ? ORDER BY rowid",
            [appointment_id],
        )

    async def next_delivery_due(self, now: datetime) -> datetime | None:
        # Rows under a live claim are being sent; the earliest of the others decides.
        sql = """
            SELECT min(next_attempt_at) FROM deliveries
             WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?)
        """
        rows = list(await self._outbox_reader().execute_fetchall(sql, [to_unix(now)]))
        row = rows[0] if rows else None
        return None if row is None or row[0] is None else from_unix(row[0])


class OutboxWrites(OutboxReads):
    """`DeliveryWriter` inside a transaction whose class gives `_outbox_execute`."""

    async def _outbox_execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    async def _outbox_execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many rows in the transaction (one call to the thread)."""
        raise NotImplementedError

    async def _outbox_fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        """Run a statement that returns rows (`RETURNING`) in the transaction."""
        raise NotImplementedError

    async def insert_deliveries(self, rows: Sequence[DeliveryRow]) -> None:
        if rows:
            marks = ", ".join("?" * 18)
            await self._outbox_execute_many(
                f"INSERT INTO deliveries ({_COLUMNS}) VALUES ({marks})", [_values(r) for r in rows]
            )

    async def delete_pending_deliveries(self, appointment_id: str, kinds: Collection[str]) -> int:
        wanted = list(kinds)
        if not wanted:
            return 0
        marks = ", ".join("?" * len(wanted))
        return await self._outbox_execute(
            f"DELETE FROM deliveries WHERE appointment_id = ? AND status = 'pending' "
            f"AND kind IN ({marks})",
            [appointment_id, *wanted],
        )

    async def claim_deliveries(
        self, owner: str, now: datetime, until: datetime, limit: int, id: str | None = None
    ) -> list[DeliveryRow]:
        moment = to_unix(now)
        only = "AND id = ?" if id is not None else ""
        sql = f"""
            UPDATE deliveries SET claimed_by = ?, claimed_until = ?, updated_at = ?
             WHERE id IN (
                SELECT id FROM deliveries
                 WHERE status = 'pending' AND next_attempt_at <= ?
                   AND (claimed_until IS NULL OR claimed_until <= ?) {only}
                 ORDER BY next_attempt_at, rowid
                 LIMIT ?)
            RETURNING {_COLUMNS}
        """
        params: list[Any] = [owner, to_unix(until), moment, moment, moment]
        if id is not None:
            params.append(id)
        params.append(limit)
        claimed = [_row(row) for row in await self._outbox_fetch(sql, params)]
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
        changed = await self._outbox_execute(
            """
            UPDATE deliveries
               SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
                   claimed_by = NULL, claimed_until = NULL, updated_at = ?,
                   sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END
             WHERE id = ? AND claimed_by = ?
            """,
            [
                status,
                attempts,
                to_unix(next_attempt_at),
                last_error,
                to_unix(now),
                status,
                to_unix(now),
                id,
                owner,
            ],
        )
        return changed == 1

    async def retry_delivery(self, id: str, now: datetime, expires_at: datetime) -> bool:
        moment = to_unix(now)
        changed = await self._outbox_execute(
            """
            UPDATE deliveries
               SET status = 'pending', next_attempt_at = ?, expires_at = ?, updated_at = ?,
                   -- a worker sending it right now keeps its claim, and records its result
                   claimed_by = CASE WHEN claimed_until > ? THEN claimed_by END,
                   claimed_until = CASE WHEN claimed_until > ? THEN claimed_until END
             WHERE id = ?
            """,
            [moment, to_unix(expires_at), moment, moment, moment, id],
        )
        return changed == 1


__all__ = ["OutboxReads", "OutboxWrites"]
