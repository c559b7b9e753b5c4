"""The PostgreSQL backend's part of the agents' calendars (SPEC 12): the SQL of the
`calendars` table, as two mixins that `server.store.postgresql` adds to its transaction
(`PgCalendarWrites`) and its store (`PgCalendarReads`), as `sqlite_calendars` does for
SQLite.

The helper `pg-ops` fills them in, on the `_pg_*` methods the classes provide (see
`server.store.postgresql`).
"""

from __future__ import annotations


class PgCalendarReads:
    """`CalendarReader` on PostgreSQL (filled in by pg-ops)."""


class PgCalendarWrites(PgCalendarReads):
    """`CalendarWriter` inside a PostgreSQL transaction (filled in by pg-ops)."""
