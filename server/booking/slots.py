"""The slot search: the free start times for one query (SPEC 4 and 5).

Resolve the query's ids against the snapshot → apply an invite → clamp the window to
what any rule can offer → load the busy time of exactly the agents who can serve the
query (one read) → ask the engine. The routes only decode and render.

Decisions:

- `office` is required for OFFICE and ON_LOCATION: for ON_LOCATION it picks the pool
  of agents who travel from that office.
- `tz` defaults to the office's zone, else the organisation's.
- `invite=TOKEN` fixes the agent and whatever else the invite names; a query that
  contradicts it is VALIDATION_FAILED. With an invite, `subject` and `meeting_type`
  may be left out when the invite names them, and a subject hidden from customers
  (`available_for_customers = false`) is offered: invites are how those are booked.
  Whether a single-use invite was used already is not checked here (a read would
  need the write connection); the booking refuses it with INVITE_USED.
- Dates outside what any planning rule can offer (before yesterday, beyond
  today + 732 days) give no slots without asking the engine.
- An answer is reused while the organisation version, the query, the minute and the
  busy rows (appointments, holds, time off; read again only after a commit,
  `busy_reads`), and the revisions of the
  agents' stored calendars (SPEC 12), are all equal (`Snapshot.slot_memo`): a booking
  in any process changes the busy rows, and a calendar refresh that finds new busy
  time changes its revision, so either shows at once. The memo keeps the engine's minutes and
  the rendered JSON body (`Found.body`), so a reused answer costs no rendering.
- One start is one offer: each slot carries its `duration` (the engine offers the
  shortest when offices' rules differ); holds and bookings that send it back get
  exactly that.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import availability
from availability import model
from server import schemas, vocabulary
from server.booking import busy_reads, invites, presenters
from server.booking.manage import movable
from server.booking.occupancy import calendar_key, load_calendars
from server.errors import Detail, NotFound, ValidationFailed
from server.runtime import Runtime
from server.snapshot import Kind, SlotAnswer, Snapshot

MAX_DAYS: Final = 62
#: Planning rules allow `latest` up to 730 days; nothing is offered beyond this.
HORIZON: Final = timedelta(days=732)
_MEMO_SIZE: Final = 256


@dataclass(frozen=True, slots=True)
class Found:
    """The answer to a slots query: the engine's minutes, and the zone to show them in."""

    timezone: str
    zone: ZoneInfo
    answer: SlotAnswer

    @property
    def minutes(self) -> model.SlotMinutes:
        return self.answer.minutes

    @property
    def body(self) -> bytes:
        """The JSON answer (`schemas.SlotsResponse`), rendered once per memo entry."""
        answer = self.answer
        if answer.body is None:
            answer.body = presenters.slots_body(self.timezone, self.zone, answer.minutes)
        return answer.body


async def search(runtime: Runtime, query: schemas.SlotsQuery) -> Found:
    """GET /api/v1/slots."""
    snapshot = runtime.snapshot
    now = runtime.now()
    wanted = invites.Wanted(
        subject=resolve(snapshot, "subject", query.subject),
        meeting_type=query.meeting_type,
        office=resolve(snapshot, "office", query.office),
        agent=resolve(snapshot, "agent", query.agent),
    )
    if query.invite is not None:
        wanted, _ = await invites.scope(
            snapshot, runtime.tokens, runtime.store, query.invite, wanted, now
        )
    subject, meeting_type, office = wanted.subject, wanted.meeting_type, wanted.office
    if subject is None:
        raise ValidationFailed.at("$.query.subject", "The query parameter subject is required.")
    if meeting_type is None:
        raise ValidationFailed.at(
            "$.query.meeting_type", "The query parameter meeting_type is required."
        )
    if office is None and meeting_type in vocabulary.NEEDS_OFFICE:
        raise ValidationFailed.at(
            "$.query.office", f"An office is required for meeting type {meeting_type}."
        )
    check_days(query.first_day, query.last_day)
    tz_name = query.tz or (snapshot.offices[office].timezone if office else snapshot.timezone)
    zone = zone_named(tz_name)
    slot_query = model.SlotQuery(
        subject=subject,
        meeting_type=meeting_type,
        office=office,
        agent=wanted.agent,
        first_day=query.first_day,
        last_day=query.last_day,
        timezone=tz_name,
    )
    opened = subject if query.invite is not None else None
    answer = await find(runtime, snapshot, slot_query, now, opened=opened)
    return Found(tz_name, zone, answer)


async def search_for_move(
    runtime: Runtime, token: str, query: schemas.AppointmentSlotsQuery
) -> Found:
    """GET /api/v1/appointments/{token}/slots: the free times to move this appointment to.

    The same target as a reschedule (subject, meeting type, the office for OFFICE and
    ON_LOCATION, the invite's agent and hidden subject), the appointment itself left out
    of the busy time, and its own start left out of the answer (not a move). `tz`
    defaults to the appointment's zone. The token is checked before the query: a
    stranger learns nothing about the query's shape.
    """
    row, target = await movable(runtime, token)
    check_days(query.first_day, query.last_day)
    tz_name = query.tz or row.timezone
    zone = zone_named(tz_name)
    answer = await find(
        runtime,
        runtime.snapshot,
        model.SlotQuery(
            subject=target.subject,
            meeting_type=target.meeting_type,
            office=target.office,
            agent=target.agent,
            first_day=query.first_day,
            last_day=query.last_day,
            timezone=tz_name,
        ),
        runtime.now(),
        opened=row.subject if row.invite_id is not None else None,
        exclude_appointment=(row.agent, row.start, row.end),
    )
    return Found(tz_name, zone, answer)


def resolve(snapshot: Snapshot, kind: Kind, value: str | None) -> str | None:
    """The id named by the `kind` query parameter; NOT_FOUND at `$.query.<kind>`."""
    if value is None:
        return None
    found = snapshot.resolve(kind, value)
    if found is None:
        message = f'There is no {kind} "{value}".'
        raise NotFound(message, [Detail(f"$.query.{kind}", message)])
    return found


def check_days(first_day: date, last_day: date) -> None:
    """`from` and `to` of a slots query: in order, at most `MAX_DAYS` days."""
    if last_day < first_day:
        raise ValidationFailed.at("$.query.to", "to must not be before from.")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise ValidationFailed.at("$.query.to", f"At most {MAX_DAYS} days can be asked at once.")


def zone_named(tz_name: str) -> ZoneInfo:
    """The zone of a slots query's `tz`; VALIDATION_FAILED at `$.query.tz` if unknown."""
    zone = vocabulary.time_zone(tz_name)
    if zone is None:
        raise ValidationFailed.at("$.query.tz", f"Unknown time zone {tz_name!r}.")
    return zone


async def find(
    runtime: Runtime,
    snapshot: Snapshot,
    query: model.SlotQuery,
    now: datetime,
    *,
    opened: str | None,
    exclude_appointment: tuple[str, datetime, datetime] | None = None,
) -> SlotAnswer:
    """The engine's slots for `query`; `opened` is the subject an invite opens,
    `exclude_appointment` (agent, start, end) leaves one appointment out of the busy
    time and its start out of the answer (as its reschedule does: not a move)."""
    today = now.date()
    first_day = max(query.first_day, today - timedelta(days=1))
    last_day = min(query.last_day, today + HORIZON)
    if first_day > last_day:
        return SlotAnswer(_NOTHING)
    pool = snapshot.pool(query.subject, query.meeting_type, query.office)
    if query.agent is not None:
        pool = (query.agent,) if query.agent in pool else ()
    if not pool:
        return SlotAnswer(_NOTHING)
    zone = vocabulary.time_zone(query.timezone)
    window_start = datetime.combine(first_day, time(), zone).astimezone(UTC)
    window_end = datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC)
    busy_read = await busy_reads.busy_read(
        snapshot.busy_reads, runtime.store, pool, window_start, window_end, now
    )
    calendars = await load_calendars(
        runtime.store, pool, window_start, window_end, now, snapshot.calendar_policy
    )
    query = dataclasses.replace(query, first_day=first_day, last_day=last_day)
    # `find_slot_minutes` is a pure function of what goes into this key: `now` only
    # counts to the minute (slots start on whole minutes), and the busy time read from
    # the store is part of it (plain values, hashed once per read: `busy_reads`), so a
    # booking in any process changes the key. Agents' own calendars (SPEC 12) count by
    # their stored revisions, not their intervals (`occupancy.calendar_key`).
    minute = now.replace(second=0, microsecond=0)
    key = (
        opened,
        query,
        minute,
        now == minute,
        exclude_appointment,
        busy_read.key,
        calendar_key(calendars),
    )
    memo = snapshot.slot_memo
    found = memo.get(key)
    if found is None:
        busy = busy_read.busy(calendars, exclude_appointment=exclude_appointment)
        minutes = availability.find_slot_minutes(snapshot.engine_for(opened), busy, query, now)
        if exclude_appointment is not None:
            minutes = _without(minutes, vocabulary.to_unix(exclude_appointment[1]) // 60)
        found = memo[key] = SlotAnswer(minutes)
        if len(memo) > _MEMO_SIZE:
            memo.popitem(last=False)
    else:
        memo.move_to_end(key)
    return found


_NOTHING: Final = model.SlotMinutes((), ())


def _without(found: model.SlotMinutes, start: int) -> model.SlotMinutes:
    """`found` without the slot that starts at epoch minute `start`."""
    if start not in found.starts:
        return found
    index = list(found.starts).index(start)
    return model.SlotMinutes(
        [*found.starts[:index], *found.starts[index + 1 :]],
        [*found.durations[:index], *found.durations[index + 1 :]],
    )
