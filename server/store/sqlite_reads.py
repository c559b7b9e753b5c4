"""The SQLite backend's reads of appointments, holds and idempotency keys, shared by
the store (its read connection: one trip a query) and a transaction (at once,
`sqlite_writer.Member`), and the decoding of their rows. The outbox's, the desk's and
the calendars' reads are in their own modules; `sqlite.py` holds the store itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import aiosqlite
import msgspec

from server.store.interface import (
    MAX_OCCUPATION,
    AppointmentRow,
    BusyRow,
    BusySpan,
    HoldRow,
    IdempotencyRow,
    busy_rows,
)
from server.store.sqlite_writer import Member, fetchall
from server.vocabulary import from_unix, to_unix

#: Where a read runs: the read connection (one trip), or a transaction (at once).
Link = aiosqlite.Connection | Member
_json_decode = msgspec.json.Decoder(dict[str, Any]).decode


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


# Reads, shared by Store (read connection) and Transaction (write connection).

APPOINTMENT_COLUMNS = (
    "id, status, sequence, subject, meeting_type, office, agent, start_utc, end_utc, "
    "trailing_buffer, timezone, language, customer, location, answers, metadata, "
    "video_url, invite_id, created_at, updated_at"
)
HOLD_COLUMNS = (
    "id, agent, subject, meeting_type, office, start_utc, end_utc, trailing_buffer, "
    "expires_at, used_by, client"
)


def appointment_from_row(row: sqlite3.Row) -> AppointmentRow:
    return AppointmentRow(
        id=row["id"],
        status=row["status"],
        sequence=row["sequence"],
        subject=row["subject"],
        meeting_type=row["meeting_type"],
        office=row["office"],
        agent=row["agent"],
        start=from_unix(row["start_utc"]),
        end=from_unix(row["end_utc"]),
        trailing_buffer=row["trailing_buffer"],
        timezone=row["timezone"],
        language=row["language"],
        customer=_json_decode(row["customer"]),
        location=None if row["location"] is None else _json_decode(row["location"]),
        answers=_json_decode(row["answers"]),
        metadata=_json_decode(row["metadata"]),
        video_url=row["video_url"],
        invite_id=row["invite_id"],
        created_at=from_unix(row["created_at"]),
        updated_at=from_unix(row["updated_at"]),
    )


def hold_from_row(row: sqlite3.Row) -> HoldRow:
    return HoldRow(
        id=row["id"],
        agent=row["agent"],
        subject=row["subject"],
        meeting_type=row["meeting_type"],
        office=row["office"],
        start=from_unix(row["start_utc"]),
        end=from_unix(row["end_utc"]),
        trailing_buffer=row["trailing_buffer"],
        expires_at=from_unix(row["expires_at"]),
        used_by=row["used_by"],
        client=row["client"],
    )


async def fetchone(conn: Link, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
    rows = await fetchall(conn, sql, params)
    return rows[0] if rows else None


async def busy(
    conn: Link,
    agents: Collection[str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[str, list[BusyRow]]:
    return busy_rows(await busy_spans(conn, agents, start, end, now), agents)


async def busy_spans(
    conn: Link,
    agents: Collection[str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[BusySpan]:
    names = list(dict.fromkeys(agents))
    if not names:
        return []
    lo, hi = to_unix(start), to_unix(end)
    # `start_utc > lo - MAX_OCCUPATION` is implied by the overlap and the schema's CHECK;
    # stating it bounds the scan of the (agent, start_utc) indexes from below. The unary
    # `+` keeps SQLite from scanning the status index instead (every booking ever made).
    earliest = lo - int(MAX_OCCUPATION.total_seconds())
    in_agents = placeholders(len(names))
    sql = f"""
        SELECT agent, start_utc, end_utc, trailing_buffer, 0 AS hold
          FROM appointments
         WHERE agent IN ({in_agents})
           AND +status IN ('confirmed', 'requested')
           AND start_utc < ? AND start_utc > ?
           AND end_utc + trailing_buffer * 60 > ?
        UNION ALL
        SELECT agent, start_utc, end_utc, trailing_buffer, expires_at AS hold
          FROM holds
         WHERE agent IN ({in_agents})
           AND used_by IS NULL AND expires_at > ?
           AND start_utc < ? AND start_utc > ?
           AND end_utc + trailing_buffer * 60 > ?
         ORDER BY agent, start_utc, end_utc
    """
    params = [*names, hi, earliest, lo, *names, to_unix(now), hi, earliest, lo]
    # Plain tuples: no sqlite3.Row per occupation.
    rows: list[BusySpan] = await fetchall(conn, sql, params, plain=True)
    return rows


async def appointment_counts(
    conn: Link, agents: Collection[str], start: datetime, end: datetime
) -> dict[str, int]:
    counts = dict.fromkeys(agents, 0)
    if not counts:
        return counts
    sql = f"""
        SELECT agent, count(*) AS n
          FROM appointments
         WHERE agent IN ({placeholders(len(counts))})
           AND status IN ('confirmed', 'requested')
           AND start_utc >= ? AND start_utc < ?
         GROUP BY agent
    """
    for row in await fetchall(conn, sql, [*counts, to_unix(start), to_unix(end)]):
        counts[row["agent"]] = row["n"]
    return counts


async def appointment(conn: Link, id: str) -> AppointmentRow | None:
    row = await fetchone(conn, f"SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id = ?", [id])
    return None if row is None else appointment_from_row(row)


async def appointments_where(
    conn: Link, where: str, params: Sequence[Any], order: str
) -> list[AppointmentRow]:
    """Appointments matching `where` (SQL of the store's own modules, never a caller's)."""
    sql = f"SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE {where} {order}"
    return [appointment_from_row(row) for row in await fetchall(conn, sql, params)]


async def invite_used(conn: Link, invite_id: str) -> bool:
    row = await fetchone(conn, "SELECT 1 FROM used_invites WHERE invite_id = ?", [invite_id])
    return row is not None


async def idempotency_key(conn: Link, key: str, since: datetime) -> IdempotencyRow | None:
    row = await fetchone(
        conn,
        "SELECT key, request_hash, appointment_id, created_at FROM idempotency_keys "
        "WHERE key = ? AND created_at >= ?",
        [key, to_unix(since)],
    )
    if row is None:
        return None
    return IdempotencyRow(
        key=row["key"],
        request_hash=row["request_hash"],
        appointment_id=row["appointment_id"],
        created_at=from_unix(row["created_at"]),
    )


async def hold(conn: Link, id: str) -> HoldRow | None:
    row = await fetchone(conn, f"SELECT {HOLD_COLUMNS} FROM holds WHERE id = ?", [id])
    return None if row is None else hold_from_row(row)


__all__ = [
    "APPOINTMENT_COLUMNS",
    "HOLD_COLUMNS",
    "Link",
    "appointment",
    "appointment_counts",
    "appointment_from_row",
    "appointments_where",
    "busy",
    "busy_spans",
    "fetchone",
    "hold",
    "hold_from_row",
    "idempotency_key",
    "invite_used",
    "placeholders",
]
