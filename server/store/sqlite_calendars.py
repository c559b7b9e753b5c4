"""The SQLite backend's part of agents' calendars (SPEC 12): the SQL of the `calendars`
table (migration 0006), as two mixins that `server.store.sqlite` adds to its transaction
and its store.

Leasing is one `UPDATE ... WHERE agent IN (SELECT ... LIMIT n) RETURNING ...` inside the
caller's `BEGIN IMMEDIATE` transaction: SQLite's write lock serialises it against every
other process, so a calendar is read by one process at a time; a process that dies
leaves a lease that expires. Saving is conditional on still holding the lease.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from server.store.interface import CalendarRow
from server.store.sqlite_writer import Fetcher
from server.vocabulary import from_unix, to_unix

_COLUMNS = (
    "agent, link, kind, busy, busy_from, busy_until, intervals, free_all_day, revision, "
    "etag, last_modified, worked_at, checked_at, next_check_at, problem, error, "
    "write_problem, write_error, failing_since, failures, notified, lease_owner, "
    "lease_until, updated_at"
)
_NAMES = [name.strip() for name in _COLUMNS.split(",")]


def _time(value: int | None) -> datetime | None:
    return None if value is None else from_unix(value)


def _unix(value: datetime | None) -> int | None:
    return None if value is None else to_unix(value)


def _row(row: sqlite3.Row) -> CalendarRow:
    return CalendarRow(
        agent=row["agent"],
        link=row["link"],
        kind=row["kind"],
        busy=bytes(row["busy"]),
        busy_from=_time(row["busy_from"]),
        busy_until=_time(row["busy_until"]),
        intervals=row["intervals"],
        free_all_day=row["free_all_day"],
        revision=row["revision"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        worked_at=_time(row["worked_at"]),
        checked_at=_time(row["checked_at"]),
        next_check_at=from_unix(row["next_check_at"]),
        problem=row["problem"],
        error=row["error"],
        write_problem=row["write_problem"],
        write_error=row["write_error"],
        failing_since=_time(row["failing_since"]),
        failures=row["failures"],
        notified=bool(row["notified"]),
        lease_owner=row["lease_owner"],
        lease_until=_time(row["lease_until"]),
        updated_at=from_unix(row["updated_at"]),
    )


def _values(row: CalendarRow) -> list[Any]:
    return [
        row.agent,
        row.link,
        row.kind,
        row.busy,
        _unix(row.busy_from),
        _unix(row.busy_until),
        row.intervals,
        row.free_all_day,
        row.revision,
        row.etag,
        row.last_modified,
        _unix(row.worked_at),
        _unix(row.checked_at),
        _unix(row.next_check_at) or 0,
        row.problem,
        row.error,
        row.write_problem,
        row.write_error,
        _unix(row.failing_since),
        row.failures,
        int(row.notified),
        row.lease_owner,
        _unix(row.lease_until),
        to_unix(row.updated_at),
    ]


class CalendarReads:
    """`CalendarReader` on a connection the class names (`_calendar_reader`)."""

    def _calendar_reader(self) -> Fetcher:
        raise NotImplementedError

    async def calendars(
        self, agents: Collection[str] | None = None, *, busy: bool = True
    ) -> dict[str, CalendarRow]:
        columns = _COLUMNS if busy else _COLUMNS.replace(" busy,", " x'' AS busy,", 1)
        if agents is None:
            sql, params = f"SELECT {columns} FROM calendars", []
        else:
            wanted = list(agents)
            if not wanted:
                return {}
            marks = ", ".join("?" * len(wanted))
            sql, params = f"SELECT {columns} FROM calendars WHERE agent IN ({marks})", wanted
        rows = await self._calendar_reader().execute_fetchall(sql, params)  # one trip
        return {row["agent"]: _row(row) for row in rows}

    async def next_calendar_due(self, now: datetime) -> datetime | None:
        sql = """
            SELECT min(next_check_at) FROM calendars
             WHERE lease_until IS NULL OR lease_until <= ?
        """
        rows = list(await self._calendar_reader().execute_fetchall(sql, [to_unix(now)]))
        row = rows[0] if rows else None
        return None if row is None or row[0] is None else from_unix(row[0])


class CalendarWrites(CalendarReads):
    """`CalendarWriter` inside a transaction whose class gives `_calendar_execute`."""

    async def _calendar_execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    async def _calendar_execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    async def _calendar_fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        raise NotImplementedError

    async def sync_calendars(
        self, links: Mapping[str, tuple[str, str]], now: datetime, *, all_due: bool = False
    ) -> None:
        moment = to_unix(now)
        known = await self._calendar_fetch("SELECT agent, link FROM calendars", [])
        stored = {row["agent"]: row["link"] for row in known}
        gone = [[agent] for agent in stored if agent not in links]
        if gone:
            await self._calendar_execute_many("DELETE FROM calendars WHERE agent = ?", gone)
        new = [
            [agent, link, kind, moment]
            for agent, (link, kind) in links.items()
            if agent not in stored
        ]
        if new:
            await self._calendar_execute_many(
                "INSERT INTO calendars (agent, link, kind, next_check_at, updated_at) "
                "VALUES (?, ?, ?, 0, ?)",
                new,
            )
        changed = [
            [moment, agent]
            for agent, (link, _) in links.items()
            if agent in stored and stored[agent] != link
        ]
        if changed:
            # Due at once; what it holds belongs to the old link until the read is saved.
            await self._calendar_execute_many(
                "UPDATE calendars SET next_check_at = 0, etag = NULL, last_modified = NULL, "
                "updated_at = ? WHERE agent = ?",
                changed,
            )
        if all_due:
            await self._calendar_execute("UPDATE calendars SET next_check_at = 0")

    async def claim_calendars(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[CalendarRow]:
        moment = to_unix(now)
        sql = f"""
            UPDATE calendars SET lease_owner = ?, lease_until = ?
             WHERE agent IN (
                SELECT agent FROM calendars
                 WHERE next_check_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                 ORDER BY next_check_at, agent
                 LIMIT ?)
            RETURNING {_COLUMNS}
        """
        rows = await self._calendar_fetch(sql, [owner, to_unix(until), moment, moment, limit])
        return sorted((_row(row) for row in rows), key=lambda row: row.agent)

    async def save_calendar(self, row: CalendarRow, *, owner: str | None = None) -> bool:
        assignments = ", ".join(f"{name} = ?" for name in _NAMES[1:])
        values = _values(row)
        condition = "agent = ?"
        params = [*values[1:], row.agent]
        if owner is not None:
            condition += " AND lease_owner = ?"
            params.append(owner)
        changed = await self._calendar_execute(
            f"UPDATE calendars SET {assignments} WHERE {condition}", params
        )
        return changed == 1


__all__ = ["CalendarReads", "CalendarWrites"]
