"""The databases tests run on: a SQLite file in the test's folder, or a fresh PostgreSQL
database on the machine's server (SPEC 13).

PostgreSQL: the server is `RENDEZVOUS_TEST_POSTGRESQL` (default
postgresql://postgres@127.0.0.1:5432/test, trust authentication). Once per session a
template database is made and migrated; each test gets its own database copied from it
(`CREATE DATABASE ... TEMPLATE`, much faster than migrating), dropped after the test.
Every name is `rendezvous_test_<uuid>` or `rendezvous_template_<uuid>`, so parallel
sessions on one server never meet.

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

from server.store.postgresql import migrate

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
        run(self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))

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
