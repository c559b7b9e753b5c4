"""The PostgreSQL backend's part of the defence against hold squatting and bots
(docs/bots.md), as `sqlite_bots` is SQLite's: a mixin that `server.store.postgresql`
adds to its transaction, on the `_pg_*` methods it provides. One client's holds are
serialised by an advisory lock on the client (`_lock_one("client", ...)`), so two
concurrent holds of one client cannot both keep the holds the other releases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.vocabulary import from_unix, to_unix


def _utc(moment: datetime) -> datetime:
    return from_unix(to_unix(moment))


class PgBotWrites:
    """`BotWriter` inside a PostgreSQL transaction."""

    async def _pg_execute(self, sql: str, *args: Any) -> int:
        raise NotImplementedError

    async def _pg_fetchrow(self, sql: str, *args: Any) -> Any:
        raise NotImplementedError

    async def _lock_one(self, kind: str, name: str) -> None:
        raise NotImplementedError

    async def release_client_holds(self, client: str, now: datetime, keep: int) -> int:
        await self._lock_one("client", client)
        return await self._pg_execute(
            """
            DELETE FROM holds
             WHERE id IN (
                   SELECT id FROM holds
                    WHERE client = $1 AND used_by IS NULL AND expires_at > $2
                    ORDER BY expires_at DESC, placed DESC
                   OFFSET $3)
            """,
            client,
            _utc(now),
            max(0, keep),
        )

    async def client_activity(self, client: str, since: datetime) -> int:
        row = await self._pg_fetchrow(
            "SELECT count(*) FROM client_activity WHERE client = $1 AND at >= $2",
            client,
            _utc(since),
        )
        return int(row[0])

    async def note_client_activity(
        self, client: str, at: datetime, forget_before: datetime
    ) -> None:
        await self._pg_execute("DELETE FROM client_activity WHERE at < $1", _utc(forget_before))
        await self._pg_execute(
            "INSERT INTO client_activity (client, at) VALUES ($1, $2)", client, _utc(at)
        )

    async def use_challenge(self, signature: str, expires_at: datetime, now: datetime) -> bool:
        await self._pg_execute("DELETE FROM used_challenges WHERE expires_at <= $1", _utc(now))
        added = await self._pg_execute(
            "INSERT INTO used_challenges (signature, expires_at) VALUES ($1, $2)"
            " ON CONFLICT (signature) DO NOTHING",
            signature,
            _utc(expires_at),
        )
        return added == 1
