"""The database: rows, the store's interface, and the backends that implement it.

`open_store(database)` opens the backend for a database setting; callers use only the
names exported here (`Store`, `Transaction`, the rows and errors), never a backend's own
classes. Today the backend is SQLite (`server.store.sqlite`); every SQL statement of the
server lives in its backend module.
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
from server.store.sqlite import SQLiteStore, migrations


async def open_store(database: str | Path) -> Store:
    """Open (creating and migrating it if needed) the database `database` names."""
    return await SQLiteStore.open(database)


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
    "migrations",
    "new_id",
    "open_store",
]
