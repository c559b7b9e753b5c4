"""The PostgreSQL backend's part of the agents' calendars (SPEC 12): the SQL of the
`calendars` table, as two mixins that `server.store.postgresql` adds to its transaction
(`PgCalendarWrites`) and its store (`PgCalendarReads`), as `sqlite_calendars` does for
SQLite.

Leasing is one `UPDATE ... WHERE agent IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
RETURNING ...`: a calendar another process is leasing at that moment is passed over,
one whose lease was committed after the statement began is re-read when locked (READ
COMMITTED) and its live lease excludes it. So a calendar is read by one process at a
time across every machine; a process that dies leaves a lease that expires. Saving is
conditional on still holding the lease. `sync_calendars` (every process, at start and on
each new organisation version) changes rows with conditional statements that never
depend on what another process wrote in between: the same file gives the same rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg

from server.store.interface import CalendarRow
from server.vocabulary import from_unix, to_unix

_COLUMNS = (
    "agent, link, kind, busy, busy_from, busy_until, intervals, free_all_day, revision, "
    "etag, last_modified, worked_at, checked_at, next_check_at, problem, error, "
    "write_problem, write_error, failing_since, failures, notified, lease_owner, "
    "lease_until, updated_at"
)
_NAMES = [name.strip() for name in _COLUMNS.split(",")]
#: `next_check_at` of a calendar due at once (SQLite's 0).
_AT_ONCE: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    """As the store keeps times: UTC, whole seconds."""
    return from_unix(to_unix(moment))


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _row(row: asyncpg.Record) -> CalendarRow:
    return CalendarRow(
        agent=row["agent"],
        link=row["link"],
        kind=row["kind"],
        busy=bytes(row["busy"]),
        busy_from=row["busy_from"],
        busy_until=row["busy_until"],
        intervals=row["intervals"],
        free_all_day=row["free_all_day"],
        revision=row["revision"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        worked_at=row["worked_at"],
        checked_at=row["checked_at"],
        next_check_at=row["next_check_at"],
        problem=row["problem"],
        error=row["error"],
        write_problem=row["write_problem"],
        write_error=row["write_error"],
        failing_since=row["failing_since"],
        failures=row["failures"],
        notified=row["notified"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        updated_at=row["updated_at"],
    )


def _text(value: str | None) -> str | None:
    """PostgreSQL's text cannot hold NUL, which a misbehaving server's answer may put in
    an error message (SQLite keeps it): it becomes U+FFFD."""
    return None if value is None else value.replace("\x00", "\ufffd")


def _values(row: CalendarRow) -> list[Any]:
    return [
        row.agent,
        row.link,
        row.kind,
        row.busy,
        _maybe(row.busy_from),
        _maybe(row.busy_until),
        row.intervals,
        row.free_all_day,
        row.revision,
        _text(row.etag),
        _text(row.last_modified),
        _maybe(row.worked_at),
        _maybe(row.checked_at),
        _maybe(row.next_check_at) or _AT_ONCE,
        row.problem,
        _text(row.error),
        row.write_problem,
        _text(row.write_error),
        _maybe(row.failing_since),
        row.failures,
        row.notified,
        row.lease_owner,
        _maybe(row.lease_until),
        _utc(row.updated_at),
    ]


class PgCalendarReads:
    """`CalendarReader` on the class's `_pg_fetch` (the pool, or a transaction's
    connection)."""

    async def _pg_fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        raise NotImplementedError

    async def _pg_fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        raise NotImplementedError

    async def calendars(
        self, agents: Collection[str] | None = None, *, busy: bool = True
    ) -> dict[str, CalendarRow]:
        columns = _COLUMNS if busy else _COLUMNS.replace(" busy,", " ''::bytea AS busy,", 1)
        if agents is None:
            rows = await self._pg_fetch(f"SELECT {columns} FROM calendars")
        else:
            wanted = list(agents)
            if not wanted:
                return {}
            rows = await self._pg_fetch(
                f"SELECT {columns} FROM calendars WHERE agent = ANY($1::text[])", wanted
            )
        return {row["agent"]: _row(row) for row in rows}

    async def next_calendar_due(self, now: datetime) -> datetime | None:
        row = await self._pg_fetchrow(
            "SELECT min(next_check_at) FROM calendars"
            " WHERE lease_until IS NULL OR lease_until <= $1",
            _utc(now),
        )
        return None if row is None else row[0]


class PgCalendarWrites(PgCalendarReads):
    """`CalendarWriter` inside a transaction (its connection's `_pg_*`)."""

    async def _pg_execute(self, sql: str, *args: Any) -> int:
        raise NotImplementedError

    async def _pg_executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    async def sync_calendars(
        self, links: Mapping[str, tuple[str, str]], now: datetime, *, all_due: bool = False
    ) -> None:
        moment = _utc(now)
        agents = list(links)
        # Every statement below is conditional on the row as it is when the statement
        # runs, so processes syncing the same file at once agree whatever the order.
        await self._pg_execute("DELETE FROM calendars WHERE NOT (agent = ANY($1::text[]))", agents)
        await self._pg_executemany(
            "INSERT INTO calendars (agent, link, kind, next_check_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agent) DO NOTHING",
            [(agent, link, kind, _AT_ONCE, moment) for agent, (link, kind) in links.items()],
        )
        # Due at once; what it holds belongs to the old link until the read is saved.
        await self._pg_executemany(
            "UPDATE calendars SET next_check_at = $3, etag = NULL,"
            " last_modified = NULL, updated_at = $4 WHERE agent = $1 AND link <> $2",
            [(agent, link, _AT_ONCE, moment) for agent, (link, _) in links.items()],
        )
        if all_due:
            await self._pg_execute("UPDATE calendars SET next_check_at = $1", _AT_ONCE)

    async def claim_calendars(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[CalendarRow]:
        rows = await self._pg_fetch(
            f"""
            UPDATE calendars SET lease_owner = $1, lease_until = $2
             WHERE agent IN (
                SELECT agent FROM calendars
                 WHERE next_check_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
                 ORDER BY next_check_at, agent
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}
            """,
            owner,
            _utc(until),
            _utc(now),
            limit,
        )
        return sorted((_row(row) for row in rows), key=lambda row: row.agent)

    async def save_calendar(self, row: CalendarRow, *, owner: str | None = None) -> bool:
        values = _values(row)
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(_NAMES[1:], start=2))
        condition = "agent = $1"
        if owner is not None:
            condition += f" AND lease_owner = ${len(values) + 1}"
            values.append(owner)
        changed = await self._pg_execute(
            f"UPDATE calendars SET {assignments} WHERE {condition}", *values
        )
        return changed == 1


__all__ = ["PgCalendarReads", "PgCalendarWrites"]
