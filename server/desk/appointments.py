"""My appointments (SPEC 11): the upcoming ones, requests first, and one appointment, as
the desk shows them.

An agent sees their own appointments; a manager also every appointment of the offices
they manage. Anything else is "not found" (404), never "forbidden": a URL with another
agent's appointment id confirms nothing.

Times are shown in the zone of the appointment's office (where the agent works; else
the organisation's), with the zone named; the day filter reads days in the agent's own
zone (their first office's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from server import config
from server.desk.problems import not_found
from server.desk.sessions import Viewer
from server.desk.words import Words
from server.runtime import Runtime
from server.snapshot import Snapshot
from server.store import AppointmentRow, Reader

#: How far ahead the list looks.
HORIZON: Final = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class Shown:
    """One appointment in the words and zone of the page."""

    row: AppointmentRow
    start: datetime  # local, in `zone`
    end: datetime
    zone: str
    subject: str
    how: str
    where: list[str]  # lines: office and address, or the customer's address
    customer: str
    email: str
    phone: str | None
    answers: list[tuple[str, str]]
    agent: str
    own: bool

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def status(self) -> str:
        return self.row.status


def home_zone(snapshot: Snapshot, agent: config.Agent) -> ZoneInfo:
    """The agent's own zone: their first office's, else the organisation's."""
    for office_id in agent.offices:
        office = snapshot.offices.get(office_id)
        if office is not None:
            return ZoneInfo(office.timezone)
    return ZoneInfo(snapshot.timezone)


def zone_of(snapshot: Snapshot, office_id: str | None) -> ZoneInfo:
    office = None if office_id is None else snapshot.offices.get(office_id)
    return ZoneInfo(office.timezone if office else snapshot.timezone)


async def upcoming(runtime: Runtime, viewer: Viewer, day: date | None) -> list[AppointmentRow]:
    """Confirmed and requested appointments that have not ended (only those on `day`,
    in the agent's zone, when given): requests first, then by start."""
    now = runtime.now()
    start, end = now, now + HORIZON
    if day is not None:
        zone = home_zone(runtime.snapshot, viewer.agent)
        start = max(now, datetime.combine(day, time(), zone).astimezone(UTC))
        end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    rows = await runtime.store.desk_appointments(
        [viewer.id], sorted(viewer.managed), start, end, ("requested", "confirmed")
    )
    return sorted(rows, key=lambda row: (row.status != "requested", row.start, row.id))


async def visible(reader: Reader, viewer: Viewer, id: str) -> AppointmentRow:
    """The appointment, if the viewer may see it; else 404."""
    if not id or len(id) > 64:
        raise not_found()
    row = await reader.appointment(id)
    if row is None or not viewer.sees(row.agent, row.office):
        raise not_found()
    return row


def show(snapshot: Snapshot, words: Words, viewer: Viewer, row: AppointmentRow) -> Shown:
    zone = zone_of(snapshot, row.office)
    lang = words.lang
    subject = snapshot.subjects.get(row.subject)
    office = None if row.office is None else snapshot.offices.get(row.office)
    agent = snapshot.agents.get(row.agent)
    customer = row.customer
    where: list[str] = []
    if row.meeting_type == "ON_LOCATION" and row.location:
        where = [address_line(row.location)]
    elif row.meeting_type == "OFFICE" and office is not None:
        where = [snapshot.text(office.name, lang), address_line(office.address)]
    return Shown(
        row=row,
        start=row.start.astimezone(zone),
        end=row.end.astimezone(zone),
        zone=zone.key,
        subject=snapshot.text(subject.name, lang) if subject else row.subject,
        how=words.meeting_type(row.meeting_type),
        where=where,
        customer=f"{customer.get('first_name') or ''} {customer.get('last_name') or ''}".strip(),
        email=str(customer.get("email") or ""),
        phone=str(customer["phone"]) if customer.get("phone") else None,
        answers=answers(snapshot, row, lang),
        agent=agent.name if agent else row.agent,
        own=row.agent == viewer.id,
    )


def answers(snapshot: Snapshot, row: AppointmentRow, lang: str) -> list[tuple[str, str]]:
    """(question, answer) pairs, options by their labels."""
    subject = snapshot.subjects.get(row.subject)
    questions = {q.id: q for q in subject.questions} if subject else {}
    found = []
    for question_id, value in row.answers.items():
        question = questions.get(question_id)
        label = snapshot.text(question.label, lang) if question else question_id
        options = (
            {o.id: snapshot.text(o.label, lang) for o in (question.options or ())}
            if question
            else {}
        )
        values = value if isinstance(value, list) else [value]
        found.append((label, ", ".join(options.get(str(v), str(v)) for v in values)))
    return found


def address_line(address: config.Address | Mapping[str, Any]) -> str:
    fields = (
        address
        if isinstance(address, Mapping)
        else {
            "street": address.street,
            "postal_code": address.postal_code,
            "city": address.city,
            "country": address.country,
        }
    )
    town = " ".join(str(fields.get(k) or "") for k in ("postal_code", "city")).strip()
    parts = [str(fields.get("street") or ""), town, str(fields.get("country") or "")]
    return ", ".join(part for part in parts if part)


__all__ = [
    "HORIZON",
    "Shown",
    "address_line",
    "home_zone",
    "show",
    "upcoming",
    "visible",
    "zone_of",
]
