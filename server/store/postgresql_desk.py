"""The PostgreSQL backend's part of the desk (SPEC 11): the SQL of sign-in links,
sessions, invites, calendar feeds and time off, as two mixins that
`server.store.postgresql` adds to its transaction (`PgDeskWrites`) and its store
(`PgDeskReads`), as `sqlite_desk` does for SQLite.

The helper `pg-ops` fills them in, on the `_pg_*` methods the classes provide (see
`server.store.postgresql`); appointments are read through `_pg_appointments_where`, and
a transaction's `time_off` read takes the agents' locks first (`_pg_lock_agents`).
"""

from __future__ import annotations


class PgDeskReads:
    """`DeskReader` on PostgreSQL (filled in by pg-ops)."""


class PgDeskWrites(PgDeskReads):
    """`DeskWriter` inside a PostgreSQL transaction (filled in by pg-ops)."""
