"""Stored appointments as the API shows them: the appointment object, its links, and its
calendar event (SPEC 5 and 6).

Names are read from the organisation snapshot in the appointment's language, at the
time of asking; an id that the file no longer has is shown as itself. Nothing here
runs inside a write transaction: the services hand back rows, the routes present them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from availability import model, to_slots
from server import config
from server.booking.claims import manage_token
from server.booking.timestamps import LocalTimes
from server.calendar.ics import (
    CalendarEvent,
    event_status,
    event_uid,
    google_link,
    outlook_link,
    render_ics,
)
from server.schemas import (
    Address,
    AgentRef,
    AppointmentOut,
    AppointmentResponse,
    Customer,
    Links,
    NamedRef,
    OfficeRef,
)
from server.snapshot import Snapshot
from server.store import AppointmentRow
from server.tokens import Tokens

_ENCODER = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    return _ENCODER.encode(value)


class _Slot(msgspec.Struct):
    """`schemas.SlotOut` with aware datetimes (the rendering for zones that `LocalTimes`
    cannot write: offsets that are not whole minutes)."""

    start: datetime
    end: datetime
    duration: int


def slots_body(timezone: str, zone: ZoneInfo, found: model.SlotMinutes) -> bytes:
    """The body of `schemas.SlotsResponse`: each time with the offset of `zone`, written
    straight from the engine's minutes (`timestamps.LocalTimes`), byte for byte what
    msgspec writes for the same aware datetimes (a zero offset spelled "+00:00")."""
    head = b'{"timezone":' + _ENCODER.encode(timezone) + b',"slots":['
    starts, durations = found.starts, found.durations
    if not starts:
        return head + b"]}"
    times = LocalTimes(zone, starts[0], starts[-1] + max(durations))
    if not times.exact:
        return head + _datetime_slots(zone, found)[1:] + b"}"
    iso = times.iso
    rendered = ",".join(
        [
            f'{{"start":"{iso(start)}","end":"{iso(start + duration)}","duration":{duration}}}'
            for start, duration in zip(starts, durations, strict=True)
        ]
    )
    return head + rendered.encode() + b"]}"


def _datetime_slots(zone: ZoneInfo, found: model.SlotMinutes) -> bytes:
    rendered = _ENCODER.encode(
        [
            _Slot(slot.start.astimezone(zone), slot.end.astimezone(zone), slot.duration)
            for slot in to_slots(found)
        ]
    )
    return rendered.replace(b'Z"', b'+00:00"')


def local_iso(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()


def appointment_out(snapshot: Snapshot, row: AppointmentRow) -> AppointmentOut:
    names = _Names(snapshot, row.language)
    office = names.office(row.office)
    agent = names.agent(row.agent)
    return AppointmentOut(
        id=row.id,
        status=row.status,
        start=local_iso(row.start, row.timezone),
        end=local_iso(row.end, row.timezone),
        timezone=row.timezone,
        sequence=row.sequence,
        subject=NamedRef(id=row.subject, name=names.subject(row.subject)),
        meeting_type=row.meeting_type,
        office=None
        if row.office is None
        else OfficeRef(
            id=row.office,
            name=names.text(office.name) if office else row.office,
            address=_address(office.address)
            if office
            else Address(street="", postal_code="", city="", country=""),
        ),
        agent=AgentRef(
            id=row.agent,
            name=agent.name if agent else row.agent,
            function=names.text(agent.function) if agent and agent.function else None,
        ),
        customer=msgspec.convert(row.customer, Customer),
        location=None if row.location is None else msgspec.convert(row.location, Address),
        answers=dict(row.answers),
        video_url=row.video_url,
    )


def appointment_response(
    snapshot: Snapshot, tokens: Tokens, row: AppointmentRow
) -> AppointmentResponse:
    public_url = snapshot.public_url
    token = manage_token(snapshot, tokens, row)
    event = calendar_event(snapshot, row, f"{public_url}/book?manage={token}")
    return AppointmentResponse(
        appointment=appointment_out(snapshot, row),
        links=Links(
            manage=f"{public_url}/book?manage={token}",
            ics=f"{public_url}/api/v1/appointments/{token}/calendar.ics",
            google=google_link(event),
            outlook=outlook_link(event),
        ),
    )


def calendar_event(snapshot: Snapshot, row: AppointmentRow, manage_url: str) -> CalendarEvent:
    """The appointment as an add-to-calendar event; DTSTAMP is its last change."""
    names = _Names(snapshot, row.language)
    office = names.office(row.office)
    agent = names.agent(row.agent)
    customer = row.customer
    local = row.start.astimezone(ZoneInfo(row.timezone))
    text = snapshot.calendar_templates.render(
        row.language,
        row.meeting_type,
        {
            "customer_name": f"{customer.get('first_name', '')} {customer.get('last_name', '')}",
            "customer_address": _format_address(row.location),
            "agent_name": agent.name if agent else row.agent,
            "subject": names.subject(row.subject),
            "office_name": names.text(office.name) if office else row.office,
            "office_address": _format_address(msgspec.to_builtins(office.address))
            if office
            else None,
            "start_local": local.strftime("%Y-%m-%d %H:%M"),
            "timezone": row.timezone,
            "video_url": row.video_url,
            "manage_url": manage_url,
            "phone": customer.get("phone"),
        },
    )
    return CalendarEvent(
        uid=event_uid(row.id, snapshot.public_url),
        sequence=row.sequence,
        dtstamp=row.updated_at,
        start=row.start,
        end=row.end,
        title=text.title,
        description=text.description,
        location=text.location,
        url=manage_url,
        status=event_status(row.status),
    )


def calendar_file(snapshot: Snapshot, tokens: Tokens, row: AppointmentRow) -> bytes:
    token = manage_token(snapshot, tokens, row)
    return render_ics(calendar_event(snapshot, row, f"{snapshot.public_url}/book?manage={token}"))


def _address(address: config.Address) -> Address:
    return Address(
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        country=address.country,
    )


def _format_address(address: Mapping[str, Any] | None) -> str | None:
    if not address:
        return None
    town = " ".join(str(address.get(key) or "") for key in ("postal_code", "city")).strip()
    parts = [str(address.get("street") or ""), town, str(address.get("country") or "")]
    return ", ".join(part for part in parts if part)


class _Names:
    """Reads the organisation's items by id, and their text in one language."""

    def __init__(self, snapshot: Snapshot, lang: str) -> None:
        self._snapshot = snapshot
        self._lang = lang

    def text(self, value: config.Text | config.LongText) -> str:
        return self._snapshot.text(value, self._lang)

    def subject(self, id: str) -> str:
        found = self._snapshot.subjects.get(id)
        return id if found is None else self.text(found.name)

    def office(self, id: str | None) -> config.Office | None:
        return None if id is None else self._snapshot.offices.get(id)

    def agent(self, id: str) -> config.Agent | None:
        return self._snapshot.agents.get(id)


__all__ = [
    "appointment_out",
    "appointment_response",
    "calendar_event",
    "calendar_file",
    "encode",
    "local_iso",
    "slots_body",
]
