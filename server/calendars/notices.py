"""Telling people that an agent's calendar broke or works again (SPEC 12), through the
outbox of SPEC 10.

`write` runs in the transaction that saves the calendar's new state
(`server.calendars.state` decides when: once per breakage) and writes small rows only:

- BROKEN: the e-mail `agent_calendar_broken` to the agent (when the organisation sends
  e-mail and the agent has an address), saying what failed and how to fix it, in the
  agent's language; and a `calendar.broken` webhook to each `[[webhooks]]` that wants it;
- RESTORED: a `calendar.restored` webhook (no e-mail: the agent fixed it, or it passed).

The worker sends them (`send`) with the retries of every delivery. A webhook's body is

    {"type": "calendar.broken", "timestamp": "...",
     "data": {"calendar": {"agent": {"id", "name"}, "kind", "host", "problem", "error",
                           "write_problem", "write_error", "since", "last_worked_at",
                           "used_until"}}}

signed like every webhook. No address of a feed (a secret) is ever in a notice: its
host is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
import msgspec
from markupsafe import Markup

from server import config
from server.calendars.links import Link
from server.calendars.state import Notice
from server.deliveries import webhooks
from server.deliveries.addresses import header_name, mailbox, parse_mailbox
from server.deliveries.email import SMTP_POLICY, Outgoing, _layout, _plain, message_id
from server.deliveries.kinds import CALENDAR_EMAIL_KINDS, CALENDAR_EVENTS, WebhookEvent
from server.deliveries.outbox import GIVE_UP_AFTER
from server.deliveries.retries import SendFailed
from server.snapshot import Snapshot
from server.store import CalendarRow, DeliveryRow, Transaction, new_id

KIND = "agent_calendar_broken"


def iso(moment: datetime) -> str:
    """UTC, ISO 8601 with a Z, as the webhooks' `timestamp`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_KIND_NAMES = {"ics": "ICS", "caldav": "CalDAV"}


class CalendarNotice(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A notice's payload: the calendar's state when it broke or recovered."""

    notice: Literal["broken", "restored"]
    at: datetime
    agent: str
    kind: str
    host: str
    problem: str | None = None
    error: str | None = None
    write_problem: str | None = None
    write_error: str | None = None
    since: datetime | None = None
    worked_at: datetime | None = None
    used_until: datetime | None = None


def is_notice(row: DeliveryRow) -> bool:
    return row.kind in CALENDAR_EMAIL_KINDS or row.kind in CALENDAR_EVENTS


async def write(
    tx: Transaction,
    snapshot: Snapshot,
    row: CalendarRow,
    notice: Notice,
    host: str,
    now: datetime,
) -> int:
    """Write the deliveries of one notice in `tx`; returns how many."""
    rows = list(plan(snapshot, row, notice, host, now))
    if rows:
        await tx.insert_deliveries(rows)
    return len(rows)


def plan(
    snapshot: Snapshot, row: CalendarRow, notice: Notice, host: str, now: datetime
) -> list[DeliveryRow]:
    """The deliveries of one notice (pure)."""
    max_stale = snapshot.calendar_policy.max_stale
    payload = CalendarNotice(
        notice=notice.value,
        at=now,
        agent=row.agent,
        kind=row.kind,
        host=host,
        problem=row.problem,
        error=row.error,
        write_problem=row.write_problem,
        write_error=row.write_error,
        since=row.failing_since,
        worked_at=row.worked_at,
        used_until=row.worked_at + max_stale
        if row.worked_at is not None and row.problem is not None and max_stale
        else None,
    )
    data = msgspec.to_builtins(payload)
    found = []
    agent = snapshot.agents.get(row.agent)
    if (
        notice is Notice.BROKEN
        and snapshot.settings.notifications is not None
        and agent is not None
        and agent.email
    ):
        found.append(_row(row.agent, "email", KIND, "agent", agent.email, data, now))
    event: WebhookEvent = f"calendar.{notice.value}"  # type: ignore[assignment]
    for webhook in snapshot.file.webhooks:
        if webhook.events is None or event in webhook.events:
            found.append(_row(row.agent, "webhook", event, "webhook", webhook.id, data, now))
    return found


def _row(
    agent: str,
    channel: Literal["email", "webhook"],
    kind: str,
    role: Literal["agent", "webhook"],
    recipient: str,
    payload: Mapping[str, object],
    now: datetime,
) -> DeliveryRow:
    return DeliveryRow(
        id=new_id(),
        channel=channel,
        kind=kind,
        recipient_role=role,
        recipient=recipient,
        appointment_id=None,
        payload=dict(payload),
        due_at=now,
        expires_at=now + GIVE_UP_AFTER,
        created_at=now,
    )


# -- sending (the delivery worker) --------------------------------------------------------


class NotSendable(SendFailed):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


async def send(
    snapshot: Snapshot,
    row: DeliveryRow,
    session: object,
    http: httpx.AsyncClient,
    environ: Mapping[str, str],
    now: datetime,
) -> None:
    """Send one notice; raises SendFailed."""
    try:
        notice = msgspec.convert(row.payload, CalendarNotice)
    except msgspec.ValidationError as exc:
        raise NotSendable(f"unreadable payload: {exc}") from None
    if row.channel == "webhook":
        await webhooks.post(http, snapshot, row, body(snapshot, row, notice), environ, now)
        return
    outgoing = message(snapshot, row, notice)
    await session.send(outgoing)  # type: ignore[attr-defined]


class _Agent(msgspec.Struct):
    id: str
    name: str


class _Calendar(msgspec.Struct):
    agent: _Agent
    kind: str
    host: str
    problem: str | None
    error: str | None
    write_problem: str | None
    write_error: str | None
    since: str | None
    last_worked_at: str | None
    used_until: str | None


class _Data(msgspec.Struct):
    calendar: _Calendar


class _Body(msgspec.Struct):
    type: str
    timestamp: str
    data: _Data


def body(snapshot: Snapshot, row: DeliveryRow, notice: CalendarNotice) -> bytes:
    agent = snapshot.agents.get(notice.agent)

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else iso(moment)

    return msgspec.json.encode(
        _Body(
            type=row.kind,
            timestamp=iso(notice.at),
            data=_Data(
                calendar=_Calendar(
                    agent=_Agent(notice.agent, agent.name if agent else notice.agent),
                    kind=notice.kind,
                    host=notice.host,
                    problem=notice.problem,
                    error=notice.error,
                    write_problem=notice.write_problem,
                    write_error=notice.write_error,
                    since=when(notice.since),
                    last_worked_at=when(notice.worked_at),
                    used_until=when(notice.used_until),
                )
            ),
        )
    )


def message(
    snapshot: Snapshot,
    row: DeliveryRow,
    notice: CalendarNotice,
    *,
    notifications: config.Notifications | None = None,
    language: str | None = None,
) -> Outgoing:
    """The e-mail to the agent: the kind's texts in the agent's language, in the HTML
    frame of every e-mail, with times in the agent's zone."""
    notifications = notifications or snapshot.settings.notifications
    if notifications is None:
        raise NotSendable("the organisation file has no [organisation.notifications] any more")
    sender = parse_mailbox(notifications.from_)
    assert sender is not None, "checked when the organisation file loaded"
    agent = snapshot.agents.get(notice.agent)
    lang = language or _language(snapshot, agent)
    words = snapshot.email_templates.language(lang)
    link = snapshot.calendars.get(notice.agent)
    zone = ZoneInfo(link.zone if link is not None else snapshot.timezone)

    def local(moment: datetime | None) -> str | None:
        return None if moment is None else words.date_time(moment.astimezone(zone))

    problem = notice.problem or notice.write_problem or "unreachable"
    error = notice.error or notice.write_error or ""
    values = {
        "organisation_name": snapshot.name,
        "recipient_name": agent.name if agent else notice.agent,
        "agent_name": agent.name if agent else notice.agent,
        "calendar_kind": _KIND_NAMES.get(notice.kind, notice.kind),
        "calendar_host": notice.host,
        "calendar_problem": problem,
        "calendar_error": " ".join(error.split()),
        "calendar_since": local(notice.since or notice.at),
        "calendar_last_worked": local(notice.worked_at),
        "calendar_kept_until": local(notice.used_until),
    }
    text = snapshot.email_templates.render(lang, KIND, values)
    footer = words.words["footer"].format(organisation=snapshot.name)
    outgoing = EmailMessage(policy=SMTP_POLICY)
    outgoing["From"] = sender
    outgoing["To"] = mailbox(values["recipient_name"] or "", row.recipient)
    if notifications.reply_to is not None:
        reply_to = parse_mailbox(notifications.reply_to)
        if reply_to is not None:
            outgoing["Reply-To"] = reply_to
    outgoing["Subject"] = header_name(text.subject, limit=300)
    outgoing["Date"] = format_datetime(row.due_at)
    outgoing["Message-ID"] = message_id(row.id, snapshot.public_url)
    outgoing["Auto-Submitted"] = "auto-generated"
    outgoing["X-Auto-Response-Suppress"] = "All"
    outgoing.set_content(_plain(text.text, [], [], footer), subtype="plain", cte="quoted-printable")
    html = _layout().render(
        lang=lang,
        subject=text.subject,
        organisation=snapshot.name,
        intro=Markup(text.html),
        details=[],
        links=[],
        footer=footer,
    )
    outgoing.add_alternative(html, subtype="html", cte="quoted-printable")
    for part in outgoing.walk():
        if part is not outgoing:
            del part["MIME-Version"]
    outgoing["Content-Language"] = lang
    return Outgoing(message=outgoing, sender=sender.addr_spec, recipient=row.recipient)


def _language(snapshot: Snapshot, agent: config.Agent | None) -> str:
    spoken = [lang for lang in (agent.languages if agent else ()) if lang in snapshot.languages]
    return spoken[0] if spoken else snapshot.default_language


def sample(snapshot: Snapshot, lang: str, now: datetime) -> tuple[DeliveryRow, CalendarNotice]:
    """A plausible broken notice of this organisation (`rendezvous mail preview`)."""
    agent = next(iter(snapshot.agents.values()), None)
    agent_id = agent.id if agent else "agent"
    notice = CalendarNotice(
        notice="broken",
        at=now,
        agent=agent_id,
        kind="ics",
        host="outlook.office365.com",
        problem="refused",
        error="the server refused access to the calendar (HTTP 401): the link or the password"
        " is no longer valid",
        since=now - timedelta(hours=1),
        worked_at=now - timedelta(hours=1, minutes=5),
        used_until=now + timedelta(hours=22, minutes=55),
    )
    row = _row(
        agent_id,
        "email",
        KIND,
        "agent",
        agent.email if agent and agent.email else "agent@example.com",
        msgspec.to_builtins(notice),
        now,
    )
    return row, notice


def host_of(link: Link, environ: Mapping[str, str]) -> str:
    """The host of a calendar's address, as far as it can be told without failing."""
    from server.calendars.links import access, where

    try:
        return where(access(link, environ).url)
    except Exception:
        return "?"


__all__ = [
    "KIND",
    "CalendarNotice",
    "body",
    "host_of",
    "is_notice",
    "message",
    "plan",
    "sample",
    "send",
    "write",
]
