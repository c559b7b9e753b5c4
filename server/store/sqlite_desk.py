"""The SQLite backend's part of the desk (SPEC 11): the SQL of sign-in links, sessions,
invites and calendar feeds, as two mixins that `server.store.sqlite` adds to its store
and its transaction (as `sqlite_outbox` does for the outbox).

Appointments are read through the backend's own row mapping (`_appointments_where`), so
that the appointment's columns are known in one place.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from server.store.interface import (
    AppointmentRow,
    FeedRow,
    InviteRow,
    SessionRow,
    SignInLinkRow,
    TimeOffRow,
)
from server.store.sqlite_writer import Fetcher
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


def _maybe(value: int | None) -> datetime | None:
    return None if value is None else from_unix(value)


def _link(row: sqlite3.Row) -> SignInLinkRow:
    return SignInLinkRow(
        id=row["id"],
        agent=row["agent"],
        next=row["next"],
        created_at=from_unix(row["created_at"]),
        expires_at=from_unix(row["expires_at"]),
        used_at=_maybe(row["used_at"]),
    )


def _session(row: sqlite3.Row) -> SessionRow:
    return SessionRow(
        id=row["id"],
        agent=row["agent"],
        language=row["language"],
        created_at=from_unix(row["created_at"]),
        expires_at=from_unix(row["expires_at"]),
        ended_at=_maybe(row["ended_at"]),
    )


def _invite(row: sqlite3.Row) -> InviteRow:
    return InviteRow(
        id=row["id"],
        agent=row["agent"],
        subject=row["subject"],
        meeting_type=row["meeting_type"],
        office=row["office"],
        customer_email=row["customer_email"],
        single_use=bool(row["single_use"]),
        created_by=row["created_by"],
        created_at=from_unix(row["created_at"]),
        expires_at=from_unix(row["expires_at"]),
        revoked_at=_maybe(row["revoked_at"]),
        used=bool(row["used"]),
    )


_TIME_OFF_COLUMNS = (
    "id, agent, start_utc, end_utc, timezone, whole_days, note, created_by, created_at, updated_at"
)


def _time_off(row: sqlite3.Row) -> TimeOffRow:
    return TimeOffRow(
        id=row["id"],
        agent=row["agent"],
        start=from_unix(row["start_utc"]),
        end=from_unix(row["end_utc"]),
        timezone=row["timezone"],
        whole_days=bool(row["whole_days"]),
        note=row["note"],
        created_by=row["created_by"],
        created_at=from_unix(row["created_at"]),
        updated_at=from_unix(row["updated_at"]),
    )


def _feed(row: sqlite3.Row) -> FeedRow:
    return FeedRow(
        agent=row["agent"], secret=row["secret"], created_at=from_unix(row["created_at"])
    )


async def _one(conn: Fetcher, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
    found = await _all(conn, sql, params)
    return found[0] if found else None


async def _all(conn: Fetcher, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
    # One trip to the connection's thread (execute, fetch and close together).
    return list(await conn.execute_fetchall(sql, params))


class DeskReads:
    """`DeskReader` on the connection the class names (`_desk_reader`)."""

    def _desk_reader(self) -> Fetcher:
        raise NotImplementedError

    async def _appointments_where(
        self, where: str, params: Sequence[Any], order: str
    ) -> list[AppointmentRow]:
        """Appointments matching an SQL condition: the backend maps its own rows."""
        raise NotImplementedError

    async def sign_in_link(self, id: str) -> SignInLinkRow | None:
        row = await _one(
            self._desk_reader(),
            f"SELECT {_LINK_COLUMNS} FROM desk_sign_in_links WHERE id = ?",
            [id],
        )
        return None if row is None else _link(row)

    async def session(self, id: str) -> SessionRow | None:
        row = await _one(
            self._desk_reader(), f"SELECT {_SESSION_COLUMNS} FROM desk_sessions WHERE id = ?", [id]
        )
        return None if row is None else _session(row)

    async def invite(self, id: str) -> InviteRow | None:
        row = await _one(self._desk_reader(), f"{_INVITE_SELECT} WHERE i.id = ?", [id])
        return None if row is None else _invite(row)

    async def open_invites(self, agent: str, now: datetime) -> list[InviteRow]:
        rows = await _all(
            self._desk_reader(),
            f"{_INVITE_SELECT} WHERE i.agent = ? AND i.expires_at > ? AND i.revoked_at IS NULL"
            " AND NOT (i.single_use = 1 AND u.invite_id IS NOT NULL)"
            " ORDER BY i.created_at DESC, i.id LIMIT 200",
            [agent, to_unix(now)],
        )
        return [_invite(row) for row in rows]

    async def feed_of(self, agent: str) -> FeedRow | None:
        row = await _one(
            self._desk_reader(),
            "SELECT agent, secret, created_at FROM desk_feeds WHERE agent = ?",
            [agent],
        )
        return None if row is None else _feed(row)

    async def feed_by_secret(self, secret: str) -> FeedRow | None:
        row = await _one(
            self._desk_reader(),
            "SELECT agent, secret, created_at FROM desk_feeds WHERE secret = ?",
            [secret],
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
        whose = [*(("agent", a) for a in agents), *(("office", o) for o in offices)]
        wanted = list(statuses)
        if not whose or not wanted:
            return []
        by_agent = [value for column, value in whose if column == "agent"]
        by_office = [value for column, value in whose if column == "office"]
        conditions = []
        if by_agent:
            conditions.append(f"agent IN ({', '.join('?' * len(by_agent))})")
        if by_office:
            conditions.append(f"office IN ({', '.join('?' * len(by_office))})")
        where = (
            f"({' OR '.join(conditions)}) AND status IN ({', '.join('?' * len(wanted))})"
            " AND end_utc > ? AND start_utc < ?"
        )
        params = [*by_agent, *by_office, *wanted, to_unix(start), to_unix(end)]
        return await self._appointments_where(
            where, params, f"ORDER BY start_utc, id LIMIT {int(limit)}"
        )

    async def time_off(
        self, agents: Collection[str], start: datetime, end: datetime
    ) -> dict[str, list[TimeOffRow]]:
        found: dict[str, list[TimeOffRow]] = {agent: [] for agent in agents}
        if not found:
            return found
        rows = await _all(
            self._desk_reader(),
            f"SELECT {_TIME_OFF_COLUMNS} FROM time_off"
            f" WHERE agent IN ({', '.join('?' * len(found))})"
            " AND start_utc < ? AND end_utc > ? ORDER BY agent, start_utc, id",
            [*found, to_unix(end), to_unix(start)],
        )
        for row in rows:
            found[row["agent"]].append(_time_off(row))
        return found

    async def time_off_entry(self, id: str) -> TimeOffRow | None:
        row = await _one(
            self._desk_reader(), f"SELECT {_TIME_OFF_COLUMNS} FROM time_off WHERE id = ?", [id]
        )
        return None if row is None else _time_off(row)


class DeskWrites(DeskReads):
    """`DeskWriter` inside a transaction whose class gives `_desk_execute`."""

    async def _desk_execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    async def insert_sign_in_link(self, row: SignInLinkRow) -> None:
        await self._desk_execute(
            f"INSERT INTO desk_sign_in_links ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            [
                row.id,
                row.agent,
                row.next,
                to_unix(row.created_at),
                to_unix(row.expires_at),
                None if row.used_at is None else to_unix(row.used_at),
            ],
        )

    async def use_sign_in_link(self, id: str, now: datetime) -> bool:
        moment = to_unix(now)
        changed = await self._desk_execute(
            "UPDATE desk_sign_in_links SET used_at = ? "
            "WHERE id = ? AND used_at IS NULL AND expires_at > ? AND agent IS NOT NULL",
            [moment, id, moment],
        )
        return changed == 1

    async def delete_sign_in_links(self, before: datetime) -> int:
        return await self._desk_execute(
            "DELETE FROM desk_sign_in_links WHERE created_at < ?", [to_unix(before)]
        )

    async def insert_session(self, row: SessionRow) -> None:
        await self._desk_execute(
            f"INSERT INTO desk_sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            [
                row.id,
                row.agent,
                row.language,
                to_unix(row.created_at),
                to_unix(row.expires_at),
                None if row.ended_at is None else to_unix(row.ended_at),
            ],
        )

    async def end_session(self, id: str, now: datetime) -> bool:
        changed = await self._desk_execute(
            "UPDATE desk_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            [to_unix(now), id],
        )
        return changed == 1

    async def set_session_language(self, id: str, language: str | None) -> None:
        await self._desk_execute(
            "UPDATE desk_sessions SET language = ? WHERE id = ?", [language, id]
        )

    async def delete_sessions(self, before: datetime) -> int:
        return await self._desk_execute(
            "DELETE FROM desk_sessions WHERE expires_at < ?", [to_unix(before)]
        )

    async def insert_invite(self, row: InviteRow) -> None:
        await self._desk_execute(
            f"INSERT INTO invites ({_INVITE_COLUMNS}) VALUES ({', '.join('?' * 11)})",
            [
                row.id,
                row.agent,
                row.subject,
                row.meeting_type,
                row.office,
                row.customer_email,
                int(row.single_use),
                row.created_by,
                to_unix(row.created_at),
                to_unix(row.expires_at),
                None if row.revoked_at is None else to_unix(row.revoked_at),
            ],
        )

    async def revoke_invite(self, id: str, now: datetime) -> bool:
        changed = await self._desk_execute(
            "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [to_unix(now), id],
        )
        return changed == 1

    async def set_feed(self, agent: str, secret: str, now: datetime) -> None:
        await self._desk_execute(
            "INSERT INTO desk_feeds (agent, secret, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (agent) DO UPDATE SET secret = excluded.secret, "
            "created_at = excluded.created_at",
            [agent, secret, to_unix(now)],
        )

    async def insert_time_off(self, row: TimeOffRow) -> None:
        await self._desk_execute(
            f"INSERT INTO time_off ({_TIME_OFF_COLUMNS}) VALUES ({', '.join('?' * 10)})",
            [
                row.id,
                row.agent,
                to_unix(row.start),
                to_unix(row.end),
                row.timezone,
                int(row.whole_days),
                row.note,
                row.created_by,
                to_unix(row.created_at),
                to_unix(row.updated_at),
            ],
        )

    async def update_time_off(self, row: TimeOffRow) -> bool:
        changed = await self._desk_execute(
            "UPDATE time_off SET start_utc = ?, end_utc = ?, timezone = ?, whole_days = ?,"
            " note = ?, updated_at = ? WHERE id = ?",
            [
                to_unix(row.start),
                to_unix(row.end),
                row.timezone,
                int(row.whole_days),
                row.note,
                to_unix(row.updated_at),
                row.id,
            ],
        )
        return changed == 1

    async def delete_time_off(self, id: str) -> bool:
        return await self._desk_execute("DELETE FROM time_off WHERE id = ?", [id]) == 1


__all__ = ["DeskReads", "DeskWrites"]
