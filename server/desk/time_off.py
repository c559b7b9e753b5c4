"""Time off on the desk (SPEC 11; the seed's "Unavailable" days for agents whose
calendar is not linked): whole local days, or a time range on one day, that count as
the agent's busy time (reason TIME_OFF) in every slot search and booking at once.

An entry is entered in the agent's own zone (their first office's) and stored in UTC
with that zone. A whole day runs from local midnight to the next local midnight, however
long the day is (23 or 25 hours when the clocks change). An agent manages their own
time off; an office manager also that of the agents of their offices, and agents see
who set each entry. Anyone else's entry is "not found".

Decisions:

- Bad input writes nothing and says what is wrong: an end before the start, a range of
  more than `MAX_DAYS` days, a date (or, today, a time) in the past, a time that does
  not exist locally, and an entry that overlaps another of the same agent. Overlapping
  entries are refused, not merged: merging would change or remove an entry the agent
  (or their manager) did not touch, and their notes would have to be joined.
- Saving time off over appointments (confirmed or requested) asks first: the answer
  lists them, and only "Save anyway" (`confirm`) writes. Nothing is cancelled: the
  entry's page lists the appointments inside it with reschedule, reassign and cancel
  at hand. The check and the write are one transaction.
- Only entries that have not ended are listed, edited or removed; past time off stays
  as it was (it is history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from server import config
from server.desk.appointments import home_zone
from server.desk.forms import MAX_REASON, Form
from server.desk.problems import FormProblems, not_found
from server.desk.sessions import Viewer
from server.runtime import Runtime
from server.snapshot import Snapshot
from server.store import AppointmentRow, TimeOffRow, Transaction, new_id

#: The longest entry, in local days.
MAX_DAYS: Final = 366
#: Far enough back and ahead to read an agent's entries that have not ended.
AHEAD: Final = timedelta(days=800)


@dataclass(frozen=True, slots=True)
class Asked:
    """A checked entry, in UTC, for one agent."""

    agent: str
    start: datetime
    end: datetime
    zone: ZoneInfo
    whole_days: bool
    note: str | None


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry as the desk shows it: its local dates and times."""

    row: TimeOffRow
    zone: ZoneInfo
    first_day: date
    last_day: date
    start: datetime  # local
    end: datetime  # local
    agent: str  # name
    set_by: str  # name

    @property
    def id(self) -> str:
        return self.row.id


class NeedsConfirmation(Exception):
    """The entry covers appointments: nothing was written; ask before saving."""

    def __init__(self, appointments: list[AppointmentRow]) -> None:
        super().__init__("time off over appointments")
        self.appointments = appointments


def manageable(snapshot: Snapshot, viewer: Viewer) -> list[config.Agent]:
    """Whose time off the viewer manages: their own, and a manager's offices' agents."""
    found = {viewer.id: viewer.agent}
    for agent in snapshot.agents.values():
        if viewer.managed.intersection(agent.offices):
            found[agent.id] = agent
    return sorted(found.values(), key=lambda agent: (agent.id != viewer.id, agent.name))


def _whose(snapshot: Snapshot, viewer: Viewer, agent_id: str | None) -> config.Agent:
    for agent in manageable(snapshot, viewer):
        if agent.id == (agent_id or viewer.id):
            return agent
    raise not_found()


def show(snapshot: Snapshot, row: TimeOffRow) -> Entry:
    zone = ZoneInfo(row.timezone)
    start, end = row.start.astimezone(zone), row.end.astimezone(zone)
    agent = snapshot.agents.get(row.agent)
    by = snapshot.agents.get(row.created_by)
    return Entry(
        row=row,
        zone=zone,
        first_day=start.date(),
        last_day=(end - timedelta(microseconds=1)).date(),
        start=start,
        end=end,
        agent=agent.name if agent else row.agent,
        set_by=by.name if by else row.created_by,
    )


def read(snapshot: Snapshot, viewer: Viewer, form: Form, now: datetime) -> Asked:
    """The entry a form asks for, checked (every problem at once); nothing is read from
    the store here."""
    agent = _whose(snapshot, viewer, form.raw("agent") or None)
    zone = home_zone(snapshot, agent)
    today = now.astimezone(zone).date()
    kind = form.choice("kind", ["days", "hours"], required=True)
    note = form.text("note", limit=MAX_REASON)
    start = end = None
    if kind == "days":
        first = form.day("first_day", required=True)
        last = form.day("last_day") or first
        if first is not None and last is not None:
            if last < first:
                form.problem("last_day", "problems.end_before_start")
            elif (last - first).days + 1 > MAX_DAYS:
                form.problem("last_day", "problems.over_a_year", days=MAX_DAYS)
            elif first < today:
                form.problem("first_day", "problems.in_the_past")
            else:
                start = _instant(first, time(), zone)
                end = _instant(last + timedelta(days=1), time(), zone)
    elif kind == "hours":
        day = form.day("day", required=True)
        opening = _clock(form, "start_time")
        closing = _clock(form, "end_time")
        if day is not None and opening is not None and closing is not None:
            if closing <= opening:
                form.problem("end_time", "problems.end_before_start")
            elif not _exists(day, opening, zone) or not _exists(day, closing, zone):
                form.problem("start_time", "problems.no_such_time")
            elif day < today:
                form.problem("day", "problems.in_the_past")
            else:
                start, end = _instant(day, opening, zone), _instant(day, closing, zone)
                if end <= now:
                    form.problem("end_time", "problems.in_the_past")
    form.check()
    assert kind is not None and start is not None and end is not None
    return Asked(agent.id, start, end, zone, kind == "days", note)


def _clock(form: Form, name: str) -> time | None:
    value = form.raw(name).strip()
    if not value:
        form.problem(name, "problems.required")
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or len(value) not in (5, 8) or parsed.tzinfo is not None:
        form.problem(name, "problems.clock")
        return None
    return parsed.replace(second=0, microsecond=0)


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time in UTC; one in the spring gap is read with the offset before it
    (RFC 5545 3.3.5), as block edges are. Local midnight is such a time in a few zones."""
    return datetime.combine(day, clock, zone).astimezone(UTC)


def _exists(day: date, clock: time, zone: ZoneInfo) -> bool:
    local = datetime.combine(day, clock, zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


async def entries(
    runtime: Runtime, viewer: Viewer, agent_id: str | None
) -> tuple[config.Agent, list[Entry]]:
    """The agent's entries that have not ended (the viewer's, or one they manage)."""
    snapshot = runtime.snapshot
    agent = _whose(snapshot, viewer, agent_id)
    now = runtime.now()
    found = await runtime.store.time_off([agent.id], now, now + AHEAD)
    return agent, [show(snapshot, row) for row in found[agent.id]]


async def one(runtime: Runtime, viewer: Viewer, id: str) -> Entry:
    row = await runtime.store.time_off_entry(id) if id and len(id) <= 64 else None
    return show(runtime.snapshot, _visible(runtime.snapshot, viewer, row))


def _visible(snapshot: Snapshot, viewer: Viewer, row: TimeOffRow | None) -> TimeOffRow:
    if row is None or row.agent not in {a.id for a in manageable(snapshot, viewer)}:
        raise not_found()
    return row


async def inside(runtime: Runtime, entry: Entry) -> list[AppointmentRow]:
    """The agent's appointments (confirmed or requested) inside the entry."""
    row = entry.row
    return await runtime.store.desk_appointments(
        [row.agent], [], max(row.start, runtime.now()), row.end, ("confirmed", "requested")
    )


async def save(
    runtime: Runtime, viewer: Viewer, asked: Asked, *, id: str | None, confirmed: bool
) -> TimeOffRow:
    """Add an entry (`id` None) or change one, in one transaction: overlapping entries
    are refused; appointments inside need `confirmed` (else NeedsConfirmation)."""
    now = runtime.now()
    snapshot = runtime.snapshot
    async with runtime.store.write() as tx:
        before = None
        if id is not None:
            before = _visible(snapshot, viewer, await tx.time_off_entry(id))
            if before.end <= now or before.agent != asked.agent:
                raise not_found()
        await _check_overlap(tx, asked, id)
        covered = await tx.desk_appointments(
            [asked.agent], [], max(asked.start, now), asked.end, ("confirmed", "requested")
        )
        if covered and not confirmed:
            raise NeedsConfirmation(covered)
        row = TimeOffRow(
            id=new_id() if before is None else before.id,
            agent=asked.agent,
            start=asked.start,
            end=asked.end,
            timezone=asked.zone.key,
            whole_days=asked.whole_days,
            note=asked.note,
            created_by=viewer.id if before is None else before.created_by,
            created_at=now if before is None else before.created_at,
            updated_at=now,
        )
        if before is None:
            await tx.insert_time_off(row)
        else:
            await tx.update_time_off(row)
    return row


async def _check_overlap(tx: Transaction, asked: Asked, id: str | None) -> None:
    found = await tx.time_off([asked.agent], asked.start, asked.end)
    others = [row for row in found[asked.agent] if row.id != id]
    if others:
        field = "first_day" if asked.whole_days else "start_time"
        raise FormProblems({field: ("problems.time_off_overlap", {})})


async def remove(runtime: Runtime, viewer: Viewer, id: str) -> TimeOffRow:
    now = runtime.now()
    async with runtime.store.write() as tx:
        row = _visible(
            runtime.snapshot, viewer, await tx.time_off_entry(id) if id and len(id) <= 64 else None
        )
        if row.end <= now:
            raise not_found()
        await tx.delete_time_off(id)
    return row


__all__ = [
    "MAX_DAYS",
    "Asked",
    "Entry",
    "NeedsConfirmation",
    "entries",
    "inside",
    "manageable",
    "one",
    "read",
    "remove",
    "save",
    "show",
]
