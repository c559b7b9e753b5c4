"""The databases tests run on: a SQLite file in the test's folder, or a fresh PostgreSQL
database on the machine's server (SPEC 13).

PostgreSQL: the server is `RENDEZVOUS_TEST_POSTGRESQL` (default
postgresql://postgres@127.0.0.1:5432/test, trust authentication). Once per session a
template database is made and migrated; a test gets a database copied from it
(`CREATE DATABASE ... TEMPLATE`, much faster than migrating). The `database` fixture
then gives it back emptied (every row of every table deleted, the other sessions on it
ended: some 30 ms, where a new copy and a drop take 0.5-1.5 s on a busy machine), and
the next test reuses it; `create()` and `drop()` make and remove one of a test's own.
All are dropped at the end of the session. Every name is `rendezvous_test_<uuid>` or
`rendezvous_template_<uuid>`, so parallel sessions on one server never meet.

Without a reachable server the PostgreSQL variants are skipped, saying why; with
`CI=true` they fail instead (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from server.store.postgresql import migrate, migrations

T = TypeVar("T")

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
SERVER = os.environ.get("RENDEZVOUS_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code, whatever loop this thread runs
    (fixtures of async tests, TestClient tests): in a thread with its own loop."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def url_of(name: str, server: str = SERVER) -> str:
    """The URL of database `name` on the server."""
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


class PostgreSQLServer:
    """The machine's PostgreSQL server, with this session's migrated template."""

    def __init__(self, server: str = SERVER) -> None:
        self.server = server
        self.template = f"rendezvous_template_{uuid.uuid4().hex}"
        self._free: list[str] = []  # emptied databases, ready for the next test
        self._leased: set[str] = set()

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.server, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def start(self) -> None:
        """Make and migrate the template (raises OSError or a PostgresError when the
        server cannot be reached)."""

        async def make() -> None:
            await self._admin(f'CREATE DATABASE "{self.template}"')
            await migrate(url_of(self.template, self.server))

        run(make())

    def stop(self) -> None:
        for url in [*self._free, *self._leased]:
            self.drop(url)
        run(self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))

    def lease(self) -> str:
        """A migrated, empty database for one test: a reused one, else a new copy."""
        url = self._free.pop() if self._free else self.create()
        self._leased.add(url)
        return url

    def give_back(self, url: str) -> None:
        """Empty a leased database for the next test (dropped if that fails)."""
        self._leased.discard(url)
        try:
            run(self._empty(url))
        except Exception:
            self.drop(url)
            raise
        self._free.append(url)

    async def _empty(self, url: str) -> None:
        conn = await asyncpg.connect(url)
        try:
            # Whatever the test left connected (a server it killed) lets go first.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            tables = [
                row[0]
                for row in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'schema_migrations'"
                )
            ]
            versions = await conn.fetchval("SELECT count(*) FROM schema_migrations")
            if versions != len(migrations()):
                raise RuntimeError(f"{url}: the test changed its migrations")
            async with conn.transaction():
                for table in tables:
                    await conn.execute(f'DELETE FROM "{table}"')
        finally:
            await conn.close()

    def create(self, *, migrated: bool = True) -> str:
        """A new database (a copy of the migrated template, or empty); its URL."""
        name = f"rendezvous_test_{uuid.uuid4().hex}"
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        run(self._admin(f'CREATE DATABASE "{name}"{template}'))
        return url_of(name, self.server)

    def drop(self, url: str) -> None:
        run(self._admin(f'DROP DATABASE IF EXISTS "{name_of(url)}" WITH (FORCE)'))

    def scalar(self, url: str, sql: str, *args: Any) -> Any:
        """One value read from a database (for assertions)."""

        async def read() -> Any:
            conn = await asyncpg.connect(url)
            try:
                return await conn.fetchval(sql, *args)
            finally:
                await conn.close()

        return run(read())

    def rows(self, url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows read from a database, as tuples (for assertions)."""

        async def read() -> list[tuple[Any, ...]]:
            conn = await asyncpg.connect(url)
            try:
                return [tuple(row) for row in await conn.fetch(sql, *args)]
            finally:
                await conn.close()

        return run(read())


def sqlite_path(folder: Path) -> Path:
    return folder / "var" / "rendezvous.sqlite3"
