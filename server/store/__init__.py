"""The database: rows, the store's interface, and the backends that implement it.

`open_store(database)` opens the backend for a database setting; callers use only the
names exported here (`Store`, `Transaction`, the rows and errors), never a backend's own
classes. A path is a SQLite file (`server.store.sqlite`, the default); a
`postgresql://` (or `postgres://`) URL is a PostgreSQL database shared by any number of
processes and machines (`server.store.postgresql`, SPEC 13). Every SQL statement of the
server lives in its backend's modules.
"""

from __future__ import annotations

from pathlib import Path

from server.store.interface import (
    MAX_OCCUPATION,
    OCCUPYING_STATUSES,
    AppointmentRow,
    BusyRow,
    BusySpan,
    CalendarRow,
    Conflict,
    DeliveryRow,
    FeedRow,
    HoldRow,
    IdempotencyRow,
    InviteRow,
    Reader,
    SessionRow,
    SignInLinkRow,
    Store,
    StoreError,
    TimeOffRow,
    Transaction,
    new_id,
)
from server.store.postgresql import DEFAULT_POOL, PostgreSQLStore, is_postgresql_url, redacted
from server.store.sqlite import SQLiteStore, migrations


async def open_store(database: str | Path, *, pool_size: int = DEFAULT_POOL) -> Store:
    """Open (creating and migrating it if needed) the database `database` names: a
    PostgreSQL URL, with a pool of at most `pool_size` connections, or a SQLite path."""
    if is_postgresql_url(database):
        return await PostgreSQLStore.open(str(database), pool_size=pool_size)
    return await SQLiteStore.open(database)


def describe(database: str | Path) -> str:
    """The database setting as it may be shown or logged: a URL without its password."""
    return redacted(str(database)) if is_postgresql_url(database) else str(database)


__all__ = [
    "MAX_OCCUPATION",
    "OCCUPYING_STATUSES",
    "AppointmentRow",
    "BusyRow",
    "BusySpan",
    "CalendarRow",
    "Conflict",
    "DeliveryRow",
    "FeedRow",
    "HoldRow",
    "IdempotencyRow",
    "InviteRow",
    "Reader",
    "SessionRow",
    "SignInLinkRow",
    "Store",
    "StoreError",
    "TimeOffRow",
    "Transaction",
    "describe",
    "is_postgresql_url",
    "migrations",
    "new_id",
    "open_store",
]
