"""What the rest of the server sees of the database: rows, errors, and the interface that
every backend implements (`Store`, `Transaction`).

A backend owns all of its SQL. Callers never see a connection or a cursor: they read
through a `Store` (outside a transaction) and change things only inside
`async with store.write() as tx:`, which commits when the block ends and rolls back
when it raises. Whatever a transaction reads (`tx.busy(...)`) is still true when it
writes: the backend serialises the transactions that could contradict each other.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from server.deliveries.kinds import Channel, DeliveryStatus, Role
from server.vocabulary import AppointmentStatus, MeetingType, from_unix

#: Statuses that occupy the agent's time (SPEC 4, condition 12).
OCCUPYING_STATUSES: Final[tuple[AppointmentStatus, ...]] = ("confirmed", "requested")

#: Longest occupation (`end - start + trailing_buffer`) the schema accepts. `busy()` only
#: looks this far back from the window's start, so its index scans stay short.
MAX_OCCUPATION: Final = timedelta(days=7)


class StoreError(Exception):
    """A write the store refuses (the schema's constraints, not a crash)."""


class Conflict(StoreError):
    """A row with that key exists already (an id, an idempotency key, a used invite)."""


def new_id() -> str:
    """A random, URL-safe id for appointments, holds and deliveries (128 bits). Never
    starting with `-`, so that a command line never takes an id for an option
    (`rendezvous outbox --retry ID`)."""
    while (id := secrets.token_urlsafe(16)).startswith("-"):
        pass
    return id


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    id: str
    status: AppointmentStatus
    sequence: int
    subject: str
    meeting_type: MeetingType
    office: str | None
    agent: str
    start: datetime  # UTC
    end: datetime  # UTC, without the trailing buffer
    trailing_buffer: int  # minutes
    timezone: str  # the customer's display zone (IANA)
    language: str
    customer: Mapping[str, Any]
    location: Mapping[str, Any] | None
    answers: Mapping[str, Any]
    metadata: Mapping[str, Any]
    video_url: str | None
    invite_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HoldRow:
    id: str
    agent: str
    subject: str
    meeting_type: MeetingType
    office: str | None
    start: datetime  # UTC
    end: datetime  # UTC, without the trailing buffer
    trailing_buffer: int  # minutes
    expires_at: datetime
    used_by: str | None = None  # the appointment that used it
    #: The client that placed it: a keyed hash of its address (docs/bots.md), or None
    #: (placed on the desk, or before migration 0004).
    client: str | None = None


@dataclass(frozen=True, slots=True)
class BusyRow:
    """An appointment (confirmed or requested) or a live hold: it occupies its agent for
    `[start, end + trailing_buffer)`."""

    agent: str
    start: datetime
    end: datetime
    trailing_buffer: int  # minutes
    hold: bool


@dataclass(frozen=True, slots=True)
class IdempotencyRow:
    """An `Idempotency-Key` and the appointment booked under it."""

    key: str
    request_hash: str
    appointment_id: str
    created_at: datetime


# -- Deliveries (SPEC 10): the transactional outbox ------------------------------------
#
# A delivery is written in the transaction of the change that causes it
# (`insert_deliveries`) and sent later by a worker: it claims due rows in a short
# transaction (`claim_deliveries`, which gives each row to one worker at a time, with a
# lease that expires should the worker die), sends outside any transaction, and records
# the result in another short one (`finish_delivery`). On PostgreSQL the claim is one
# `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING ...`.


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: str  # also the basis of the e-mail's Message-ID and the webhook-id
    channel: Channel
    kind: str  # an e-mail kind, a webhook event, ...
    recipient_role: Role
    recipient: str  # an e-mail address, a webhook id
    appointment_id: str | None
    payload: Mapping[str, Any]  # what the message says, as of the change
    due_at: datetime
    expires_at: datetime  # a failure at or after this is final
    created_at: datetime
    status: DeliveryStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: `due_at`
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    updated_at: datetime | None = None  # None: `created_at`
    sent_at: datetime | None = None


class DeliveryReader(Protocol):
    async def delivery(self, id: str) -> DeliveryRow | None: ...

    async def deliveries(
        self, statuses: Collection[DeliveryStatus], limit: int = 100
    ) -> list[DeliveryRow]:
        """Deliveries in these statuses, the next to be tried first."""
        ...

    async def appointment_deliveries(self, appointment_id: str) -> list[DeliveryRow]:
        """Every delivery of one appointment, in the order they were written."""
        ...

    async def next_delivery_due(self, now: datetime) -> datetime | None:
        """When the next pending delivery that no live claim holds is due (it may be
        before `now`); None when there is none."""
        ...


class DeliveryWriter(Protocol):
    async def insert_deliveries(self, rows: Sequence[DeliveryRow]) -> None: ...

    async def delete_pending_deliveries(self, appointment_id: str, kinds: Collection[str]) -> int:
        """Forget the appointment's pending deliveries of these kinds (reminders that a
        reschedule rewrites or a cancellation removes); returns how many."""
        ...

    async def claim_deliveries(
        self, owner: str, now: datetime, until: datetime, limit: int, id: str | None = None
    ) -> list[DeliveryRow]:
        """Claim up to `limit` pending deliveries due at `now` that no live claim holds
        (only `id`, when given), for `owner` until `until`; returns them, claimed."""
        ...

    async def finish_delivery(
        self,
        id: str,
        owner: str,
        *,
        now: datetime,
        status: DeliveryStatus,
        attempts: int,
        next_attempt_at: datetime,
        last_error: str | None,
    ) -> bool:
        """Record an attempt and release the claim; False (nothing changed) when `owner`
        no longer holds it."""
        ...

    async def retry_delivery(self, id: str, now: datetime, expires_at: datetime) -> bool:
        """Make a delivery pending and due now again, whatever its status (`rendezvous
        outbox --retry`); False when there is no such delivery."""
        ...


#: An occupation as `Reader.busy_spans` reads it: (agent, start, end, trailing buffer in
#: minutes, for a live hold its `expires_at` else 0), times in unix seconds. Plain
#: values: a slot search compares and hashes thousands of them per request. The fifth is
#: true for holds only; as a time it says until when a read of them stays true
#: (`booking.occupancy.BusyReads`).
BusySpan = tuple[str, int, int, int, int]


def busy_rows(spans: Sequence[BusySpan], agents: Collection[str]) -> dict[str, list[BusyRow]]:
    """`Reader.busy`'s answer from `Reader.busy_spans`' (every agent of `agents` a key)."""
    result: dict[str, list[BusyRow]] = {agent: [] for agent in agents}
    for agent, start, end, trailing_buffer, hold in spans:
        result[agent].append(
            BusyRow(
                agent=agent,
                start=from_unix(start),
                end=from_unix(end),
                trailing_buffer=trailing_buffer,
                hold=bool(hold),
            )
        )
    return result


# -- The desk (SPEC 11): sign-in links, sessions, invites, calendar feeds --------------
#
# docs/desk.md. A sign-in link and a session are rows so that "used once", "signed
# out" and "revoked" are real; the tokens in e-mails and cookies carry only their ids.


@dataclass(frozen=True, slots=True)
class SignInLinkRow:
    id: str
    agent: str | None  # None: asked for an address that is no active agent's
    next: str | None  # a /desk path to open after signing in
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    agent: str
    created_at: datetime
    expires_at: datetime
    language: str | None = None  # chosen on the desk; None: the agent's own
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InviteRow:
    id: str
    agent: str
    subject: str | None
    meeting_type: MeetingType | None
    office: str | None
    customer_email: str | None
    single_use: bool
    created_by: str | None  # the agent who made it on the desk; None: the command line
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    used: bool = False  # a single-use invite that booked (read from used_invites)


@dataclass(frozen=True, slots=True)
class FeedRow:
    agent: str
    secret: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TimeOffRow:
    """An agent's time off (busy time, reason TIME_OFF): `[start, end)` in UTC."""

    id: str
    agent: str
    start: datetime  # UTC
    end: datetime  # UTC
    timezone: str  # the zone it was entered in
    whole_days: bool  # from local midnight to local midnight in `timezone`
    note: str | None  # private
    created_by: str  # the agent, or the office manager who set it
    created_at: datetime
    updated_at: datetime


class DeskReader(Protocol):
    async def sign_in_link(self, id: str) -> SignInLinkRow | None: ...

    async def session(self, id: str) -> SessionRow | None: ...

    async def invite(self, id: str) -> InviteRow | None: ...

    async def open_invites(self, agent: str, now: datetime) -> list[InviteRow]:
        """The agent's invites that still book: not revoked, not expired, and (single
        use) not used; the newest first."""
        ...

    async def feed_of(self, agent: str) -> FeedRow | None: ...

    async def feed_by_secret(self, secret: str) -> FeedRow | None: ...

    async def desk_appointments(
        self,
        agents: Collection[str],
        offices: Collection[str],
        start: datetime,
        end: datetime,
        statuses: Collection[AppointmentStatus],
        limit: int = 500,
    ) -> list[AppointmentRow]:
        """Appointments of these agents or at these offices, in these statuses, that end
        after `start` and start before `end`; by start."""
        ...

    async def time_off(
        self, agents: Collection[str], start: datetime, end: datetime
    ) -> dict[str, list[TimeOffRow]]:
        """Per agent (every agent asked for is a key), the time off overlapping
        `[start, end)`, sorted by start."""
        ...

    async def time_off_entry(self, id: str) -> TimeOffRow | None: ...


class DeskWriter(Protocol):
    async def insert_sign_in_link(self, row: SignInLinkRow) -> None: ...

    async def use_sign_in_link(self, id: str, now: datetime) -> bool:
        """Mark a live, unused link used; False when it is unknown, used or expired."""
        ...

    async def delete_sign_in_links(self, before: datetime) -> int:
        """Forget links made before `before`; returns how many."""
        ...

    async def insert_session(self, row: SessionRow) -> None: ...

    async def end_session(self, id: str, now: datetime) -> bool:
        """Sign out; False when the session is unknown or ended already."""
        ...

    async def set_session_language(self, id: str, language: str | None) -> None: ...

    async def delete_sessions(self, before: datetime) -> int:
        """Forget sessions that expired before `before`; returns how many."""
        ...

    async def insert_invite(self, row: InviteRow) -> None: ...

    async def revoke_invite(self, id: str, now: datetime) -> bool:
        """False when the invite is unknown or revoked already."""
        ...

    async def set_feed(self, agent: str, secret: str, now: datetime) -> None:
        """Give the agent's feed this secret (the old one stops working)."""
        ...

    async def insert_time_off(self, row: TimeOffRow) -> None: ...

    async def update_time_off(self, row: TimeOffRow) -> bool:
        """Replace an entry's times, zone, kind and note; False when it is gone."""
        ...

    async def delete_time_off(self, id: str) -> bool: ...


# -- Agents' calendars (SPEC 12) ---------------------------------------------------------
#
# One row per agent whose organisation-file entry links a calendar: the busy time last
# read from it (intervals only) and the state of reading and writing it. The refresher
# (`server.calendars.refresher`) claims due rows with a lease in a short transaction
# (`claim_calendars`: one process at a time per calendar), reads the calendar outside any
# transaction, and saves the result in another short one (`calendar` then
# `save_calendar`, with the notices that a breakage or a recovery writes to the outbox).


@dataclass(frozen=True, slots=True)
class CalendarRow:
    agent: str
    link: str  # fingerprint of the agent's [agents.calendar] table
    kind: str  # ics | caldav
    updated_at: datetime
    busy: bytes = b""  # merged intervals: little-endian int64 (start, end) pairs
    busy_from: datetime | None = None
    busy_until: datetime | None = None
    intervals: int = 0
    free_all_day: int = 0
    revision: int = 0
    etag: str | None = None
    last_modified: str | None = None
    worked_at: datetime | None = None  # the last successful read
    checked_at: datetime | None = None  # the last attempt
    next_check_at: datetime | None = None  # None: at once
    problem: str | None = None  # the current read failure's code
    error: str | None = None  # ... and its message (never a secret)
    write_problem: str | None = None
    write_error: str | None = None
    failing_since: datetime | None = None
    failures: int = 0  # reads that failed in a row
    notified: bool = False  # the broken notice was written for this breakage
    lease_owner: str | None = None
    lease_until: datetime | None = None


class CalendarReader(Protocol):
    async def calendars(
        self, agents: Collection[str] | None = None, *, busy: bool = True
    ) -> dict[str, CalendarRow]:
        """The stored calendars of these agents (None: every one), by agent; with
        `busy=False` their intervals are left out (`busy` is empty)."""
        ...

    async def next_calendar_due(self, now: datetime) -> datetime | None:
        """When the next calendar that no live lease holds is due (None: there is none)."""
        ...


class CalendarWriter(Protocol):
    async def sync_calendars(
        self, links: Mapping[str, tuple[str, str]], now: datetime, *, all_due: bool = False
    ) -> None:
        """Make the rows match the organisation file: `links` is agent -> (link, kind).
        Rows of agents not in it are deleted; new agents get a row due at once; a row
        whose link changed is due at once; with `all_due`, every row is."""
        ...

    async def claim_calendars(
        self, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[CalendarRow]:
        """Lease up to `limit` due calendars (`next_check_at <= now`, no live lease) to
        `owner` until `until`; returns them, leased."""
        ...

    async def save_calendar(self, row: CalendarRow, *, owner: str | None = None) -> bool:
        """Write every field of `row` (the lease included); with `owner`, only while that
        owner holds the lease. False when nothing was written."""
        ...


class Reader(DeliveryReader, DeskReader, CalendarReader, Protocol):
    """Reads, on a `Store` (the last committed state) or in a `Transaction`."""

    async def busy_spans(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> list[BusySpan]:
        """What `busy` reads, as plain values, sorted by agent, start and end."""
        ...

    async def busy(
        self, agents: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> dict[str, list[BusyRow]]:
        """Per agent (every agent asked for is a key), the confirmed and requested
        appointments and the live holds (not used, `expires_at > now`) whose occupation
        `[start, end + trailing_buffer)` overlaps `[start, end)`, sorted by start."""
        ...

    async def appointment_counts(
        self, agents: Collection[str], start: datetime, end: datetime
    ) -> dict[str, int]:
        """Per agent, the confirmed and requested appointments starting in `[start, end)`."""
        ...

    async def appointment(self, id: str) -> AppointmentRow | None: ...

    async def hold(self, id: str) -> HoldRow | None: ...

    async def invite_used(self, invite_id: str) -> bool: ...

    async def idempotency_key(self, key: str, since: datetime) -> IdempotencyRow | None:
        """The key, if it was saved at or after `since`."""
        ...


class BotWriter(Protocol):
    """Hold squatting and bots (docs/bots.md): who holds what, who did what lately, which
    proof-of-work challenges were answered. `client` is always a keyed hash."""

    async def release_client_holds(self, client: str, now: datetime, keep: int) -> int:
        """Release the client's live unused holds but its `keep` newest (by expiry);
        returns how many were released."""
        ...

    async def client_activity(self, client: str, since: datetime) -> int:
        """How many holds the client placed at or after `since`."""
        ...

    async def note_client_activity(
        self, client: str, at: datetime, forget_before: datetime
    ) -> None:
        """Count one hold of the client at `at`; forget every client's older than
        `forget_before`."""
        ...

    async def use_challenge(self, signature: str, expires_at: datetime, now: datetime) -> bool:
        """Mark a challenge answered; False if it was answered before (a replay). Forgets
        challenges that expired before `now`."""
        ...


class Transaction(Reader, DeliveryWriter, DeskWriter, CalendarWriter, BotWriter, Protocol):
    """One transaction: its reads see the state it will write on."""

    async def insert_appointment(self, row: AppointmentRow) -> None: ...

    async def update_appointment(
        self,
        id: str,
        *,
        updated_at: datetime,
        status: AppointmentStatus | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        trailing_buffer: int | None = None,
        sequence: int | None = None,
        agent: str | None = None,
        office: str | None = None,
        video_url: str | None = None,
    ) -> bool:
        """Change the given fields (None: keep). False when there is no such appointment."""
        ...

    async def insert_hold(self, row: HoldRow) -> None: ...

    async def use_hold(self, id: str, appointment_id: str) -> bool:
        """Mark a hold used by an appointment; False if it is unknown or used already."""
        ...

    async def release_hold(self, id: str) -> bool:
        """Delete a hold no booking used, so that its time is free at once; False if it
        is unknown, gone already or used (a used hold stays: its appointment is booked)."""
        ...

    async def delete_expired_holds(self, now: datetime) -> int:
        """Delete holds that expired (used or not) before `now`; returns how many."""
        ...

    async def save_idempotency_key(
        self, key: str, request_hash: str, appointment_id: str, now: datetime
    ) -> None:
        """Raises Conflict if the key is stored already."""
        ...

    async def delete_idempotency_keys(self, before: datetime) -> int:
        """Forget keys saved before `before`; returns how many."""
        ...

    async def use_invite(self, invite_id: str, appointment_id: str, now: datetime) -> None:
        """Raises Conflict if the invite was used already."""
        ...


class Store(Reader, Protocol):
    """The database of one server process."""

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        """A transaction: committed when the block ends, rolled back when it raises."""
        ...

    async def ping(self) -> None:
        """A trivial read, for health checks: raises if the database cannot be read."""
        ...

    async def data_version(self) -> int | None:
        """A number that changes whenever anything is committed to the database, by any
        process, after which the same reads may find other rows; `None` when the backend
        cannot say so cheaply (then nothing read may be reused:
        `booking.occupancy.BusyReads`)."""
        ...

    async def close(self) -> None: ...
