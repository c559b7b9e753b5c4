"""`rendezvous mail preview KIND [--language L]`: one e-mail rendered on sample values,
written where a person can open it (SPEC 8).

The sample is an appointment of the organisation itself (its first bookable subject,
meeting type, office and agent, tomorrow at 10:00 in the office's zone) for a sample
customer; rescheduled and reassigned kinds get a previous time and agent, declined and
cancelled ones a reason. The desk's sign-in e-mail (`agent_sign_in`) goes to the first
agent with an address, with a link that signs nobody in (a throwaway key); the broken
calendar e-mail (`agent_calendar_broken`, SPEC 12) is about a sample calendar of the
organisation (`server.calendars.notices.sample`). Two files are
written, by default under `mail-preview/` beside the database (`var/mail-preview/` for
the demo):

- `<kind>.<lang>.eml`: the whole message, as it would be sent (open it in a mail
  client: Thunderbird, Apple Mail and Outlook open .eml files, invitation included);
- `<kind>.<lang>.html`: its HTML part alone, to open in a browser.

Without `[organisation.notifications]` the sender is a placeholder, so templates can be
previewed before e-mail is switched on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from server import config
from server.calendars import notices
from server.deliveries.email import SMTP_POLICY, Outgoing, build, build_sign_in
from server.deliveries.kinds import CALENDAR_EMAIL_KINDS, KINDS, NOTICE_KINDS, EmailKind
from server.deliveries.outbox import Change, SignInNotice
from server.snapshot import Snapshot
from server.store import AppointmentRow, DeliveryRow
from server.tokens import Tokens

SAMPLE_CUSTOMER = {
    "first_name": "Ann",
    "last_name": "Example",
    "email": "ann@example.com",
    "phone": "+32 470 12 34 56",
}


@dataclass(frozen=True, slots=True)
class Preview:
    eml: Path
    html: Path
    subject: str


def sample_change(snapshot: Snapshot, kind: EmailKind, lang: str, now: datetime) -> Change:
    """A plausible appointment of this organisation, as `kind` would find it."""
    if snapshot.combinations:
        subject, meeting_type, office_id = snapshot.combinations[0]
    else:
        subject, meeting_type, office_id = next(iter(snapshot.subjects), "-"), "OFFICE", ""
    office = snapshot.offices.get(office_id)
    agents = list(snapshot.pool(subject, meeting_type, office_id)) or list(snapshot.agents)
    agent = agents[0] if agents else "agent"
    zone = ZoneInfo(office.timezone if office else snapshot.timezone)
    day = (now.astimezone(zone) + timedelta(days=1)).date()
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone)
    row = AppointmentRow(
        id="preview",
        status="requested"
        if kind in ("customer_request_received", "agent_request")
        else "confirmed",
        sequence=1,
        subject=subject,
        meeting_type=meeting_type,  # type: ignore[arg-type]
        office=office.id if office else None,
        agent=agent,
        start=start,
        end=start + timedelta(minutes=45),
        trailing_buffer=0,
        timezone=zone.key,
        language=lang,
        customer={**SAMPLE_CUSTOMER, "language": lang},
        location={
            "street": "Rue Exemple 1",
            "postal_code": "1000",
            "city": "Brussels",
            "country": "BE",
        }
        if meeting_type == "ON_LOCATION"
        else None,
        answers={},
        metadata={},
        video_url="https://meet.example/r/preview" if meeting_type == "VIDEO" else None,
        invite_id=None,
        created_at=now,
        updated_at=now,
    )
    change = Change(event="created", at=now, appointment=row, previous_status="confirmed")
    if kind.endswith(("_cancelled", "_declined")):
        status = "cancelled" if kind.endswith("_cancelled") else "declined"
        change.appointment = _replace(row, status=status)
        change.previous_status = "requested" if status == "declined" else "confirmed"
        change.reason = "A sample reason, as an agent would type it."
    if kind.endswith(("_rescheduled",)):
        change.previous_start = start - timedelta(days=1)
        change.previous_end = change.previous_start + timedelta(minutes=45)
    if kind.endswith(("_reassigned", "_reassigned_to", "_reassigned_away")):
        change.previous_agent = agents[1] if len(agents) > 1 else "previous-agent"
        if kind == "agent_reassigned_away":
            change.previous_agent, change.appointment = (
                agent,
                _replace(row, agent=change.previous_agent),
            )
    if kind.endswith("_reminder"):
        change.minutes = 1440
    return change


def _replace(row: AppointmentRow, **changes: object) -> AppointmentRow:
    return dataclasses.replace(row, **changes)  # type: ignore[arg-type]


def render(
    snapshot: Snapshot, tokens: Tokens, kind: EmailKind, lang: str, directory: Path, now: datetime
) -> Preview:
    placeholder = config.Notifications(from_=f"{snapshot.name} <no-reply@example.com>")
    notifications = snapshot.settings.notifications or placeholder
    if kind in NOTICE_KINDS:
        return _write(_sign_in(snapshot, tokens, notifications, lang, now), kind, lang, directory)
    if kind in CALENDAR_EMAIL_KINDS:  # SPEC 12: about a calendar, not an appointment
        row, notice = notices.sample(snapshot, lang, now)
        outgoing = notices.message(
            snapshot, row, notice, notifications=notifications, language=lang
        )
        return _write(outgoing, kind, lang, directory)
    change = sample_change(snapshot, kind, lang, now)
    role = KINDS[kind].role
    agent_id = (
        change.previous_agent if kind == "agent_reassigned_away" else change.appointment.agent
    )
    agent = snapshot.agents.get(agent_id or "")
    recipient = (
        SAMPLE_CUSTOMER["email"]
        if role == "customer"
        else (agent.email if agent and agent.email else "agent@example.com")
    )
    row = DeliveryRow(
        id=f"preview-{kind}",
        channel="email",
        kind=kind,
        recipient_role=role,
        recipient=recipient,
        appointment_id=change.appointment.id,
        payload={},
        due_at=now,
        expires_at=now,
        created_at=now,
    )
    outgoing = build(snapshot, tokens, row, change, notifications=notifications, language=lang)
    return _write(outgoing, kind, lang, directory)


def _sign_in(
    snapshot: Snapshot,
    tokens: Tokens,
    notifications: config.Notifications,
    lang: str,
    now: datetime,
) -> Outgoing:
    """The desk's sign-in e-mail to the organisation's first agent with an address."""
    agent = next((a for a in snapshot.agents.values() if a.email), None)
    notice = SignInNotice(
        at=now,
        agent=agent.id if agent else "agent",
        link="preview",
        expires_at=now + timedelta(minutes=15),
    )
    row = DeliveryRow(
        id="preview-agent_sign_in",
        channel="email",
        kind="agent_sign_in",
        recipient_role="agent",
        recipient=agent.email if agent and agent.email else "agent@example.com",
        appointment_id=None,
        payload={},
        due_at=now,
        expires_at=now,
        created_at=now,
    )
    return build_sign_in(snapshot, tokens, row, notice, notifications=notifications, language=lang)


def _write(outgoing: Outgoing, kind: EmailKind, lang: str, directory: Path) -> Preview:
    directory.mkdir(parents=True, exist_ok=True)
    eml = directory / f"{kind}.{lang}.eml"
    html = directory / f"{kind}.{lang}.html"
    eml.write_bytes(outgoing.message.as_bytes(policy=SMTP_POLICY))
    html_part = outgoing.message.get_body(preferencelist=("html",))
    assert html_part is not None
    html.write_text(html_part.get_content(), encoding="utf-8")
    return Preview(eml=eml, html=html, subject=str(outgoing.message["Subject"]))


__all__ = ["Preview", "render", "sample_change"]
