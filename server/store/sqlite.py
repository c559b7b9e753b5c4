"""The SQLite backend of the store (`server.store.interface`): the store and its transactions
(the reads they share are in `sqlite_reads.py`, the outbox's, the desk's, the calendars' and the
bots' SQL in their own modules).

SQLite through aiosqlite, in the shape of Datasette's `database.py`:

- one **write connection** per process (`sqlite_writer.Writer`); every write runs
  inside `async with store.write() as tx:`, which is `BEGIN IMMEDIATE ... COMMIT` (or
  a rollback of its own writes on any exception). `BEGIN IMMEDIATE` takes SQLite's
  write lock at once, so writers in several server processes are serialised too (and
  queue on a lock file first), and whatever a transaction reads (`tx.busy(...)`) is
  still true when it writes. That is what makes booking atomic. Transactions of one
  process that queue for the lock share one COMMIT (group commit, one fsync), each
  behind a SAVEPOINT; `store.write()` returns once its group has committed.
- one **read connection** for reads outside a transaction. In WAL mode readers never
  block the writer and see the last committed state.

Pragmas: `journal_mode=WAL`, `foreign_keys=ON`, `busy_timeout=10000` (a writer waits up
to 10 s for another process's transaction instead of failing), and `synchronous=FULL`.
With WAL, `NORMAL` is already safe against a killed process (kill -9): a transaction is
committed once its frames are in the WAL file, which the OS keeps whatever happens to the
process. What `NORMAL` can lose is the last transactions on power loss or an OS crash,
because it only syncs the WAL at checkpoints. A confirmed booking is a promise made to a
customer, and writes are rare next to slot reads, so we pay one fsync per commit.

Migrations are `migrations/sqlite/NNNN_name.sql`, applied in order at open, each in the same
`BEGIN IMMEDIATE` transaction that checks `schema_migrations`, so several processes
opening one file at once apply each migration exactly once.

Times are aware UTC datetimes in Python and integer unix seconds in SQL (fast range
queries); the conversion happens here and nowhere else. JSON columns hold msgspec JSON.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import msgspec

from server.files import private_database
from server.store import sqlite_reads as reads
from server.store.interface import (
    AppointmentRow,
    BusyRow,
    BusySpan,
    Conflict,
    HoldRow,
    IdempotencyRow,
    StoreError,
)
from server.store.sqlite_bots import BotWrites
from server.store.sqlite_calendars import CalendarReads, CalendarWrites
from server.store.sqlite_checkpoints import BACKSTOP, Checkpointer
from server.store.sqlite_desk import DeskReads, DeskWrites
from server.store.sqlite_outbox import OutboxReads, OutboxWrites
from server.store.sqlite_writer import Fetcher, Member, Writer, fetch_all
from server.vocabulary import AppointmentStatus, to_unix

_MIGRATIONS = Path(__file__).parent / "migrations" / "sqlite"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_SYNCHRONOUS = "FULL"
_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder(dict[str, Any]).decode


def _changed(raw: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cursor = raw.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


class SQLiteTransaction(OutboxWrites, DeskWrites, CalendarWrites, BotWrites):
    """One transaction (`server/store/sqlite_writer.py`: `BEGIN IMMEDIATE`, perhaps
    shared with others of this process behind a `SAVEPOINT`): reads see the locked
    state, writes commit together at the end of `async with store.write()` or not at
    all. The outbox's methods are `OutboxWrites` (`server/store/sqlite_outbox.py`)."""

    def __init__(self, member: Member) -> None:
        self._member = member

    @property
    def _open(self) -> bool:
        return self._member.open

    async def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        try:
            return await self._member.write(fn)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise Conflict(str(exc)) from exc
            raise StoreError(str(exc)) from exc

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        changed: int = await self._write(lambda raw: _changed(raw, sql, params))
        return changed

    async def busy(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> dict[str, list[BusyRow]]:
        return await reads.busy(self._member, agents, start, end, now)

    async def busy_spans(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> list[BusySpan]:
        return await reads.busy_spans(self._member, agents, start, end, now)

    async def appointment_counts(
        self, agents: Collection[str], start: datetime, end: datetime
    ) -> dict[str, int]:
        return await reads.appointment_counts(self._member, agents, start, end)

    async def appointment(self, id: str) -> AppointmentRow | None:
        return await reads.appointment(self._member, id)

    async def insert_appointment(self, row: AppointmentRow) -> None:
        await self._execute(
            f"INSERT INTO appointments ({reads.APPOINTMENT_COLUMNS})"
            f" VALUES ({reads.placeholders(20)})",
            [
                row.id,
                row.status,
                row.sequence,
                row.subject,
                row.meeting_type,
                row.office,
                row.agent,
                to_unix(row.start),
                to_unix(row.end),
                row.trailing_buffer,
                row.timezone,
                row.language,
                _json_encode(row.customer).decode(),
                None if row.location is None else _json_encode(row.location).decode(),
                _json_encode(row.answers).decode(),
                _json_encode(row.metadata).decode(),
                row.video_url,
                row.invite_id,
                to_unix(row.created_at),
                to_unix(row.updated_at),
            ],
        )

    async def update_appointment(
        self,
        id: str,
        *,
        updated_at: datetime,
        status: AppointmentStatus | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        trailing_buffer: int | None = None,
        sequence: int | None = None,
        agent: str | None = None,
        office: str | None = None,
        video_url: str | None = None,
    ) -> bool:
        """Change the given fields (None: keep). Returns False when there is no such
        appointment."""
        changes: dict[str, Any] = {
            "status": status,
            "start_utc": None if start is None else to_unix(start),
            "end_utc": None if end is None else to_unix(end),
            "trailing_buffer": trailing_buffer,
            "sequence": sequence,
            "agent": agent,
            "office": office,
            "video_url": video_url,
        }
        columns = {name: value for name, value in changes.items() if value is not None}
        columns["updated_at"] = to_unix(updated_at)
        # Column names come from the literal dict above, never from the caller.
        assignments = ", ".join(f"{name} = ?" for name in columns)
        changed = await self._execute(
            f"UPDATE appointments SET {assignments} WHERE id = ?", [*columns.values(), id]
        )
        return changed == 1

    async def insert_hold(self, row: HoldRow) -> None:
        await self._execute(
            f"INSERT INTO holds ({reads.HOLD_COLUMNS}) VALUES ({reads.placeholders(11)})",
            [
                row.id,
                row.agent,
                row.subject,
                row.meeting_type,
                row.office,
                to_unix(row.start),
                to_unix(row.end),
                row.trailing_buffer,
                to_unix(row.expires_at),
                row.used_by,
                row.client,
            ],
        )

    async def hold(self, id: str) -> HoldRow | None:
        return await reads.hold(self._member, id)

    async def use_hold(self, id: str, appointment_id: str) -> bool:
        """Mark a hold used by an appointment; False if it is unknown or used already."""
        changed = await self._execute(
            "UPDATE holds SET used_by = ? WHERE id = ? AND used_by IS NULL",
            [appointment_id, id],
        )
        return changed == 1

    async def release_hold(self, id: str) -> bool:
        """Delete a hold no booking used, so that its time is free at once; False if it
        is unknown, gone already or used (a used hold stays: its appointment is booked)."""
        changed = await self._execute("DELETE FROM holds WHERE id = ? AND used_by IS NULL", [id])
        return changed == 1

    async def delete_expired_holds(self, now: datetime) -> int:
        """Delete holds that expired (used or not) before `now`; returns how many."""
        return await self._execute("DELETE FROM holds WHERE expires_at <= ?", [to_unix(now)])

    async def idempotency_key(self, key: str, since: datetime) -> IdempotencyRow | None:
        return await reads.idempotency_key(self._member, key, since)

    async def save_idempotency_key(
        self, key: str, request_hash: str, appointment_id: str, now: datetime
    ) -> None:
        """Raises Conflict if the key is stored already."""
        await self._execute(
            "INSERT INTO idempotency_keys (key, request_hash, appointment_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            [key, request_hash, appointment_id, to_unix(now)],
        )

    async def delete_idempotency_keys(self, before: datetime) -> int:
        """Forget responses stored before `before`; returns how many."""
        return await self._execute(
            "DELETE FROM idempotency_keys WHERE created_at < ?", [to_unix(before)]
        )

    async def invite_used(self, invite_id: str) -> bool:
        return await reads.invite_used(self._member, invite_id)

    async def use_invite(self, invite_id: str, appointment_id: str, now: datetime) -> None:
        """Raises Conflict if the invite was used already."""
        await self._execute(
            "INSERT INTO used_invites (invite_id, appointment_id, used_at) VALUES (?, ?, ?)",
            [invite_id, appointment_id, to_unix(now)],
        )

    # -- the outbox: its SQL is in server/store/sqlite_outbox.py -------------------------

    def _outbox_reader(self) -> Fetcher:
        return self._member  # at once, on the event loop's thread: no trip

    async def _outbox_execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._execute(sql, params)

    async def _outbox_execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._write(lambda raw: raw.executemany(sql, rows).close())

    async def _outbox_fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        found: list[sqlite3.Row] = await self._write(lambda raw: fetch_all(raw, sql, params))
        return found

    # -- the desk: its SQL is in server/store/sqlite_desk.py -----------------------------

    def _desk_reader(self) -> Fetcher:
        return self._member  # at once, on the event loop's thread: no trip

    async def _desk_execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._execute(sql, params)

    async def _appointments_where(
        self, where: str, params: Sequence[Any], order: str
    ) -> list[AppointmentRow]:
        return await reads.appointments_where(self._member, where, params, order)

    # -- agents' calendars: their SQL is in server/store/sqlite_calendars.py ---------------

    def _calendar_reader(self) -> Fetcher:
        return self._member  # at once, on the event loop's thread: no trip

    async def _calendar_execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._execute(sql, params)

    async def _calendar_execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._outbox_execute_many(sql, rows)

    async def _calendar_fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        return await self._outbox_fetch(sql, params)


class SQLiteStore(OutboxReads, DeskReads, CalendarReads):
    """The database of one server process. Open with `await Store.open(path)`."""

    def __init__(
        self,
        writer: Writer,
        reader: aiosqlite.Connection,
        checkpointer: Checkpointer,
        path: Path,
    ) -> None:
        self._writer = writer
        self._reader = reader
        #: Copies the WAL into the database off the write path (`sqlite_checkpoints`).
        self.checkpointer = checkpointer
        self._path = path
        #: `data_version`'s connection, used on the event loop's thread only.
        self._versions: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, path: str | Path) -> SQLiteStore:
        """Open (creating it and its directory if needed) and migrate the database."""
        path = Path(path)
        private_database(path)  # 0600, and so the WAL and SHM files SQLite makes (0700 folder)
        writer = Writer(
            await _connect(path, writer=True), path.with_name(path.name + ".write-lock")
        )
        try:
            await writer.migrate(_migrate)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        try:
            await reader.execute("PRAGMA query_only = ON")
            checkpointer = Checkpointer(await _connect(path))
        except BaseException:
            await writer.close()
            await reader.close()
            raise
        checkpointer.start()
        return cls(writer, reader, checkpointer, path)

    async def close(self) -> None:
        if self._versions is not None:
            self._versions.close()
        await self.checkpointer.close()
        await self._writer.close()
        await self._reader.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SQLiteTransaction]:
        """One transaction: committed when the block ends (with the others of its group,
        `sqlite_writer.Writer`), rolled back if it raises."""
        async with self._writer.transaction() as member:
            yield SQLiteTransaction(member)

    async def busy(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> dict[str, list[BusyRow]]:
        """Per agent (every agent asked for is a key), the confirmed and requested
        appointments and the live holds (not used, `expires_at > now`) whose occupation
        `[start, end + trailing_buffer)` overlaps `[start, end)`, sorted by start."""
        return await reads.busy(self._reader, agents, start, end, now)

    async def busy_spans(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> list[BusySpan]:
        """What `busy` reads, as plain values, sorted by agent, start and end."""
        return await reads.busy_spans(self._reader, agents, start, end, now)

    async def appointment_counts(
        self, agents: Collection[str], start: datetime, end: datetime
    ) -> dict[str, int]:
        """Per agent, the confirmed and requested appointments starting in `[start, end)`."""
        return await reads.appointment_counts(self._reader, agents, start, end)

    async def appointment(self, id: str) -> AppointmentRow | None:
        return await reads.appointment(self._reader, id)

    async def hold(self, id: str) -> HoldRow | None:
        return await reads.hold(self._reader, id)

    async def idempotency_key(self, key: str, since: datetime) -> IdempotencyRow | None:
        return await reads.idempotency_key(self._reader, key, since)

    async def invite_used(self, invite_id: str) -> bool:
        return await reads.invite_used(self._reader, invite_id)

    async def ping(self) -> None:
        """A trivial read, for health checks: raises if the database cannot be read."""
        await reads.fetchone(self._reader, "SELECT 1")

    async def data_version(self) -> int | None:
        """SQLite's `PRAGMA data_version`: it moves with every commit by another
        connection (this process's write connection, other processes). Asked on a
        connection of its own, at once on the event loop's thread: a few microseconds
        (it reads the WAL's header, no table), where a trip to the read connection's
        thread cost more than the rest of a reused slot answer. None when SQLite cannot
        answer at once (a busy database file): then nothing is reused."""
        if self._versions is None:
            self._versions = sqlite3.connect(self._path, isolation_level=None)
            self._versions.execute("PRAGMA busy_timeout = 0")
        try:
            row = self._versions.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            return None
        return int(row[0])

    def _outbox_reader(self) -> Fetcher:
        return self._reader

    def _desk_reader(self) -> Fetcher:
        return self._reader

    async def _appointments_where(
        self, where: str, params: Sequence[Any], order: str
    ) -> list[AppointmentRow]:
        return await reads.appointments_where(self._reader, where, params, order)

    def _calendar_reader(self) -> Fetcher:
        return self._reader


async def _connect(path: Path, *, writer: bool = False) -> aiosqlite.Connection:
    # isolation_level=None: the sqlite3 module opens no transactions of its own; ours are
    # explicit (BEGIN IMMEDIATE in Store.write and _migrate). The writer's statements
    # inside a transaction run on the event loop's thread (`sqlite_writer.Member`).
    conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=not writer)
    try:
        conn.row_factory = sqlite3.Row
        # busy_timeout first, so that the pragmas below wait for other processes.
        await conn.execute("PRAGMA busy_timeout = 10000")
        await _retry_when_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        await conn.execute(f"PRAGMA synchronous = {_SYNCHRONOUS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        if writer:  # checkpoints are the checkpointer's (sqlite_checkpoints)
            await conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP}")
    except BaseException:
        await conn.close()
        raise
    return conn


async def _retry_when_locked(
    step: Callable[[], Awaitable[object]], attempts: int = 50, pause: float = 0.05
) -> None:
    """Run `step` again while SQLite answers "database is locked" at once.

    SQLite skips the busy handler in a few cases, so busy_timeout alone does not cover
    them: switching a new file to WAL while another process does the same, and taking
    the write lock while another connection recovers the WAL. Both pass in moments.
    """
    for attempt in range(attempts):
        try:
            await step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(pause)


def migrations(directory: Path = _MIGRATIONS) -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, in order."""
    found = []
    for file in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(file.name)
        if match is None:
            raise StoreError(f"migration file name must look like 0001_name.sql: {file.name}")
        found.append((int(match.group(1)), file.stem, file.read_text(encoding="utf-8")))
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two migrations share a number in {directory}")
    return found


def _statements(script: str) -> list[str]:
    """Split a script into statements (executescript would COMMIT our transaction)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().rstrip(";").strip():
                statements.append(pending.strip())
            pending = ""
    leftover = [line for line in pending.splitlines() if not line.strip().startswith("--")]
    if "".join(leftover).strip():
        raise StoreError(f"incomplete SQL statement in migration: {pending.strip()[:80]}")
    return statements


def _migrate(raw: sqlite3.Connection, directory: Path = _MIGRATIONS) -> None:
    """Apply the migrations not applied yet; runs inside the write lock (`Writer.migrate`:
    another process may be migrating the same file right now)."""
    pending = migrations(directory)
    raw.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
    )
    applied = {row[0] for row in raw.execute("SELECT version FROM schema_migrations")}
    for version, name, sql in pending:
        if version in applied:
            continue
        for statement in _statements(sql):
            raw.execute(statement)
        raw.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            [version, name, to_unix(datetime.now(UTC))],
        )


__all__ = ["SQLiteStore", "SQLiteTransaction", "migrations"]
