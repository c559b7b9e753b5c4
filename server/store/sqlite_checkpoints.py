"""Checkpoints off the write path: the WAL copied into the database by a connection of
its own, every `INTERVAL`, instead of by whichever commit crosses SQLite's threshold.

In WAL mode every commit appends to `<database>-wal`; a *checkpoint* copies those pages
into the database file and fsyncs it, so that the WAL can start over. By default SQLite
runs one inside the `COMMIT` that takes the WAL past 1,000 pages: that commit, and with
it the write lock every process waits for, lasts the copy and two fsyncs (tens of
milliseconds under load: the slowest bookings of a run). Here:

- the write connection checkpoints by itself only past `BACKSTOP` pages (should this
  task be stopped or starved: the WAL cannot grow without bound);
- each server process runs `PRAGMA wal_checkpoint(PASSIVE)` every `INTERVAL` on its
  own connection and thread. PASSIVE waits for no reader and no writer: commits go on
  while it copies, and when another process's checkpoint is running it returns at once.
  SQLite starts the WAL over at the next commit after a checkpoint that copied
  everything.

What a commit wrote is on disk (in the WAL, fsynced: `synchronous=FULL`) before the
commit returns, checkpointed or not: this changes when pages reach the database file,
not whether a booking is durable.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Final

import aiosqlite

from server import background

#: Seconds between two checkpoints of one process.
INTERVAL: Final = 0.5
#: WAL pages (4 KiB) past which the write connection checkpoints in its own commit.
BACKSTOP: Final = 10_000

log = logging.getLogger("rendezvous.store")


class Checkpointer:
    """A task copying the WAL into the database every `interval` seconds."""

    def __init__(self, conn: aiosqlite.Connection, interval: float = INTERVAL) -> None:
        self._conn = conn
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        #: Checkpoints run so far (tests, `rendezvous doctor`).
        self.runs = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, WAL frames, frames copied), SQLite's answer."""
        async with self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
            row = await cursor.fetchone()
        self.runs += 1
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.checkpoint()
            except sqlite3.Error as exc:  # a full disk, say: the commits will say so too
                log.warning("checkpoint failed: %s", exc)

    async def close(self) -> None:
        await background.cancel(self._task)
        self._task = None
        await self._conn.close()


__all__ = ["BACKSTOP", "INTERVAL", "Checkpointer"]
