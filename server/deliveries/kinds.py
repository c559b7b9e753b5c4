"""The words of deliveries (SPEC 10): channels, statuses, the kinds of e-mail and the
webhook events. The organisation file, the outbox, the templates and the CLI share them.

An e-mail's kind names its audience and its event: `customer_confirmation` is what a
customer gets when a booking is confirmed, `agent_request` what the agent gets when a
booking waits for them. Each kind has its template (per language, overridable in the
organisation file) and says which link its message carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

Channel = Literal["email", "webhook", "caldav"]
DeliveryStatus = Literal["pending", "sent", "failed", "skipped"]
Role = Literal["customer", "agent", "webhook"]

EmailKind = Literal[
    "customer_confirmation",
    "customer_request_received",
    "customer_accepted",
    "customer_declined",
    "customer_rescheduled",
    "customer_cancelled",
    "customer_reassigned",
    "customer_reminder",
    "agent_new_appointment",
    "agent_request",
    "agent_accepted",
    "agent_rescheduled",
    "agent_cancelled",
    "agent_reassigned_to",
    "agent_reassigned_away",
    "agent_reminder",
    # The desk (SPEC 11): the sign-in link, about no appointment.
    "agent_sign_in",
    # SPEC 12: to the agent whose own calendar cannot be read (server.calendars.notices).
    "agent_calendar_broken",
]
EMAIL_KINDS: Final[tuple[EmailKind, ...]] = get_args(EmailKind)

WebhookEvent = Literal[
    "appointment.created",
    "appointment.accepted",
    "appointment.declined",
    "appointment.rescheduled",
    "appointment.cancelled",
    "appointment.reassigned",
    "calendar.broken",
    "calendar.restored",
]
WEBHOOK_EVENTS: Final[tuple[WebhookEvent, ...]] = get_args(WebhookEvent)

#: What changed: the events of SPEC 10's table (and the reminder, which is not one).
Event = Literal["created", "accepted", "declined", "rescheduled", "cancelled", "reassigned"]

#: Reminders are the only kinds written ahead of time; a change deletes and rewrites them.
REMINDER_KINDS: Final[tuple[EmailKind, ...]] = ("customer_reminder", "agent_reminder")
#: The desk's kinds about no appointment (their payload is a `SignInNotice`, not a
#: `Change`); the calendars' are `CALENDAR_EMAIL_KINDS`.
NOTICE_KINDS: Final[tuple[EmailKind, ...]] = ("agent_sign_in",)

#: The links a message carries: the customer's manage link (every customer message has
#: it, SPEC 10), the appointment on the agent's desk (agents never get the manage link),
#: the booking page (to book again after a decline), and the desk's sign-in link.
Link = Literal["manage", "desk", "book", "sign_in"]


@dataclass(frozen=True, slots=True)
class KindInfo:
    role: Literal["customer", "agent"]
    links: tuple[Link, ...]  # the first is the message's button


#: Kinds about an agent's calendar, not about an appointment (SPEC 12): the e-mail and
#: the webhook events, built by `server.calendars.notices`.
CALENDAR_EMAIL_KINDS: Final[tuple[EmailKind, ...]] = ("agent_calendar_broken",)
CALENDAR_EVENTS: Final[tuple[WebhookEvent, ...]] = ("calendar.broken", "calendar.restored")
#: The kinds of the `caldav` channel (SPEC 12's write-back, `server.calendars.writeback`):
#: what the change asked for; the worker makes the calendar match the appointment as it
#: is when it sends.
CALDAV_PUT: Final = "calendar_put"
CALDAV_REMOVE: Final = "calendar_remove"


def _info(kind: str) -> KindInfo:
    if kind in CALENDAR_EMAIL_KINDS:
        return KindInfo("agent", ())
    if kind == "customer_declined":
        return KindInfo("customer", ("book", "manage"))
    if kind == "agent_sign_in":
        return KindInfo("agent", ("sign_in",))
    if kind.startswith("customer_"):
        return KindInfo("customer", ("manage",))
    return KindInfo("agent", ("desk",))


KINDS: Final[dict[EmailKind, KindInfo]] = {kind: _info(kind) for kind in EMAIL_KINDS}

__all__ = [
    "CALDAV_PUT",
    "CALDAV_REMOVE",
    "CALENDAR_EMAIL_KINDS",
    "CALENDAR_EVENTS",
    "EMAIL_KINDS",
    "KINDS",
    "NOTICE_KINDS",
    "REMINDER_KINDS",
    "WEBHOOK_EVENTS",
    "Channel",
    "DeliveryStatus",
    "EmailKind",
    "Event",
    "KindInfo",
    "Link",
    "Role",
    "WebhookEvent",
]
