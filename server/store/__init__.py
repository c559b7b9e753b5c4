"""The database: every SQL statement of Rendezvous lives in this package.

`Store.open(path)` opens SQLite (`server.store.sqlite`). Callers use only the names
exported here: `Store` (reads outside a transaction, `write()` for a transaction),
`Transaction` (reads and writes inside one) and the row types.
"""

from server.store.sqlite import (
    MAX_OCCUPATION,
    OCCUPYING_STATUSES,
    AppointmentRow,
    AppointmentStatus,
    BusyRow,
    Conflict,
    HoldRow,
    IdempotencyRow,
    Store,
    StoreError,
    Transaction,
    migrations,
    new_id,
)

__all__ = [
    "MAX_OCCUPATION",
    "OCCUPYING_STATUSES",
    "AppointmentRow",
    "AppointmentStatus",
    "BusyRow",
    "Conflict",
    "HoldRow",
    "IdempotencyRow",
    "Store",
    "StoreError",
    "Transaction",
    "migrations",
    "new_id",
]
