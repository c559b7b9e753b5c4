"""The write connection of one SQLite server process: trips, the lock file, group commit.

Every statement runs on the connection's own thread (aiosqlite); each hand-over to that
thread and back is a *trip* through the event loop, and while a transaction is open
every trip holds the database's write lock for every process. So:

- **No trip for a transaction's own statements**: between `BEGIN IMMEDIATE` and
  `COMMIT` this process holds the write lock, so no statement of the transaction can
  wait for a lock (WAL: readers never block it); each is a few tens of microseconds of
  SQLite, cheaper than the two thread switches of a trip, so `Member` runs them on the
  event loop's thread (the connection is opened with `check_same_thread=False`, and
  only one coroutine uses it at a time: the lock). `BEGIN IMMEDIATE` (which may wait)
  and `COMMIT` (an fsync) stay on the connection's thread. That holds for every read
  of a transaction, the desk's, the outbox's and the calendars' too (`Fetcher`): a
  trip would let the event loop run other requests' work while this process holds
  the lock every process waits for. Reads outside transactions
  take one trip each (`fetchall`: execute, fetch and close together, where aiosqlite's
  cursor methods take three).
- **A lock file queues the processes** (`<database>.write-lock`, `fcntl.flock`), taken on
  the connection's thread in the same trip as `BEGIN IMMEDIATE` and released in the
  trip of `COMMIT`/`ROLLBACK`. A process waiting for another's transaction sleeps in
  the kernel and is woken when it ends, instead of SQLite's busy handler, which polls
  with sleeps growing to 100 ms (a few unlucky writers waited seconds). Other programs
  opening the file without the lock still meet `BEGIN IMMEDIATE` and `busy_timeout`.
- **Group commit**: `COMMIT` costs an `fsync` (`synchronous=FULL`: 2 to 10 ms here). When
  other transactions of this process are already waiting for the lock, a finished one
  does not commit: it leaves the SQLite transaction open, the next one runs in it
  behind a `SAVEPOINT` (so that its failure rolls back only its own writes), and the
  group commits once nobody is waiting (or after `MAX_GROUP`). Each `store.write()`
  returns only once its group has committed: what a caller was told is written is on
  disk. A transaction of the group sees the writes of those before it, exactly as if
  they had committed: nothing else can write in between (the group holds the write
  lock), so reading and then writing is as atomic as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar, cast

import aiosqlite

from server.store.interface import StoreError

T = TypeVar("T")

#: At most this many transactions share one COMMIT (bounds the first one's wait).
MAX_GROUP: Final = 32
#: `BEGIN IMMEDIATE` is retried this often when SQLite answers "locked" at once (it
#: skips the busy handler while another connection recovers the WAL).
_BEGIN_ATTEMPTS: Final = 50


async def in_thread(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """`fn(connection)` on `conn`'s own thread, in one trip. `Connection._execute` is how
    aiosqlite's own methods get there (0.20 to 0.22); it has no public name."""
    raw = conn._conn
    result = await conn._execute(fn, raw)  # type: ignore[no-untyped-call]
    return cast(T, result)


def fetch_all(
    raw: sqlite3.Connection, sql: str, params: Sequence[Any], *, plain: bool = False
) -> list[Any]:
    """Execute, fetch and close (on the connection's thread). `plain`: tuples, not Rows."""
    cursor = raw.execute(sql, params)
    try:
        if plain:
            cursor.row_factory = None
        return cursor.fetchall()
    finally:
        cursor.close()


async def fetchall(
    conn: aiosqlite.Connection | Member,
    sql: str,
    params: Sequence[Any] = (),
    *,
    plain: bool = False,
) -> list[Any]:
    """Every row of one query: in one trip, or at once inside a transaction."""
    if isinstance(conn, Member):
        return await conn.read(lambda raw: fetch_all(raw, sql, params, plain=plain))
    return await in_thread(conn, lambda raw: fetch_all(raw, sql, params, plain=plain))


class Fetcher(Protocol):
    """What the read mixins (`sqlite_desk`, `sqlite_outbox`, `sqlite_calendars`) read
    with: the store's read connection (one trip a query), or a transaction's `Member`
    (at once: no trip, so no other task runs while the transaction holds the lock)."""

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Iterable[sqlite3.Row]: ...


async def _settle(step: Awaitable[T]) -> tuple[T, bool]:
    """Wait for `step` to finish even if the caller is cancelled meanwhile (a trip to the
    database thread runs to its end whatever happens here); returns its result and
    whether a cancellation came in while waiting."""
    task = asyncio.ensure_future(step)
    cancelled = False
    while True:
        try:
            return await asyncio.shield(task), cancelled
        except asyncio.CancelledError:
            cancelled = True
            if task.done():  # it finished just as the cancellation came
                return task.result(), cancelled


@dataclass(eq=False)
class _Group:
    """Transactions that share one SQLite transaction and one COMMIT."""

    committed: asyncio.Future[None]
    members: int = 0
    committer: asyncio.Task[None] | None = field(default=None, repr=False)


class Writer:
    """The write connection of one process: `async with writer.transaction() as member`."""

    def __init__(self, conn: aiosqlite.Connection, lock_path: Path | None) -> None:
        self.conn = conn
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._group: _Group | None = None
        self._fd: int | None = None
        if lock_path is not None:
            self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    # -- on the connection's thread ------------------------------------------------------

    def _unlock(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _begin(self, raw: sqlite3.Connection) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            for attempt in range(_BEGIN_ATTEMPTS):
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or attempt == _BEGIN_ATTEMPTS - 1:
                        raise
                    time.sleep(0.05)
        except BaseException:
            self._unlock()
            raise

    def _commit(self, raw: sqlite3.Connection) -> None:
        try:
            if raw.in_transaction:
                try:
                    raw.execute("COMMIT")
                except BaseException:
                    if raw.in_transaction:
                        raw.execute("ROLLBACK")
                    raise
        finally:
            self._unlock()

    def _rollback_member(self, raw: sqlite3.Connection, savepoint: str | None) -> bool:
        """Undo one member's writes; False when SQLite rolled back the whole transaction
        (an I/O error, a full disk): then the group is lost, and this ends it."""
        try:
            if savepoint is not None and raw.in_transaction:
                raw.execute(f"ROLLBACK TO {savepoint}")
                raw.execute(f"RELEASE {savepoint}")
            if raw.in_transaction:
                return True
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                raw.execute("ROLLBACK")
        self._unlock()
        return False

    # -- on the event loop -----------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Member]:
        """One transaction of the caller: it commits (with its group) before this returns,
        or raises and leaves nothing written."""
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        group: _Group | None = None
        # A cancellation that came while a trip ran: the trip was finished (the lock file
        # and the group must end in a known state), and the caller is cancelled after.
        cancelled = False
        try:
            if self._group is None:
                _, cancelled = await _settle(in_thread(self.conn, self._begin))
                self._group = _Group(asyncio.get_running_loop().create_future())
            group = self._group
            group.members += 1
            member = Member(self.conn, f"m{group.members}")
            if cancelled:
                member.open = False
                await self._member_failed(group, member)
                raise asyncio.CancelledError
            try:
                yield member
            except BaseException as exc:
                member.open = False
                if await self._member_failed(group, member):
                    raise asyncio.CancelledError from exc
                raise
            member.open = False
            cancelled = await self._finish(group)
        finally:
            self._lock.release()
        if cancelled:
            raise asyncio.CancelledError
        await asyncio.shield(group.committed)

    async def _member_failed(self, group: _Group, member: Member) -> bool:
        """Undo a member's writes, then go on as after any member; True if cancelled."""
        savepoint = member.savepoint if member.started else None
        intact, cancelled = await _settle(
            in_thread(self.conn, lambda raw: self._rollback_member(raw, savepoint))
        )
        if not intact:
            self._group = None
            _resolve(group, StoreError("the transaction was rolled back by the database"))
            return cancelled
        return await self._finish(group) or cancelled

    async def _finish(self, group: _Group) -> bool:
        """With the lock held, after a member: commit the group, or leave it to those
        waiting for the lock (a task commits it after them). True if cancelled."""
        if self._waiting and group.members < MAX_GROUP:
            if group.committer is None:
                group.committer = asyncio.get_running_loop().create_task(self._commit_later(group))
            return False
        return await self._end(group)

    async def _end(self, group: _Group) -> bool:
        """COMMIT the group and release the lock file; True if cancelled meanwhile."""
        self._group = None
        try:
            _, cancelled = await _settle(in_thread(self.conn, self._commit))
        except Exception as exc:
            _resolve(group, exc)
            return False
        _resolve(group, None)
        return cancelled

    async def _commit_later(self, group: _Group) -> None:
        async with self._lock:
            if self._group is group:
                await self._end(group)

    async def close(self) -> None:
        async with self._lock:
            if self._group is not None:
                await self._end(self._group)
            await self.conn.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    async def migrate(self, step: Callable[[sqlite3.Connection], None]) -> None:
        """`step` inside `BEGIN IMMEDIATE ... COMMIT`, under the lock file, in one trip."""

        def run(raw: sqlite3.Connection) -> None:
            self._begin(raw)
            try:
                step(raw)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    raw.execute("ROLLBACK")
                self._unlock()
                raise
            self._commit(raw)

        async with self._lock:
            await in_thread(self.conn, run)


def _resolve(group: _Group, error: BaseException | None) -> None:
    if group.committed.done():
        return
    if error is None:
        group.committed.set_result(None)
    else:
        group.committed.set_exception(error)
        group.committed.exception()  # retrieved: no "never retrieved" warning if unawaited


class Member:
    """One transaction's view of the write connection: its statements, run at once on
    the event loop's thread (see the module's notes), the first write preceded by its
    `SAVEPOINT`."""

    def __init__(self, conn: aiosqlite.Connection, savepoint: str) -> None:
        self.conn = conn
        self.savepoint = savepoint
        self.started = False
        self.open = True

    def _raw(self) -> sqlite3.Connection:
        if not self.open:
            raise RuntimeError("the transaction is over")
        return self.conn._conn

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A statement that changes nothing."""
        return fn(self._raw())

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> list[sqlite3.Row]:
        """`aiosqlite.Connection.execute_fetchall`, at once (`Fetcher`)."""
        params = list(parameters or ())
        return await self.read(lambda raw: fetch_all(raw, sql, params))

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A statement that may change rows (the first after the savepoint)."""
        raw = self._raw()
        if not self.started:
            raw.execute(f"SAVEPOINT {self.savepoint}")
            self.started = True
        return fn(raw)
