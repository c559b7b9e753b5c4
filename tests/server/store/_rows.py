"""Rows the store tests write: an appointment and a hold of alice's, at 09:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.store import AppointmentRow, HoldRow, new_id

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def appointment(
    start: datetime = NINE,
    minutes: int = 30,
    *,
    agent: str = "alice",
    status: str = "confirmed",
    trailing_buffer: int = 0,
    id: str | None = None,
) -> AppointmentRow:
    return AppointmentRow(
        id=id or new_id(),
        status=status,  # type: ignore[arg-type]
        sequence=0,
        subject="mortgage",
        meeting_type="OFFICE",
        office="brussels",
        agent=agent,
        start=start,
        end=start + timedelta(minutes=minutes),
        trailing_buffer=trailing_buffer,
        timezone="Europe/Brussels",
        language="nl",
        customer={"first_name": "Éva", "last_name": "<b>Janssens</b>", "email": "e@x.be"},
        location=None,
        answers={"amount": 250000},
        metadata={"campaign": "spring"},
        video_url=None,
        invite_id=None,
        created_at=NOW,
        updated_at=NOW,
    )


def hold(
    start: datetime = NINE, minutes: int = 30, *, expires_at: datetime = NOW + timedelta(minutes=10)
) -> HoldRow:
    return HoldRow(
        id=new_id(),
        agent="alice",
        subject="mortgage",
        meeting_type="OFFICE",
        office="brussels",
        start=start,
        end=start + timedelta(minutes=minutes),
        trailing_buffer=0,
        expires_at=expires_at,
    )
