"""Stored appointments as the API shows them: the appointment object, its links, and its
calendar event (SPEC 5 and 6).

Names are read from the organisation file in the appointment's language, at the time of
asking; an id that the file no longer has is shown as itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from server import config
from server.calendar.ics import (
    CalendarEvent,
    event_status,
    event_uid,
    google_link,
    outlook_link,
    render_ics,
)
from server.calendar.text import CalendarTemplates
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
from server.store import AppointmentRow
from server.tokens import Tokens

_ENCODER = msgspec.json.Encoder()
#: Compiled calendar templates per organisation version (a handful at most).
_TEMPLATES: dict[str, CalendarTemplates] = {}


def encode(value: Any) -> bytes:
    return _ENCODER.encode(value)


def local_iso(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()


def manage_until(org: config.LoadedOrganisation, row: AppointmentRow) -> datetime:
    """Until when the appointment's manage links work: `organisation.manage_days_after`
    days after it ends, read from the appointment as it is now (it may have moved)."""
    return row.end + timedelta(days=org.organisation.organisation.manage_days_after)


def manage_token(org: config.LoadedOrganisation, tokens: Tokens, row: AppointmentRow) -> str:
    """The token of the manage links. Its `exp` is `manage_until` at the time of issue,
    which keeps the links of an unchanged appointment the same; whether a token still
    works is decided by `booking.managed` from the appointment as it is now."""
    return tokens.dumps("manage", {"a": row.id}, manage_until(org, row))


def appointment_out(org: config.LoadedOrganisation, row: AppointmentRow) -> AppointmentOut:
    names = _Names(org, row.language)
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
        meeting_type=row.meeting_type,  # type: ignore[arg-type]  # written from the schema's Literal
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
    org: config.LoadedOrganisation, tokens: Tokens, row: AppointmentRow
) -> AppointmentResponse:
    public_url = org.organisation.organisation.public_url.rstrip("/")
    token = manage_token(org, tokens, row)
    event = calendar_event(org, row, f"{public_url}/book?manage={token}")
    return AppointmentResponse(
        appointment=appointment_out(org, row),
        links=Links(
            manage=f"{public_url}/book?manage={token}",
            ics=f"{public_url}/api/v1/appointments/{token}/calendar.ics",
            google=google_link(event),
            outlook=outlook_link(event),
        ),
    )


def calendar_event(
    org: config.LoadedOrganisation, row: AppointmentRow, manage_url: str
) -> CalendarEvent:
    """The appointment as an add-to-calendar event; DTSTAMP is its last change."""
    names = _Names(org, row.language)
    office = names.office(row.office)
    agent = names.agent(row.agent)
    customer = row.customer
    local = row.start.astimezone(ZoneInfo(row.timezone))
    text = templates(org).render(
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
        uid=event_uid(row.id, org.organisation.organisation.public_url),
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


def calendar_file(org: config.LoadedOrganisation, tokens: Tokens, row: AppointmentRow) -> bytes:
    public_url = org.organisation.organisation.public_url.rstrip("/")
    token = manage_token(org, tokens, row)
    return render_ics(calendar_event(org, row, f"{public_url}/book?manage={token}"))


def templates(org: config.LoadedOrganisation) -> CalendarTemplates:
    """The organisation's calendar templates, compiled once per version of its file."""
    found = _TEMPLATES.get(org.version)
    if found is None:
        overrides: dict[str, dict[str, dict[str, str | None]]] = {
            lang: {
                key: {
                    "title": template.title,
                    "description": template.description,
                    "location": template.location,
                }
                for key, template in by_type.items()
            }
            for lang, by_type in org.organisation.organisation.calendar_templates.items()
        }
        found = CalendarTemplates(overrides)
        if len(_TEMPLATES) >= 8:
            _TEMPLATES.clear()
        _TEMPLATES[org.version] = found
    return found


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
    """Looks up the organisation's items by id and reads their text in one language."""

    def __init__(self, org: config.LoadedOrganisation, lang: str) -> None:
        self._root = org.organisation
        self._lang = lang
        self._default = self._root.organisation.languages[0]

    def text(self, value: str | Mapping[str, str]) -> str:
        return config.text(value, self._lang, self._default)

    def subject(self, id: str) -> str:
        found = next((item for item in self._root.subjects if item.id == id), None)
        return id if found is None else self.text(found.name)

    def office(self, id: str | None) -> config.Office | None:
        return next((item for item in self._root.offices if item.id == id), None)

    def agent(self, id: str) -> config.Agent | None:
        return next((item for item in self._root.agents if item.id == id), None)


__all__ = [
    "appointment_out",
    "appointment_response",
    "calendar_event",
    "calendar_file",
    "encode",
    "local_iso",
    "manage_token",
    "manage_until",
    "templates",
]
