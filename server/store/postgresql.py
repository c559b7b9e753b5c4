"""The PostgreSQL backend of the store (`server.store.interface`), through asyncpg: all of
its SQL is here and in its mixin modules (`postgresql_outbox`, `postgresql_desk`,
`postgresql_calendars`, `postgresql_bots`), as the SQLite backend's is in `sqlite*.py`.

- A **connection pool** per process (`RENDEZVOUS_DATABASE_POOL` connections at most).
  Reads outside a transaction take a connection for one statement. `store.write()`
  takes one for the whole transaction (READ COMMITTED), commits when the block ends and
  rolls back when it raises. Transactions of one process run concurrently, as those of
  different processes and machines do.
- **What must be serialised is serialised per agent**, not per database: inside a
  transaction, every read that a write depends on first takes a transaction-scoped
  advisory lock: `busy`, `busy_spans`, `appointment_counts` (and the desk's `time_off`)
  lock each agent asked for, all of them in one sorted batch; `idempotency_key` locks
  the key; `invite_used` locks the invite; `hold` and `appointment` lock their row
  (`FOR UPDATE`). Under READ COMMITTED each statement sees what was committed before it
  started, so a read made after its lock sees every transaction that held the lock
  before, and none that holds it after can commit in between: what the transaction read
  is still true when it writes. docs/architecture.md ("PostgreSQL: what is serialised
  and why it is correct") gives the argument, and why no two transactions deadlock.
- **Migrations** are `migrations/postgresql/NNNN_name.sql`, with the numbers of the
  SQLite ones, applied at open under a session advisory lock (`pg_advisory_lock`), each
  in its own transaction that records it in `schema_migrations`: however many processes
  start together, each migration is applied once.

Times are aware UTC datetimes in Python and `timestamptz` in SQL, whole seconds as the
SQLite backend keeps them (`_utc`); JSON columns are `jsonb`, encoded and decoded by
msgspec through a codec every pooled connection gets (parameters and results are plain
dicts). The connection URL carries the password: it is never logged nor put in an error.

The contract with the mixins: both `PostgreSQLStore` (the pool, one statement per call)
and `PostgreSQLTransaction` (its connection) provide `_pg_fetch`, `_pg_fetchrow`,
`_pg_execute` (rows changed) and `_pg_executemany`, which turn a unique violation into
`Conflict` and any other integrity error into `StoreError`; `_pg_appointments_where`
reads appointments with this module's row mapping; `_pg_lock_agents` (a no-op on the
store) takes the agents' locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec

from server.store.interface import (
    MAX_OCCUPATION,
    AppointmentRow,
    BusyRow,
    BusySpan,
    Conflict,
    HoldRow,
    IdempotencyRow,
    StoreError,
    busy_rows,
)
from server.store.postgresql_bots import PgBotWrites
from server.store.postgresql_calendars import PgCalendarReads, PgCalendarWrites
from server.store.postgresql_desk import PgDeskReads, PgDeskWrites
from server.store.postgresql_outbox import PgOutboxReads, PgOutboxWrites
from server.store.sqlite import migrations as _migrations_in
from server.vocabulary import AppointmentStatus, from_unix, to_unix

_MIGRATIONS = Path(__file__).parent / "migrations" / "postgresql"
#: The key of the session advisory lock held while migrating (any fixed bigint).
_MIGRATION_LOCK = 0x52_44_56_5F_4D_49_47  # "RDV_MIG"
_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder(dict[str, Any]).decode

DEFAULT_POOL = 10

_APPOINTMENT_COLUMNS = (
    "id, status, sequence, subject, meeting_type, office, agent, start_utc, end_utc, "
    "trailing_buffer, timezone, language, customer, location, answers, metadata, "
    "video_url, invite_id, created_at, updated_at"
)
_HOLD_COLUMNS = (
    "id, agent, subject, meeting_type, office, start_utc, end_utc, trailing_buffer, "
    "expires_at, used_by, client"
)


def is_postgresql_url(database: str | Path) -> bool:
    """Whether a database setting names a PostgreSQL server rather than a SQLite file."""
    return isinstance(database, str) and database.startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """The URL without its password, fit for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _utc(moment: datetime) -> datetime:
    """An aware datetime as stored: UTC, whole seconds (ValueError for a naive one)."""
    return from_unix(to_unix(moment))


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def lock_key(kind: str, name: str) -> int:
    """The advisory lock key (a signed bigint) of one agent, key or invite: the first 8
    bytes of md5("kind:name"), as `_SQL_LOCK_KEY` computes it in SQL. Two names sharing
    a key only serialise a little more; they never break anything."""
    digest = hashlib.md5(f"{kind}:{name}".encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


#: `lock_key('idempotency', key)` in SQL, for a row's `key` column.
_SQL_IDEMPOTENCY_LOCK_KEY = "('x' || substr(md5('idempotency:' || key), 1, 16))::bit(64)::bigint"


def _changed(status: str) -> int:
    """Rows changed, from a command status such as 'UPDATE 3' or 'INSERT 0 1'."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _store_error(exc: asyncpg.PostgresError) -> StoreError:
    if isinstance(exc, asyncpg.UniqueViolationError):
        return Conflict(str(exc))
    return StoreError(str(exc))


#: What `_guarded` turns into `StoreError`: the schema's refusals (class 23), and values
#: out of the columns' range (class 22).
_REFUSED = (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)


def _appointment_from_row(row: asyncpg.Record) -> AppointmentRow:
    return AppointmentRow(
        id=row["id"],
        status=row["status"],
        sequence=row["sequence"],
        subject=row["subject"],
        meeting_type=row["meeting_type"],
        office=row["office"],
        agent=row["agent"],
        start=row["start_utc"],
        end=row["end_utc"],
        trailing_buffer=row["trailing_buffer"],
        timezone=row["timezone"],
        language=row["language"],
        customer=row["customer"],
        location=row["location"],
        answers=row["answers"],
        metadata=row["metadata"],
        video_url=row["video_url"],
        invite_id=row["invite_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _hold_from_row(row: asyncpg.Record) -> HoldRow:
    return HoldRow(
        id=row["id"],
        agent=row["agent"],
        subject=row["subject"],
        meeting_type=row["meeting_type"],
        office=row["office"],
        start=row["start_utc"],
        end=row["end_utc"],
        trailing_buffer=row["trailing_buffer"],
        expires_at=row["expires_at"],
        used_by=row["used_by"],
        client=row["client"],
    )


_BUSY_SQL = """
    SELECT agent, extract(epoch FROM start_utc)::bigint AS s,
           extract(epoch FROM end_utc)::bigint AS e, trailing_buffer, 0 AS hold
      FROM appointments
     WHERE agent = ANY($1::text[])
       AND status IN ('confirmed', 'requested')
       AND start_utc < $3 AND start_utc > $4
       AND end_utc + trailing_buffer * interval '1 minute' > $2
    UNION ALL
    SELECT agent, extract(epoch FROM start_utc)::bigint,
           extract(epoch FROM end_utc)::bigint, trailing_buffer,
           extract(epoch FROM expires_at)::bigint
      FROM holds
     WHERE agent = ANY($1::text[])
       AND used_by IS NULL AND expires_at > $5
       AND start_utc < $3 AND start_utc > $4
       AND end_utc + trailing_buffer * interval '1 minute' > $2
     ORDER BY 1, 2, 3
"""


class _Reads:
    """The reads shared by the store and the transaction, on the class's `_pg_*`."""

    async def _pg_fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        raise NotImplementedError

    async def _pg_fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        raise NotImplementedError

    async def _pg_lock_agents(self, agents: Iterable[str]) -> None:
        """Take the advisory locks of these agents (a transaction's; the store: none)."""

    #: `FOR UPDATE` in a transaction: a row read there is locked until it ends.
    _for_update = ""

    async def busy_spans(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> list[BusySpan]:
        """What `busy` reads, as plain values, sorted by agent, start and end."""
        names = list(dict.fromkeys(agents))
        if not names:
            return []
        await self._pg_lock_agents(names)
        # `start_utc > start - MAX_OCCUPATION` is implied by the overlap and the schema's
        # CHECK; stating it bounds the scan of the (agent, start_utc) indexes from below.
        rows = await self._pg_fetch(
            _BUSY_SQL, names, _utc(start), _utc(end), _utc(start) - MAX_OCCUPATION, _utc(now)
        )
        return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    async def busy(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> dict[str, list[BusyRow]]:
        return busy_rows(await self.busy_spans(agents, start, end, now), agents)

    async def appointment_counts(
        self, agents: Collection[str], start: datetime, end: datetime
    ) -> dict[str, int]:
        counts = dict.fromkeys(agents, 0)
        if not counts:
            return counts
        await self._pg_lock_agents(counts)
        rows = await self._pg_fetch(
            "SELECT agent, count(*) AS n FROM appointments"
            " WHERE agent = ANY($1::text[]) AND status IN ('confirmed', 'requested')"
            " AND start_utc >= $2 AND start_utc < $3 GROUP BY agent",
            list(counts),
            _utc(start),
            _utc(end),
        )
        for row in rows:
            counts[row["agent"]] = row["n"]
        return counts

    async def appointment(self, id: str) -> AppointmentRow | None:
        row = await self._pg_fetchrow(
            f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments WHERE id = $1{self._for_update}",
            id,
        )
        return None if row is None else _appointment_from_row(row)

    async def _pg_appointments_where(
        self, where: str, args: Sequence[Any], order: str
    ) -> list[AppointmentRow]:
        """Appointments matching `where` (SQL of the store's own modules, never a
        caller's), with `$n` placeholders for `args`."""
        sql = f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments WHERE {where} {order}"
        return [_appointment_from_row(row) for row in await self._pg_fetch(sql, *args)]

    async def hold(self, id: str) -> HoldRow | None:
        row = await self._pg_fetchrow(
            f"SELECT {_HOLD_COLUMNS} FROM holds WHERE id = $1{self._for_update}", id
        )
        return None if row is None else _hold_from_row(row)

    async def _lock_one(self, kind: str, name: str) -> None:
        """A transaction's lock on one key or invite (the store: none)."""

    async def invite_used(self, invite_id: str) -> bool:
        await self._lock_one("invite", invite_id)
        row = await self._pg_fetchrow("SELECT 1 FROM used_invites WHERE invite_id = $1", invite_id)
        return row is not None

    async def idempotency_key(self, key: str, since: datetime) -> IdempotencyRow | None:
        await self._lock_one("idempotency", key)
        row = await self._pg_fetchrow(
            "SELECT key, request_hash, appointment_id, created_at FROM idempotency_keys "
            "WHERE key = $1 AND created_at >= $2",
            key,
            _utc(since),
        )
        if row is None:
            return None
        return IdempotencyRow(
            key=row["key"],
            request_hash=row["request_hash"],
            appointment_id=row["appointment_id"],
            created_at=row["created_at"],
        )


class PostgreSQLTransaction(_Reads, PgOutboxWrites, PgDeskWrites, PgCalendarWrites, PgBotWrites):
    """One READ COMMITTED transaction on one pooled connection: reads take the locks
    that keep what they read true (the module's docstring), writes commit together at
    the end of `async with store.write()` or not at all."""

    _for_update = " FOR UPDATE"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._open = True
        self._locked: set[int] = set()

    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError("the transaction is over")

    async def _pg_fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self._check_open()
        try:
            return list(await self._conn.fetch(sql, *args))
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    async def _pg_fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self._check_open()
        try:
            row: asyncpg.Record | None = await self._conn.fetchrow(sql, *args)
            return row
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    async def _pg_execute(self, sql: str, *args: Any) -> int:
        self._check_open()
        try:
            return _changed(await self._conn.execute(sql, *args))
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    async def _pg_executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._check_open()
        if not rows:
            return
        try:
            await self._conn.executemany(sql, rows)
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    async def _take_locks(self, keys: Iterable[int]) -> None:
        """Take the transaction-scoped advisory locks not held yet, in ascending order."""
        wanted = sorted(set(keys) - self._locked)
        if not wanted:
            return
        self._check_open()
        # executemany runs the statements in order: the locks are taken in that order.
        await self._conn.executemany("SELECT pg_advisory_xact_lock($1)", [(k,) for k in wanted])
        self._locked.update(wanted)

    async def _pg_lock_agents(self, agents: Iterable[str]) -> None:
        await self._take_locks(lock_key("agent", agent) for agent in agents)

    async def _lock_one(self, kind: str, name: str) -> None:
        await self._take_locks([lock_key(kind, name)])

    async def insert_appointment(self, row: AppointmentRow) -> None:
        await self._pg_execute(
            f"INSERT INTO appointments ({_APPOINTMENT_COLUMNS}) VALUES "
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "$11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
            row.id,
            row.status,
            row.sequence,
            row.subject,
            row.meeting_type,
            row.office,
            row.agent,
            _utc(row.start),
            _utc(row.end),
            row.trailing_buffer,
            row.timezone,
            row.language,
            row.customer,
            row.location,
            row.answers,
            row.metadata,
            row.video_url,
            row.invite_id,
            _utc(row.created_at),
            _utc(row.updated_at),
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
        """Change the given fields (None: keep). False when there is no such appointment."""
        changes: dict[str, Any] = {
            "status": status,
            "start_utc": _maybe_utc(start),
            "end_utc": _maybe_utc(end),
            "trailing_buffer": trailing_buffer,
            "sequence": sequence,
            "agent": agent,
            "office": office,
            "video_url": video_url,
        }
        columns = {name: value for name, value in changes.items() if value is not None}
        columns["updated_at"] = _utc(updated_at)
        # Column names come from the literal dict above, never from the caller.
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
        changed = await self._pg_execute(
            f"UPDATE appointments SET {assignments} WHERE id = $1", id, *columns.values()
        )
        return changed == 1

    async def insert_hold(self, row: HoldRow) -> None:
        await self._pg_execute(
            f"INSERT INTO holds ({_HOLD_COLUMNS}) VALUES "
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            row.id,
            row.agent,
            row.subject,
            row.meeting_type,
            row.office,
            _utc(row.start),
            _utc(row.end),
            row.trailing_buffer,
            _utc(row.expires_at),
            row.used_by,
            row.client,
        )

    async def use_hold(self, id: str, appointment_id: str) -> bool:
        changed = await self._pg_execute(
            "UPDATE holds SET used_by = $2 WHERE id = $1 AND used_by IS NULL", id, appointment_id
        )
        return changed == 1

    async def release_hold(self, id: str) -> bool:
        changed = await self._pg_execute("DELETE FROM holds WHERE id = $1 AND used_by IS NULL", id)
        return changed == 1

    async def delete_expired_holds(self, now: datetime) -> int:
        # SKIP LOCKED: a hold another transaction has locked (a booking reading it) is
        # left for a later clean-up; waiting for it would serialise every hold placed.
        return await self._pg_execute(
            "DELETE FROM holds WHERE id IN (SELECT id FROM holds WHERE expires_at <= $1"
            " FOR UPDATE SKIP LOCKED)",
            _utc(now),
        )

    async def save_idempotency_key(
        self, key: str, request_hash: str, appointment_id: str, now: datetime
    ) -> None:
        await self._lock_one("idempotency", key)
        await self._pg_execute(
            "INSERT INTO idempotency_keys (key, request_hash, appointment_id, created_at) "
            "VALUES ($1, $2, $3, $4)",
            key,
            request_hash,
            appointment_id,
            _utc(now),
        )

    async def delete_idempotency_keys(self, before: datetime) -> int:
        # Never waits: a row locked by another transaction is skipped, and so is a key
        # whose advisory lock another transaction holds (it is using that key now). So a
        # transaction that saves its key later cannot find its insert waiting for this
        # one (docs/architecture.md: no deadlock).
        return await self._pg_execute(
            "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys"
            " WHERE created_at < $1 FOR UPDATE SKIP LOCKED)"
            f" AND pg_try_advisory_xact_lock({_SQL_IDEMPOTENCY_LOCK_KEY})",
            _utc(before),
        )

    async def use_invite(self, invite_id: str, appointment_id: str, now: datetime) -> None:
        await self._lock_one("invite", invite_id)
        await self._pg_execute(
            "INSERT INTO used_invites (invite_id, appointment_id, used_at) VALUES ($1, $2, $3)",
            invite_id,
            appointment_id,
            _utc(now),
        )


class PostgreSQLStore(_Reads, PgOutboxReads, PgDeskReads, PgCalendarReads):
    """The database shared by every process and machine. Open with `open(url)`."""

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._url = url

    def __repr__(self) -> str:
        return f"<PostgreSQLStore {redacted(self._url)}>"

    @classmethod
    async def open(cls, url: str, *, pool_size: int = DEFAULT_POOL) -> PostgreSQLStore:
        """Connect, migrate (once, whoever else is starting), and open the pool."""
        if pool_size < 1:
            raise StoreError("the database pool needs at least one connection")
        await migrate(url)
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=pool_size, init=_init_connection
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise StoreError(f"cannot connect to {redacted(url)}: {type(exc).__name__}") from None
        return cls(pool, url)

    async def close(self) -> None:
        await self._pool.close()

    async def _pg_fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        try:
            return list(await self._pool.fetch(sql, *args))
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    async def _pg_fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        try:
            row: asyncpg.Record | None = await self._pool.fetchrow(sql, *args)
            return row
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    async def _pg_execute(self, sql: str, *args: Any) -> int:
        try:
            return _changed(await self._pool.execute(sql, *args))
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    async def _pg_executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            await self._pool.executemany(sql, rows)
        except _REFUSED as exc:
            raise _store_error(exc) from exc

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PostgreSQLTransaction]:
        """BEGIN ... COMMIT on a pooled connection; ROLLBACK if the block raises."""
        async with self._pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            tx = PostgreSQLTransaction(conn)
            try:
                yield tx
                tx._open = False
                await transaction.commit()
            except BaseException:
                tx._open = False
                # Shielded: a cancelled request must still end its transaction (and so
                # release its locks) before the connection goes back to the pool.
                await asyncio.shield(_rollback(transaction))
                raise

    async def ping(self) -> None:
        """A trivial read, for health checks: raises if the database cannot be read."""
        await self._pool.fetchval("SELECT 1")

    async def data_version(self) -> None:
        """PostgreSQL has no cheap "has anything been committed since" for a reader
        (SQLite's `data_version`): every slot search reads its busy time anew."""
        return None


async def _rollback(transaction: Any) -> None:
    # InterfaceError: the transaction is over already (a failed commit).
    with contextlib.suppress(asyncpg.InterfaceError):
        await transaction.rollback()


async def _init_connection(conn: asyncpg.Connection) -> None:
    """jsonb as dicts (msgspec), on every pooled connection."""
    for name in ("jsonb", "json"):
        await conn.set_type_codec(
            name,
            schema="pg_catalog",
            encoder=lambda value: _json_encode(value).decode(),
            decoder=_json_decode,
            format="text",
        )


def migrations(directory: Path = _MIGRATIONS) -> list[tuple[int, str, str]]:
    """(version, name, sql) of every PostgreSQL migration file, in order."""
    return _migrations_in(directory)


async def migrate(url: str, directory: Path = _MIGRATIONS) -> list[int]:
    """Apply the migrations not applied yet; returns the versions this call applied.

    A session advisory lock makes concurrent callers (processes starting together) wait
    for each other; each migration and its `schema_migrations` row commit together. A
    process killed while migrating loses its session, and with it the lock.
    """
    pending = migrations(directory)
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise StoreError(f"cannot connect to {redacted(url)}: {type(exc).__name__}") from None
    applied_now: list[int] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL)"
            )
            applied = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, name, sql in pending:
                if version in applied:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at)"
                        " VALUES ($1, $2, $3)",
                        version,
                        name,
                        datetime.now(UTC),
                    )
                applied_now.append(version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    finally:
        await conn.close()
    return applied_now


__all__ = [
    "DEFAULT_POOL",
    "PostgreSQLStore",
    "PostgreSQLTransaction",
    "is_postgresql_url",
    "lock_key",
    "migrate",
    "migrations",
    "redacted",
]
