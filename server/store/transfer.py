"""Moving a database's contents: `rendezvous migrate`, `export` and `import` (SPEC 13).

- `migrate(database)` opens the store once, which applies the pending migrations (on
  PostgreSQL under the backend's advisory lock, on SQLite under its write lock), and
  says which ones it applied.
- `export_appointments(database, format, out)` writes every appointment, customer data
  included (the operator's own export), as CSV or JSON (docs/deployment.md#export).
- `import_sqlite(source, target)` copies every table of a SQLite database into an empty
  PostgreSQL database in one transaction, and checks the counts before it commits.

The statements here read and copy whole tables, on both backends: they are the only SQL
outside the backends' own modules, and it stays inside `server/store/`.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, Literal
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from server.store.interface import StoreError
from server.store.postgresql import is_postgresql_url
from server.store.sqlite import migrations as sqlite_migrations
from server.vocabulary import from_unix

ExportFormat = Literal["csv", "json"]

_BATCH: Final = 2000
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class TransferError(StoreError):
    """A migrate, export or import the store refuses, with what to do in its words."""


#: What a command reports as a failure in words (exit 2), not as a traceback: refusals,
#: a file or a server that cannot be reached, PostgreSQL's own errors.
FAILURES: Final = (
    StoreError,
    OSError,
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


@contextmanager
def private_file(path: Path) -> Iterator[IO[str]]:
    """A file for an export: created (or truncated) readable by its owner only, since it
    holds customers' data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
        yield file


# -- migrate -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migrated:
    applied: list[tuple[int, str]]  # (version, name) applied by this run
    current: int  # the highest version in the database now


async def _versions(database: str | Path) -> dict[int, str]:
    """The migrations recorded in the database (none when it does not exist yet)."""
    if is_postgresql_url(database):
        conn = await asyncpg.connect(str(database))
        try:
            exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
            if not exists:
                return {}
            rows = await conn.fetch("SELECT version, name FROM schema_migrations")
        finally:
            await conn.close()
        return {row["version"]: row["name"] for row in rows}
    path = Path(database)
    if not path.exists():
        return {}
    with _sqlite_read(path) as conn:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if exists is None:
            return {}
        return {
            row[0]: row[1] for row in conn.execute("SELECT version, name FROM schema_migrations")
        }


async def migrate(database: str | Path) -> Migrated:
    """Apply the migrations the database lacks; safe to run while servers run and from
    several machines at once (each migration is applied once)."""
    from server.store import open_store

    before = await _versions(database)
    store = await open_store(database)
    await store.close()
    after = await _versions(database)
    applied = sorted((version, name) for version, name in after.items() if version not in before)
    return Migrated(applied=applied, current=max(after, default=0))


# -- reading whole tables ----------------------------------------------------------------


@contextmanager
def _sqlite_read(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a SQLite file, in one read transaction: everything read
    through it is one snapshot (WAL: a server may go on writing meanwhile)."""
    if not path.exists():
        raise TransferError(f"no SQLite database at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        yield conn
    finally:
        conn.close()


# -- export ------------------------------------------------------------------------------

#: The columns of the export, in order; docs/deployment.md#export says what each holds.
EXPORT_COLUMNS: Final = (
    "id",
    "status",
    "sequence",
    "subject",
    "meeting_type",
    "office",
    "agent",
    "start",
    "end",
    "start_local",
    "timezone",
    "trailing_buffer",
    "language",
    "customer_first_name",
    "customer_last_name",
    "customer_email",
    "customer_phone",
    "customer_language",
    "customer_timezone",
    "location",
    "answers",
    "metadata",
    "video_url",
    "invite_id",
    "created_at",
    "updated_at",
)
_CUSTOMER_FIELDS: Final = ("first_name", "last_name", "email", "phone", "language", "timezone")
_APPOINTMENT_SQL: Final = (
    "SELECT id, status, sequence, subject, meeting_type, office, agent, start_utc, end_utc, "
    "trailing_buffer, timezone, language, customer, location, answers, metadata, video_url, "
    "invite_id, created_at, updated_at FROM appointments ORDER BY start_utc, id"
)


def _utc(value: datetime | int) -> datetime:
    return from_unix(value) if isinstance(value, int) else value.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_value(value: Any) -> Any:
    """A JSON column as a value: text on SQLite (and on PostgreSQL without a codec)."""
    if isinstance(value, str | bytes):
        return _decode(value)
    return value


def _appointment(row: Mapping[str, Any]) -> dict[str, Any]:
    """One exported appointment (JSON's shape; CSV flattens `customer`)."""
    start, end = _utc(row["start_utc"]), _utc(row["end_utc"])
    try:
        local = start.astimezone(ZoneInfo(row["timezone"])).isoformat()
    except (KeyError, ValueError):
        local = None
    customer = _json_value(row["customer"]) or {}
    return {
        "id": row["id"],
        "status": row["status"],
        "sequence": row["sequence"],
        "subject": row["subject"],
        "meeting_type": row["meeting_type"],
        "office": row["office"],
        "agent": row["agent"],
        "start": _iso(start),
        "end": _iso(end),
        "start_local": local,
        "timezone": row["timezone"],
        "trailing_buffer": row["trailing_buffer"],
        "language": row["language"],
        "customer": {field: customer.get(field) for field in _CUSTOMER_FIELDS},
        "location": _json_value(row["location"]),
        "answers": _json_value(row["answers"]),
        "metadata": _json_value(row["metadata"]),
        "video_url": row["video_url"],
        "invite_id": row["invite_id"],
        "created_at": _iso(_utc(row["created_at"])),
        "updated_at": _iso(_utc(row["updated_at"])),
    }


async def _appointment_rows(database: str | Path) -> AsyncIterator[Mapping[str, Any]]:
    if is_postgresql_url(database):
        conn = await asyncpg.connect(str(database))
        try:
            async with conn.transaction(readonly=True, isolation="repeatable_read"):
                async for record in conn.cursor(_APPOINTMENT_SQL, prefetch=_BATCH):
                    yield record
        finally:
            await conn.close()
        return
    with _sqlite_read(Path(database)) as conn:
        conn.row_factory = sqlite3.Row
        cursor = conn.execute(_APPOINTMENT_SQL)
        while batch := cursor.fetchmany(_BATCH):
            for row in batch:
                yield row


#: A spreadsheet runs a cell that starts with one of these as a formula (OWASP's "CSV
#: injection"); a customer's name or answer could. Numbers and phone numbers are left.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE: Final = frozenset("+-0123456789 ().")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _encode(value).decode()
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not set(text) <= _NUMBER_LIKE:
        return "'" + text
    return text


def _csv_row(item: Mapping[str, Any]) -> list[str]:
    customer = item["customer"]
    flat = {**item, **{f"customer_{field}": customer[field] for field in _CUSTOMER_FIELDS}}
    return [_cell(flat[column]) for column in EXPORT_COLUMNS]


async def export_appointments(database: str | Path, format: ExportFormat, out: IO[str]) -> int:
    """Write every appointment (cancelled and declined ones too), by start; returns how
    many. JSON is one array of objects; CSV has a header row of `EXPORT_COLUMNS`."""
    count = 0
    if format == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        async for row in _appointment_rows(database):
            writer.writerow(_csv_row(_appointment(row)))
            count += 1
        return count
    out.write("[")
    async for row in _appointment_rows(database):
        out.write(",\n" if count else "\n")
        out.write(_encode(_appointment(row)).decode())
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


# -- import ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Imported:
    tables: dict[str, int]  # table -> rows copied (and counted in the target)
    version: int  # the migration both databases are at
    secret_file: Path | None  # the SQLite deployment's key file, if it has one


def _sqlite_tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name"
        )
    ]
    return {
        name: [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')] for name in names
    }


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    data_type: str
    required: bool  # NOT NULL without a default (nor an identity)


async def _postgresql_tables(conn: asyncpg.Connection) -> dict[str, dict[str, _Column]]:
    rows = await conn.fetch(
        """
        SELECT c.table_name, c.column_name, c.data_type,
               c.is_nullable = 'NO' AND c.column_default IS NULL AND c.is_identity = 'NO'
                 AND c.is_generated = 'NEVER' AS required
          FROM information_schema.columns c
          JOIN information_schema.tables t
            ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
           AND c.table_name != 'schema_migrations'
         ORDER BY c.table_name, c.ordinal_position
        """
    )
    tables: dict[str, dict[str, _Column]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], {})[row["column_name"]] = _Column(
            row["column_name"], row["data_type"], row["required"]
        )
    return tables


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _timestamp(value: Any) -> datetime | None:
    return None if value is None else from_unix(int(value))


def _text_json(value: Any) -> str | None:
    # SQLite keeps JSON as text; asyncpg sends text as jsonb's value, checked by the server.
    if value is None or isinstance(value, str):
        return value
    return bytes(value).decode()


def _same(value: Any) -> Any:
    return value


def _converter(data_type: str) -> Callable[[Any], Any]:
    """SQLite's value (unix seconds, 0/1, JSON text) as the PostgreSQL column's type."""
    if data_type == "timestamp with time zone":
        return _timestamp
    if data_type == "boolean":
        return _bool
    if data_type in ("json", "jsonb"):
        return _text_json
    if data_type == "bytea":
        return lambda value: None if value is None else bytes(value)
    return _same


def _plan(
    source: Mapping[str, list[str]], target: Mapping[str, Mapping[str, _Column]]
) -> dict[str, list[_Column]]:
    """Which columns to copy per table; a clear error when the schemas do not match."""
    missing = sorted(set(source) - set(target))
    extra = sorted(set(target) - set(source))
    if missing or extra:
        raise TransferError(
            "the two databases do not have the same tables"
            + (f"; only in SQLite: {', '.join(missing)}" if missing else "")
            + (f"; only in PostgreSQL: {', '.join(extra)}" if extra else "")
        )
    plan: dict[str, list[_Column]] = {}
    for table, columns in source.items():
        known = target[table]
        unknown = [column for column in columns if column not in known]
        if unknown:
            raise TransferError(f"{table}: no column {', '.join(unknown)} in PostgreSQL")
        needed = [c.name for c in known.values() if c.required and c.name not in columns]
        if needed:
            raise TransferError(f"{table}: PostgreSQL needs {', '.join(needed)}, SQLite has none")
        plan[table] = [known[column] for column in columns]
    return plan


def _check_versions(source: Mapping[int, str], target: Mapping[int, str], path: Path) -> int:
    known = {version for version, _, _ in sqlite_migrations()}
    if set(source) != known:
        lacking = sorted(known - set(source))
        if lacking:
            raise TransferError(
                f"{path} lacks migration(s) {', '.join(map(str, lacking))}: run "
                f"`RENDEZVOUS_DATABASE={path} rendezvous migrate` with this version first"
            )
        raise TransferError(f"{path} was migrated by a newer version of Rendezvous")
    if set(target) != set(source):
        raise TransferError(
            "the PostgreSQL database is not at the SQLite database's migrations "
            f"({sorted(target)} against {sorted(source)})"
        )
    return max(source, default=0)


def _rows(conn: sqlite3.Connection, table: str, columns: Sequence[_Column]) -> Iterator[list[Any]]:
    names = ", ".join(f'"{column.name}"' for column in columns)
    convert = [_converter(column.data_type) for column in columns]
    # In the order rows were written (rowid); a WITHOUT ROWID table in its key's order.
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()
    order = "" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid"
    cursor = conn.execute(f'SELECT {names} FROM "{table}"{order}')
    while batch := cursor.fetchmany(_BATCH):
        yield from ([f(value) for f, value in zip(convert, row, strict=True)] for row in batch)


def _chunks(rows: Iterator[list[Any]]) -> Iterator[list[list[Any]]]:
    chunk: list[list[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def import_sqlite(source: Path, target: str) -> Imported:
    """Copy every table of the SQLite database `source` into the PostgreSQL database
    `target` (migrated first), in one transaction that also locks the tables against
    writers. Refuses a target that holds any row; checks that every table's count in
    the target equals the source's before it commits."""
    from server.store import open_store
    from server.tokens import SECRET_FILE_NAME

    if not is_postgresql_url(target):
        raise TransferError(f"the target must be a PostgreSQL URL (postgresql://...), not {target}")
    source_versions = await _versions(source)
    store = await open_store(target)  # creates the tables (the migrations), if needed
    await store.close()
    target_versions = await _versions(target)
    version = _check_versions(source_versions, target_versions, source)
    with _sqlite_read(source) as lite:
        plan_source = _sqlite_tables(lite)
        counts = {
            table: lite.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in plan_source
        }
        conn = await asyncpg.connect(target)
        try:
            plan = _plan(plan_source, await _postgresql_tables(conn))
            async with conn.transaction():
                await conn.execute("SET LOCAL lock_timeout = '10s'")
                names = ", ".join(f'"{table}"' for table in plan)
                # Servers may read meanwhile, not write: what is checked empty stays so.
                await conn.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
                for table in plan:
                    if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                        raise TransferError(
                            f'the PostgreSQL database is not empty (table "{table}" has rows): '
                            "import only into a new database, before any server uses it"
                        )
                for table, columns in plan.items():
                    for chunk in _chunks(_rows(lite, table, columns)):
                        await conn.copy_records_to_table(
                            table, records=chunk, columns=[column.name for column in columns]
                        )
                copied = {
                    table: await conn.fetchval(f'SELECT count(*) FROM "{table}"') for table in plan
                }
                if copied != counts:
                    wrong = [t for t in plan if copied[t] != counts[t]]
                    raise TransferError(
                        "the counts differ after the copy, nothing was imported: "
                        + ", ".join(f"{t} {counts[t]} → {copied[t]}" for t in wrong)
                    )
        finally:
            await conn.close()
    secret = source.parent / SECRET_FILE_NAME
    return Imported(tables=copied, version=version, secret_file=secret if secret.exists() else None)


__all__ = [
    "EXPORT_COLUMNS",
    "FAILURES",
    "ExportFormat",
    "Imported",
    "Migrated",
    "TransferError",
    "export_appointments",
    "import_sqlite",
    "migrate",
    "private_file",
]
