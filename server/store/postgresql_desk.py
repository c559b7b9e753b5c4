"""The PostgreSQL backend's part of the desk (SPEC 11): the SQL of sign-in links,
sessions, invites, calendar feeds and time off, as two mixins that
`server.store.postgresql` adds to its transaction (`PgDeskWrites`) and its store
(`PgDeskReads`), as `sqlite_desk` does for SQLite.

Appointments are read through the backend's own row mapping (`_pg_appointments_where`).
Time off is busy time: inside a transaction, `time_off` first takes the advisory locks
of the agents it reads (`_pg_lock_agents`), like the appointments' reads, so a booking
and a change of time off for one agent never both act on what the other has not
committed yet. Whether a link, a session or an invite may still be used is decided by
the conditional UPDATE itself (one row, locked by it), as on SQLite.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import asyncpg

from server.store.interface import (
    AppointmentRow,
    FeedRow,
    InviteRow,
    SessionRow,
    SignInLinkRow,
    TimeOffRow,
)
from server.vocabulary import AppointmentStatus, from_unix, to_unix

_LINK_COLUMNS = "id, agent, next, created_at, expires_at, used_at"
_SESSION_COLUMNS = "id, agent, language, created_at, expires_at, ended_at"
_INVITE_COLUMNS = (
    "id, agent, subject, meeting_type, office, customer_email, single_use, created_by, "
    "created_at, expires_at, revoked_at"
)
# Whether a single-use invite booked: one row of used_invites.
_INVITE_SELECT = (
    f"SELECT {', '.join('i.' + c.strip() for c in _INVITE_COLUMNS.split(','))}, "
    "u.invite_id IS NOT NULL AS used "
    "FROM invites i LEFT JOIN used_invites u ON u.invite_id = i.id"
)
_TIME_OFF_COLUMNS = (
    "id, agent, start_utc, end_utc, timezone, whole_days, note, created_by, created_at, updated_at"
)


def _utc(moment: datetime) -> datetime:
    """As the store keeps times: UTC, whole seconds."""
    return from_unix(to_unix(moment))


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _record(cls: Any, row: asyncpg.Record) -> Any:
    """A row type whose fields are the record's columns, by name (`timestamptz` columns
    come as aware datetimes already)."""
    return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})


def _link(row: asyncpg.Record) -> SignInLinkRow:
    return cast(SignInLinkRow, _record(SignInLinkRow, row))


def _session(row: asyncpg.Record) -> SessionRow:
    return cast(SessionRow, _record(SessionRow, row))


def _invite(row: asyncpg.Record) -> InviteRow:
    return cast(InviteRow, _record(InviteRow, row))


def _time_off(row: asyncpg.Record) -> TimeOffRow:
    return TimeOffRow(
        id=row["id"],
        agent=row["agent"],
        start=row["start_utc"],
        end=row["end_utc"],
        timezone=row["timezone"],
        whole_days=row["whole_days"],
        note=row["note"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _feed(row: asyncpg.Record) -> FeedRow:
    return cast(FeedRow, _record(FeedRow, row))


class PgDeskReads:
    """`DeskReader` on the class's `_pg_fetch` (the pool, or a transaction's connection)."""

    async def _pg_fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        raise NotImplementedError

    async def _pg_fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        raise NotImplementedError

    async def _pg_appointments_where(
        self, where: str, args: Sequence[Any], order: str
    ) -> list[AppointmentRow]:
        raise NotImplementedError

    async def _pg_lock_agents(self, agents: Iterable[str]) -> None:
        """Take these agents' advisory locks (a transaction's; the store: none)."""

    async def sign_in_link(self, id: str) -> SignInLinkRow | None:
        row = await self._pg_fetchrow(
            f"SELECT {_LINK_COLUMNS} FROM desk_sign_in_links WHERE id = $1", id
        )
        return None if row is None else _link(row)

    async def session(self, id: str) -> SessionRow | None:
        row = await self._pg_fetchrow(
            f"SELECT {_SESSION_COLUMNS} FROM desk_sessions WHERE id = $1", id
        )
        return None if row is None else _session(row)

    async def invite(self, id: str) -> InviteRow | None:
        row = await self._pg_fetchrow(f"{_INVITE_SELECT} WHERE i.id = $1", id)
        return None if row is None else _invite(row)

    async def open_invites(self, agent: str, now: datetime) -> list[InviteRow]:
        rows = await self._pg_fetch(
            f"{_INVITE_SELECT} WHERE i.agent = $1 AND i.expires_at > $2 AND i.revoked_at IS NULL"
            " AND NOT (i.single_use AND u.invite_id IS NOT NULL)"
            " ORDER BY i.created_at DESC, i.id LIMIT 200",
            agent,
            _utc(now),
        )
        return [_invite(row) for row in rows]

    async def feed_of(self, agent: str) -> FeedRow | None:
        row = await self._pg_fetchrow(
            "SELECT agent, secret, created_at FROM desk_feeds WHERE agent = $1", agent
        )
        return None if row is None else _feed(row)

    async def feed_by_secret(self, secret: str) -> FeedRow | None:
        row = await self._pg_fetchrow(
            "SELECT agent, secret, created_at FROM desk_feeds WHERE secret = $1", secret
        )
        return None if row is None else _feed(row)

    async def desk_appointments(
        self,
        agents: Collection[str],
        offices: Collection[str],
        start: datetime,
        end: datetime,
        statuses: Collection[AppointmentStatus],
        limit: int = 500,
    ) -> list[AppointmentRow]:
        by_agent, by_office, wanted = list(agents), list(offices), list(statuses)
        if not (by_agent or by_office) or not wanted:
            return []
        return await self._pg_appointments_where(
            "(agent = ANY($1::text[]) OR office = ANY($2::text[]))"
            " AND status = ANY($3::text[]) AND end_utc > $4 AND start_utc < $5",
            [by_agent, by_office, wanted, _utc(start), _utc(end)],
            f"ORDER BY start_utc, id LIMIT {int(limit)}",
        )

    async def time_off(
        self, agents: Collection[str], start: datetime, end: datetime
    ) -> dict[str, list[TimeOffRow]]:
        found: dict[str, list[TimeOffRow]] = {agent: [] for agent in agents}
        if not found:
            return found
        await self._pg_lock_agents(found)
        rows = await self._pg_fetch(
            f"SELECT {_TIME_OFF_COLUMNS} FROM time_off"
            " WHERE agent = ANY($1::text[]) AND start_utc < $2 AND end_utc > $3"
            " ORDER BY agent, start_utc, id",
            list(found),
            _utc(end),
            _utc(start),
        )
        for row in rows:
            found[row["agent"]].append(_time_off(row))
        return found

    async def time_off_entry(self, id: str) -> TimeOffRow | None:
        row = await self._pg_fetchrow(f"SELECT {_TIME_OFF_COLUMNS} FROM time_off WHERE id = $1", id)
        return None if row is None else _time_off(row)


class PgDeskWrites(PgDeskReads):
    """`DeskWriter` inside a transaction (its connection's `_pg_execute`)."""

    async def _pg_execute(self, sql: str, *args: Any) -> int:
        raise NotImplementedError

    async def insert_sign_in_link(self, row: SignInLinkRow) -> None:
        await self._pg_execute(
            f"INSERT INTO desk_sign_in_links ({_LINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)",
            row.id,
            row.agent,
            row.next,
            _utc(row.created_at),
            _utc(row.expires_at),
            _maybe(row.used_at),
        )

    async def use_sign_in_link(self, id: str, now: datetime) -> bool:
        changed = await self._pg_execute(
            "UPDATE desk_sign_in_links SET used_at = $2"
            " WHERE id = $1 AND used_at IS NULL AND expires_at > $2 AND agent IS NOT NULL",
            id,
            _utc(now),
        )
        return changed == 1

    async def delete_sign_in_links(self, before: datetime) -> int:
        return await self._pg_execute(
            "DELETE FROM desk_sign_in_links WHERE created_at < $1", _utc(before)
        )

    async def insert_session(self, row: SessionRow) -> None:
        await self._pg_execute(
            f"INSERT INTO desk_sessions ({_SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)",
            row.id,
            row.agent,
            row.language,
            _utc(row.created_at),
            _utc(row.expires_at),
            _maybe(row.ended_at),
        )

    async def end_session(self, id: str, now: datetime) -> bool:
        changed = await self._pg_execute(
            "UPDATE desk_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
            id,
            _utc(now),
        )
        return changed == 1

    async def set_session_language(self, id: str, language: str | None) -> None:
        await self._pg_execute("UPDATE desk_sessions SET language = $2 WHERE id = $1", id, language)

    async def delete_sessions(self, before: datetime) -> int:
        return await self._pg_execute(
            "DELETE FROM desk_sessions WHERE expires_at < $1", _utc(before)
        )

    async def insert_invite(self, row: InviteRow) -> None:
        await self._pg_execute(
            f"INSERT INTO invites ({_INVITE_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            row.id,
            row.agent,
            row.subject,
            row.meeting_type,
            row.office,
            row.customer_email,
            row.single_use,
            row.created_by,
            _utc(row.created_at),
            _utc(row.expires_at),
            _maybe(row.revoked_at),
        )

    async def revoke_invite(self, id: str, now: datetime) -> bool:
        changed = await self._pg_execute(
            "UPDATE invites SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", id, _utc(now)
        )
        return changed == 1

    async def set_feed(self, agent: str, secret: str, now: datetime) -> None:
        await self._pg_execute(
            "INSERT INTO desk_feeds (agent, secret, created_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (agent) DO UPDATE SET secret = excluded.secret,"
            " created_at = excluded.created_at",
            agent,
            secret,
            _utc(now),
        )

    async def insert_time_off(self, row: TimeOffRow) -> None:
        await self._pg_lock_agents([row.agent])
        await self._pg_execute(
            f"INSERT INTO time_off ({_TIME_OFF_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            row.id,
            row.agent,
            _utc(row.start),
            _utc(row.end),
            row.timezone,
            row.whole_days,
            row.note,
            row.created_by,
            _utc(row.created_at),
            _utc(row.updated_at),
        )

    async def update_time_off(self, row: TimeOffRow) -> bool:
        await self._pg_lock_agents([row.agent])
        changed = await self._pg_execute(
            "UPDATE time_off SET start_utc = $2, end_utc = $3, timezone = $4, whole_days = $5,"
            " note = $6, updated_at = $7 WHERE id = $1",
            row.id,
            _utc(row.start),
            _utc(row.end),
            row.timezone,
            row.whole_days,
            row.note,
            _utc(row.updated_at),
        )
        return changed == 1

    async def delete_time_off(self, id: str) -> bool:
        return await self._pg_execute("DELETE FROM time_off WHERE id = $1", id) == 1


__all__ = ["PgDeskReads", "PgDeskWrites"]
