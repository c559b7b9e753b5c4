"""The PostgreSQL backend's part of the outbox (SPEC 10): the SQL of the `deliveries`
table, as two mixins that `server.store.postgresql` adds to its transaction
(`PgOutboxWrites`) and its store (`PgOutboxReads`), as `sqlite_outbox` does for SQLite.

The helper `pg-ops` fills them in, on the `_pg_fetch`, `_pg_fetchrow`, `_pg_execute` and
`_pg_executemany` methods the classes provide (see `server.store.postgresql`).
"""

from __future__ import annotations


class PgOutboxReads:
    """`DeliveryReader` on PostgreSQL (filled in by pg-ops)."""


class PgOutboxWrites(PgOutboxReads):
    """`DeliveryWriter` inside a PostgreSQL transaction (filled in by pg-ops)."""
