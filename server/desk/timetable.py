"""Free times on the desk: a week of one agent's free starts (to reschedule an
appointment, to book one for a customer), and the co-workers free at a time (to
reassign one). Both ask the engine, as the widget's timetable and a booking do; the
action asks it again inside its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import availability
from availability import model
from server import config
from server.booking import slots
from server.booking.occupancy import load_busy
from server.booking.offer import BUSY_WINDOW
from server.runtime import Runtime
from server.snapshot import Snapshot
from server.store import AppointmentRow
from server.vocabulary import MeetingType, from_unix

DAYS: Final = 7


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    starts: list[datetime]  # local, in the timetable's zone


@dataclass(frozen=True, slots=True)
class Timetable:
    zone: ZoneInfo
    first_day: date
    days: list[Day]
    previous: date | None  # the week before, unless it lies wholly in the past
    next: date

    @property
    def empty(self) -> bool:
        return not any(day.starts for day in self.days)


async def week(
    runtime: Runtime,
    *,
    subject: str,
    meeting_type: MeetingType,
    office: str | None,
    agent: str,
    first_day: date | None,
    zone: ZoneInfo,
    exclude: AppointmentRow | None = None,
) -> Timetable:
    """`agent`'s free starts for the subject and meeting type (at `office`, or any of
    theirs for VIDEO and PHONE) on the week from `first_day` (today), in `zone`. A
    subject hidden from customers is open here: the desk books for the organisation.
    `exclude` is the appointment being moved (it does not block its own move)."""
    now = runtime.now()
    today = now.astimezone(zone).date()
    first = first_day if first_day is not None and first_day >= today else today
    query = model.SlotQuery(
        subject=subject,
        meeting_type=meeting_type,
        office=office,
        agent=agent,
        first_day=first,
        last_day=first + timedelta(days=DAYS - 1),
        timezone=zone.key,
    )
    found = await slots.find(
        runtime,
        runtime.snapshot,
        query,
        now,
        opened=subject,
        exclude_appointment=None
        if exclude is None
        else (exclude.agent, exclude.start, exclude.end),
    )
    by_day: dict[date, list[datetime]] = {first + timedelta(days=i): [] for i in range(DAYS)}
    # `find` leaves the appointment's own start out (not a move).
    for minute in found.minutes.starts:
        local = from_unix(minute * 60).astimezone(zone)
        by_day.setdefault(local.date(), []).append(local)
    return Timetable(
        zone=zone,
        first_day=first,
        days=[Day(day, starts) for day, starts in sorted(by_day.items())],
        previous=first - timedelta(days=DAYS) if first > today else None,
        next=first + timedelta(days=DAYS),
    )


async def coworkers(runtime: Runtime, row: AppointmentRow) -> list[config.Agent]:
    """Who could take the appointment at its time instead of its agent: the engine's
    candidates at its office (expertise, assignment there, active and planning online,
    hours, and free then), by name."""
    snapshot = runtime.snapshot
    now = runtime.now()
    able = [a for a in snapshot.pool(row.subject, row.meeting_type, row.office) if a != row.agent]
    if not able or row.subject not in snapshot.subjects:
        return []
    busy = await load_busy(
        runtime.store,
        able,
        row.start - BUSY_WINDOW,
        row.start + BUSY_WINDOW,
        now,
        calendars=snapshot.calendar_policy,
    )
    options = availability.candidates(
        snapshot.engine_for(row.subject),
        busy,
        row.subject,
        row.meeting_type,
        row.office,
        None,
        row.start,
        now,
    )
    ids = {option.agent for option in options if option.agent != row.agent}
    return sorted((snapshot.agents[a] for a in ids), key=lambda agent: (agent.name, agent.id))


def office_choices(snapshot: Snapshot, agent: str) -> list[tuple[str, str, str]]:
    """Every (subject, meeting type, office) `agent` can be booked for, hidden subjects
    included: `availability.serves` with the office's assignment (`Snapshot.servers`)."""
    return sorted(
        (subject, meeting_type, office)
        for (subject, meeting_type, office), able in snapshot.servers.items()
        if office is not None and agent in able
    )


__all__ = ["DAYS", "Day", "Timetable", "coworkers", "office_choices", "week"]
