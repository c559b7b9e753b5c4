"""The SQLite backend's part of the defence against hold squatting and bots
(docs/bots.md): holds per client, recent activity per client, answered challenges. A
mixin that `server.store.sqlite` adds to its transaction, which gives `_execute` and
`_outbox_fetch` (one statement; rows of one query)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from server.vocabulary import to_unix


class BotWrites:
    """`BotWriter` inside a transaction."""

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    async def _outbox_fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        raise NotImplementedError

    async def release_client_holds(self, client: str, now: datetime, keep: int) -> int:
        # Newest first: by expiry, then by rowid, which grows with each insert among the
        # rows present (holds placed within one second share their expiry).
        return await self._execute(
            """
            DELETE FROM holds
             WHERE id IN (
                   SELECT id FROM holds
                    WHERE client = ? AND used_by IS NULL AND expires_at > ?
                    ORDER BY expires_at DESC, rowid DESC
                    LIMIT -1 OFFSET ?)
            """,
            [client, to_unix(now), max(0, keep)],
        )

    async def client_activity(self, client: str, since: datetime) -> int:
        rows = await self._outbox_fetch(
            "SELECT count(*) FROM client_activity WHERE client = ? AND at >= ?",
            [client, to_unix(since)],
        )
        return int(rows[0][0])

    async def note_client_activity(
        self, client: str, at: datetime, forget_before: datetime
    ) -> None:
        await self._execute("DELETE FROM client_activity WHERE at < ?", [to_unix(forget_before)])
        await self._execute(
            "INSERT INTO client_activity (client, at) VALUES (?, ?)", [client, to_unix(at)]
        )

    async def use_challenge(self, signature: str, expires_at: datetime, now: datetime) -> bool:
        await self._execute("DELETE FROM used_challenges WHERE expires_at <= ?", [to_unix(now)])
        added = await self._execute(
            "INSERT OR IGNORE INTO used_challenges (signature, expires_at) VALUES (?, ?)",
            [signature, to_unix(expires_at)],
        )
        return added == 1
