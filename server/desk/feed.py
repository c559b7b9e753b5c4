"""The agent's calendar feed (SPEC 11): a private address of an `.ics` calendar of the
agent's own appointments, to subscribe to in Outlook, Google or Apple Calendar.

- The address is `{public_url}/desk/feed/{secret}.ics` (and its `webcal://` twin); the
  secret is 32 random bytes, stored per agent. Renewing it ends the old address at once.
  Whoever knows the address can read the calendar, as with every such feed.
- The calendar holds the agent's confirmed appointments (`CONFIRMED`) and requests
  (`TENTATIVE`) from `PAST` ago to `AHEAD`, with the same UIDs and SEQUENCEs as the
  invitation e-mails (so a calendar that has both shows one event), and appointments
  cancelled or declined in the last `KEEP_CANCELLED` as `STATUS:CANCELLED`, so that a
  client that keeps events it no longer sees removes them too. An appointment handed to
  a co-worker leaves the old agent's feed.
- The answer carries a strong `ETag` of its bytes; `If-None-Match` gets a 304.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from server.booking.presenters import calendar_event
from server.calendar.ics import CalendarEvent, render_feed
from server.desk.appointments import answers
from server.desk.sessions import Viewer, may_sign_in
from server.desk.words import Words, agent_language, words_for
from server.runtime import Runtime
from server.snapshot import Snapshot
from server.store import AppointmentRow, FeedRow

PAST: Final = timedelta(days=30)
AHEAD: Final = timedelta(days=400)
KEEP_CANCELLED: Final = timedelta(days=14)
REFRESH_MINUTES: Final = 30


@dataclass(frozen=True, slots=True)
class Feed:
    body: bytes
    etag: str


def address(snapshot: Snapshot, row: FeedRow) -> str:
    return f"{snapshot.public_url}/desk/feed/{row.secret}.ics"


def webcal(snapshot: Snapshot, row: FeedRow) -> str:
    return "webcal://" + address(snapshot, row).split("://", 1)[1]


async def of(runtime: Runtime, viewer: Viewer) -> FeedRow | None:
    return await runtime.store.feed_of(viewer.id)


async def renew(runtime: Runtime, viewer: Viewer) -> None:
    """A new secret for the agent's feed (the first one, or instead of the old)."""
    async with runtime.store.write() as tx:
        await tx.set_feed(viewer.id, secrets.token_urlsafe(32), runtime.now())


async def calendar(runtime: Runtime, secret: str) -> Feed | None:
    """The feed behind a secret; None for an unknown secret or an agent who can no
    longer sign in."""
    if not secret or len(secret) > 100:
        return None
    row = await runtime.store.feed_by_secret(secret)
    snapshot = runtime.snapshot
    agent = None if row is None else may_sign_in(snapshot, row.agent)
    if row is None or agent is None:
        return None
    now = runtime.now()
    rows = await runtime.store.desk_appointments(
        [agent.id],
        [],
        now - PAST,
        now + AHEAD,
        ("confirmed", "requested", "cancelled", "declined"),
        limit=5000,
    )
    shown = [
        r
        for r in rows
        if r.status in ("confirmed", "requested") or r.updated_at >= now - KEEP_CANCELLED
    ]
    words = words_for(snapshot, agent_language(snapshot, agent, None))
    events = [_event(snapshot, words, agent.id, r) for r in shown]
    body = render_feed(events, f"{snapshot.name}: {agent.name}", REFRESH_MINUTES)
    return Feed(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _event(snapshot: Snapshot, words: Words, agent: str, row: AppointmentRow) -> CalendarEvent:
    """The appointment as the agent's invitations show it: titled after the customer,
    described by its details, linked to the desk."""
    desk = f"{snapshot.public_url}/desk/appointments/{row.id}"
    event = calendar_event(snapshot, row, desk)
    customer = row.customer
    name = f"{customer.get('first_name') or ''} {customer.get('last_name') or ''}".strip()
    subject = snapshot.subjects.get(row.subject)
    title = snapshot.text(subject.name, words.lang) if subject else row.subject
    lines = [
        f"{words('fields.customer')}: {name}",
        f"{words('fields.email')}: {customer.get('email') or ''}",
    ]
    if customer.get("phone"):
        lines.append(f"{words('fields.phone')}: {customer['phone']}")
    lines.append(f"{words('fields.how')}: {words.meeting_type(row.meeting_type)}")
    lines += [f"{label}: {value}" for label, value in answers(snapshot, row, words.lang)]
    if row.video_url:
        lines.append(f"{words('fields.video')}: {row.video_url}")
    lines += ["", desk]
    return dataclasses.replace(event, title=f"{name}: {title}", description="\n".join(lines))


__all__ = [
    "AHEAD",
    "KEEP_CANCELLED",
    "PAST",
    "Feed",
    "address",
    "calendar",
    "of",
    "renew",
    "webcal",
]
