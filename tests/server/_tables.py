"""Rows read straight from a test's database, whichever the backend, in SQLite's terms.

Tests that look at what was stored (`SELECT * FROM deliveries`) are written once, in
SQLite's SQL: `?` placeholders, `rowid` for the order rows were written in. On
PostgreSQL the query runs with `$n` placeholders and `seq` (the outbox's identity
column, its rowid) and the values come back as SQLite keeps them: times as unix seconds,
flags as 0/1, JSON as text; `seq` itself is left out.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from server.settings import Settings
from tests.databases import run

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return _encode(value).decode()
    return value


def _postgresql_sql(sql: str) -> str:
    numbers = iter(range(1, sql.count("?") + 1))
    sql = re.sub(r"\?", lambda _: f"${next(numbers)}", sql)
    return re.sub(r"\browid\b", "seq", sql)


def select(database: Settings | str | Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    """The rows of one query (SQLite's SQL) as dicts of SQLite's values."""
    where = database.database if isinstance(database, Settings) else database
    if isinstance(where, Path) or not where.startswith(("postgresql://", "postgres://")):
        with sqlite3.connect(where) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, params)]

    async def read() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(where)
        await conn.set_type_codec("jsonb", schema="pg_catalog", encoder=str, decoder=_decode)
        try:
            rows = await conn.fetch(_postgresql_sql(sql), *params)
        finally:
            await conn.close()
        return [
            {key: _sqlite_value(value) for key, value in row.items() if key != "seq"}
            for row in rows
        ]

    return run(read())
