"""A delivery as an e-mail message (SPEC 10), built with the standard library's `email`
package: no header is ever written by joining strings, so no value can add a header.

The message, for a delivery of `kind` to one recipient:

    multipart/mixed                              (only with an invitation)
      multipart/alternative
        text/plain                               the kind's text + the details + links
        text/html                                the same in the HTML frame (layout.html)
        text/calendar; method=REQUEST|CANCEL     the iTIP object (RFC 5546, RFC 6047)
      application/ics; name="invite.ics"         the same object, as an attachment

Why this shape: Outlook looks for iMIP data only in the first part of a multipart/mixed
message and its descendants (MS-OXCMAIL 2.1.3.3.8; MS-OXCICAL on RFC 6047) and shows
a meeting request when the text/calendar part sits beside the bodies in the
multipart/alternative; Gmail recognises the same part and shows its invitation card;
Apple Mail and some other clients only look at attachments, hence the copy as
`invite.ics` (Google Calendar's own invitations are built this way). A message without
an invitation is just multipart/alternative (text and HTML).

Headers: `From` from `[organisation.notifications] from`, `Reply-To` from `reply_to`,
`To` the recipient (their name cleaned of line breaks), `Subject` (one line), `Date`
(when the delivery was due: the same on every attempt), `Message-ID`
`<{delivery id}@{public host}>` (the same on every attempt), `Auto-Submitted:
auto-generated` (RFC 3834) and `X-Auto-Response-Suppress: All` (no out-of-office
answers from Exchange).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import jinja2
import msgspec
from markupsafe import Markup

from server import config
from server.booking.claims import manage_token
from server.booking.presenters import calendar_event
from server.calendar.ics import CalendarEvent, Method, render_ics
from server.deliveries.addresses import header_name, mailbox, parse_mailbox
from server.deliveries.kinds import KINDS, Link
from server.deliveries.outbox import Change, SignInNotice
from server.deliveries.templates import EmailText, Language
from server.snapshot import Snapshot
from server.store import AppointmentRow, DeliveryRow
from server.tokens import Tokens

#: Serialisation for SMTP and Maildir: CRLF line ends, lines of at most 78 characters.
SMTP_POLICY = policy.SMTP
_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_LAYOUT = Path(__file__).parent.parent / "templates" / "email" / "layout.html"


@dataclass(frozen=True, slots=True)
class Outgoing:
    message: EmailMessage
    sender: str  # the envelope sender (MAIL FROM)
    recipient: str  # the envelope recipient (RCPT TO)


class NotSendable(Exception):
    """The organisation no longer sends e-mail (no `[organisation.notifications]`)."""


def build(
    snapshot: Snapshot,
    tokens: Tokens,
    row: DeliveryRow,
    change: Change,
    *,
    notifications: config.Notifications | None = None,
    language: str | None = None,
) -> Outgoing:
    """The message of one e-mail delivery. `notifications` and `language` replace the
    organisation's and the recipient's (`rendezvous mail preview`)."""
    notifications = notifications or snapshot.settings.notifications
    if notifications is None:
        raise NotSendable("the organisation file has no [organisation.notifications] any more")
    sender = parse_mailbox(notifications.from_)
    assert sender is not None, "checked when the organisation file loaded"
    info = KINDS[row.kind]  # type: ignore[index]
    appointment = change.appointment
    agent_id = change.previous_agent if row.kind == "agent_reassigned_away" else appointment.agent
    recipient_agent = snapshot.agents.get(agent_id or "") if info.role == "agent" else None
    lang = language or _language_of(snapshot, appointment, recipient_agent)
    words = snapshot.email_templates.language(lang)
    zone = _zone_of(snapshot, appointment, info.role)
    values = _values(snapshot, tokens, change, lang, words, zone, recipient_agent)
    text = snapshot.email_templates.render(lang, row.kind, values)
    links = _links(info.links, words, values)
    details = _details(snapshot, change, lang, words, values, info.role)
    message = _message(
        snapshot, notifications, row, lang, values["recipient_name"] or "", text, details, links
    )
    method = invitation_method(row.kind, change)
    if method is not None:
        event = _event(snapshot, change, values, details, sender, row)
        calendar = render_ics(event, method).decode("utf-8")
        message.add_alternative(
            calendar, subtype="calendar", params={"method": method}, cte="base64"
        )
        message.add_attachment(
            calendar.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    return _finished(message, lang, sender, row)


def _message(
    snapshot: Snapshot,
    notifications: config.Notifications,
    row: DeliveryRow,
    lang: str,
    recipient_name: str,
    text: EmailText,
    details: Sequence[tuple[str, str, str | None]],
    links: Sequence[tuple[str, str]],
) -> EmailMessage:
    """The headers and the text and HTML bodies of one message."""
    words = snapshot.email_templates.language(lang)
    footer = words.words["footer"].format(organisation=snapshot.name)
    sender = parse_mailbox(notifications.from_)
    assert sender is not None, "checked when the organisation file loaded"
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = mailbox(recipient_name, row.recipient)
    if notifications.reply_to is not None:
        reply_to = parse_mailbox(notifications.reply_to)
        if reply_to is not None:
            message["Reply-To"] = reply_to
    message["Subject"] = header_name(text.subject, limit=300)
    message["Date"] = format_datetime(row.due_at)
    message["Message-ID"] = message_id(row.id, snapshot.public_url)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(
        _plain(text.text, details, links, footer), subtype="plain", cte="quoted-printable"
    )
    html = _layout().render(
        lang=lang,
        subject=text.subject,
        organisation=snapshot.name,
        intro=Markup(text.html),
        details=details,
        links=links,
        footer=footer,
    )
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def _finished(message: EmailMessage, lang: str, sender: Address, row: DeliveryRow) -> Outgoing:
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # the email package repeats it in parts it adds
    message["Content-Language"] = lang
    return Outgoing(message=message, sender=sender.addr_spec, recipient=row.recipient)


def message_id(delivery_id: str, public_url: str) -> str:
    """`<{delivery id}@{public host}>`: the same on every attempt of one delivery."""
    host = urlsplit(public_url).hostname or "localhost"
    return f"<{delivery_id}@{host}>"


def invitation_method(kind: str, change: Change) -> Method | None:
    """Whether the message carries an invitation (REQUEST), its cancellation (CANCEL),
    or nothing. A requested appointment gets no invitation until it is accepted; a
    CANCEL goes only to someone who had an invitation (the appointment was confirmed)."""
    status = change.appointment.status
    had_one = change.previous_status == "confirmed"
    if kind in ("customer_cancelled", "agent_cancelled", "agent_reassigned_away"):
        return "CANCEL" if had_one else None
    if kind in _NO_INVITATION:
        return None
    if status == "confirmed" or (status == "requested" and had_one):
        # A confirmed appointment moved to a time the agent must accept stays in the
        # calendar, TENTATIVE (the event's STATUS follows the appointment's).
        return "REQUEST"
    return None


_NO_INVITATION = frozenset(
    {
        "customer_request_received",
        "agent_request",
        "customer_declined",
        "customer_reminder",
        "agent_reminder",
    }
)


def _language_of(
    snapshot: Snapshot, appointment: AppointmentRow, agent: config.Agent | None
) -> str:
    """The customer's language; an agent's first language the organisation speaks."""
    if agent is None:
        return appointment.language
    spoken = [lang for lang in agent.languages if lang in snapshot.languages]
    return spoken[0] if spoken else snapshot.default_language


def _zone_of(snapshot: Snapshot, appointment: AppointmentRow, role: str) -> ZoneInfo:
    """Customers read times in their zone; agents in the office's (else the
    organisation's)."""
    name = appointment.timezone
    if role == "agent":
        office = snapshot.offices.get(appointment.office or "")
        name = office.timezone if office else snapshot.timezone
    return ZoneInfo(name)


def _values(
    snapshot: Snapshot,
    tokens: Tokens,
    change: Change,
    lang: str,
    words: Language,
    zone: ZoneInfo,
    recipient_agent: config.Agent | None,
) -> dict[str, str | None]:
    row = change.appointment
    customer = row.customer
    first = str(customer.get("first_name") or "")
    customer_name = f"{first} {customer.get('last_name') or ''}".strip()
    agent = snapshot.agents.get(row.agent)
    previous = snapshot.agents.get(change.previous_agent or "")
    office = snapshot.offices.get(row.office or "")
    subject = snapshot.subjects.get(row.subject)
    start = row.start.astimezone(zone)
    public = snapshot.public_url
    values: dict[str, str | None] = {
        "organisation_name": snapshot.name,
        "recipient_name": recipient_agent.name if recipient_agent else customer_name,
        "customer_name": customer_name,
        "customer_first_name": first,
        "customer_email": str(customer.get("email") or ""),
        "phone": _optional(customer.get("phone")),
        "agent_name": agent.name if agent else row.agent,
        "agent_function": snapshot.text(agent.function, lang) if agent and agent.function else None,
        "previous_agent_name": (previous.name if previous else change.previous_agent)
        if change.previous_agent and change.previous_agent != row.agent
        else None,
        "subject": snapshot.text(subject.name, lang) if subject else row.subject,
        "meeting_type": row.meeting_type,
        "meeting_type_name": words.meeting_types.get(row.meeting_type, row.meeting_type),
        "office_name": snapshot.text(office.name, lang) if office else None,
        "office_address": _address_text(office.address) if office else None,
        "customer_address": _address_text(row.location) if row.location else None,
        "start_local": words.date_time(start),
        "date_local": words.date(start),
        "time_local": words.time(start),
        "end_time_local": words.time(row.end.astimezone(zone)),
        "timezone": zone.key,
        "previous_start_local": words.date_time(change.previous_start.astimezone(zone))
        if change.previous_start is not None and change.previous_start != row.start
        else None,
        "video_url": row.video_url,
        "manage_url": f"{public}/book?manage={manage_token(snapshot, tokens, row)}"
        if recipient_agent is None
        else None,
        "desk_url": f"{public}/desk/appointments/{quote(row.id, safe='')}",
        "book_url": f"{public}/book?subject={quote(row.subject, safe='')}",
        "reason": change.reason,
    }
    # Every value is one line of text: a line break typed into a name stays in the name.
    return {name: None if value is None else _one_line(value) for name, value in values.items()}


def _one_line(value: str) -> str:
    return " ".join(_BREAKS.sub(" ", value).split(" "))


def _optional(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _address_text(address: config.Address | Mapping[str, Any]) -> str:
    """ "Rue Neuve 1, 1000 Brussels, BE"."""
    fields = address if isinstance(address, Mapping) else msgspec.to_builtins(address)
    street, postal_code, city, country = (
        str(fields.get(key) or "") for key in ("street", "postal_code", "city", "country")
    )
    town = " ".join(part for part in (postal_code, city) if part)
    return ", ".join(part for part in (street, town, country) if part)


def _links(
    wanted: Sequence[Link], words: Language, values: Mapping[str, str | None]
) -> list[tuple[str, str]]:
    links = []
    for link in wanted:
        url = values[f"{link}_url"]
        if url:
            links.append((words.words[link], url))
    return links


def _details(
    snapshot: Snapshot,
    change: Change,
    lang: str,
    words: Language,
    values: Mapping[str, str | None],
    role: str,
) -> list[tuple[str, str, str | None]]:
    """(label, value, link) rows of the appointment's essentials."""
    w = words.words
    when = f"{values['start_local']} – {values['end_time_local']} ({values['timezone']})"
    rows: list[tuple[str, str, str | None]] = [
        (w["subject"], values["subject"] or "", None),
        (w["when"], when, None),
        (w["how"], values["meeting_type_name"] or "", None),
    ]
    where = values["customer_address"] or (
        "\n".join(v for v in (values["office_name"], values["office_address"]) if v)
        if change.appointment.meeting_type == "OFFICE"
        else None
    )
    if where:
        rows.append((w["where"], where, None))
    if values["video_url"]:
        rows.append((w["video"], values["video_url"], values["video_url"]))
    if role == "customer":
        agent = values["agent_name"] or ""
        function = values["agent_function"]
        rows.append((w["with"], f"{agent}, {function}" if function else agent, None))
    else:
        rows.append((w["customer"], values["customer_name"] or "", None))
        email = values["customer_email"] or ""
        rows.append((w["email"], email, f"mailto:{email}" if email else None))
        if values["phone"]:
            rows.append((w["phone"], values["phone"], None))
        answers = _answers(snapshot, change.appointment, lang)
        if answers:
            rows.append((w["answers"], answers, None))
    if values["reason"]:
        rows.append((w["reason"], values["reason"], None))
    return rows


def _answers(snapshot: Snapshot, row: AppointmentRow, lang: str) -> str:
    """The customer's answers as lines "question: answer", options by their labels."""
    subject = snapshot.subjects.get(row.subject)
    questions = {q.id: q for q in subject.questions} if subject else {}
    lines = []
    for question_id, value in row.answers.items():
        question = questions.get(question_id)
        label = snapshot.text(question.label, lang) if question else question_id
        options = (
            {o.id: snapshot.text(o.label, lang) for o in (question.options or ())}
            if question
            else {}
        )
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(options.get(str(v), str(v)) for v in values)
        lines.append(_one_line(f"{label}: {shown}"))
    return "\n".join(lines)


def _plain(
    intro: str,
    details: Sequence[tuple[str, str, str | None]],
    links: Sequence[tuple[str, str]],
    footer: str,
) -> str:
    """The text/plain body: the kind's text, the details, the links, the footer."""
    lines = [intro, ""]
    for label, value, _ in details:
        first, *rest = value.split("\n")
        lines.append(f"{label}: {first}")
        lines.extend(f"    {more}" for more in rest)
    lines.append("")
    for label, href in links:
        lines += [f"{label}:", href, ""]
    lines += ["-- ", footer]
    return "\n".join(lines) + "\n"


def _event(
    snapshot: Snapshot,
    change: Change,
    values: Mapping[str, str | None],
    details: Sequence[tuple[str, str, str | None]],
    organizer: Address,
    row: DeliveryRow,
) -> CalendarEvent:
    """The iTIP event: the add-to-calendar event (same UID, SEQUENCE, times in UTC),
    the organisation as ORGANIZER and the recipient as ATTENDEE. The customer's copy has
    the add-to-calendar texts (the calendar templates); an agent's is titled after the
    customer, described by the message's details and links to the desk."""
    link = values["manage_url"] or values["desk_url"] or snapshot.public_url
    event = calendar_event(snapshot, change.appointment, link)
    if row.recipient_role == "agent":
        event = dataclasses.replace(
            event,
            title=f"{values['customer_name']}: {values['subject']}",
            description="\n".join(f"{label}: {value}" for label, value, _ in details)
            + f"\n\n{link}",
        )
    return dataclasses.replace(
        event,
        dtstamp=change.at,
        organizer_email=organizer.addr_spec,
        organizer_name=organizer.display_name or snapshot.name,
        attendee_email=row.recipient,
        attendee_name=values["recipient_name"],
        status="CANCELLED" if invitation_method(row.kind, change) == "CANCEL" else event.status,
    )


@functools.cache
def _layout() -> jinja2.Template:
    """The HTML frame: a trusted template shipped with the server (not the sandbox's
    subset: it loops over the details), autoescaped."""
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_LAYOUT.read_text(encoding="utf-8"))


# -- Notices about no appointment (SPEC 11) --------------------------------------------


def build_sign_in(
    snapshot: Snapshot,
    tokens: Tokens,
    row: DeliveryRow,
    notice: SignInNotice,
    *,
    notifications: config.Notifications | None = None,
    language: str | None = None,
) -> Outgoing:
    """The desk's sign-in e-mail: the kind's text and one button, the link. Its token
    (kind "desk_sign_in", the link's id) is signed here, so the outbox row holds no
    working link; the link's expiry is the token's."""
    notifications = notifications or snapshot.settings.notifications
    if notifications is None:
        raise NotSendable("the organisation file has no [organisation.notifications] any more")
    sender = parse_mailbox(notifications.from_)
    assert sender is not None, "checked when the organisation file loaded"
    agent = snapshot.agents.get(notice.agent)
    lang = language or (
        snapshot.default_language if agent is None else agent_language(snapshot, agent)
    )
    words = snapshot.email_templates.language(lang)
    token = tokens.dumps("desk_sign_in", {"l": notice.link}, notice.expires_at)
    values: dict[str, str | None] = {
        "organisation_name": snapshot.name,
        "recipient_name": agent.name if agent else None,
        # ?lang: the page with the button speaks the e-mail's language.
        "sign_in_url": f"{snapshot.public_url}/desk/sign-in/{token}?lang={lang}",
        "valid_minutes": str(round((notice.expires_at - notice.at).total_seconds() / 60)),
    }
    values = {name: None if value is None else _one_line(value) for name, value in values.items()}
    text = snapshot.email_templates.render(lang, row.kind, values)
    links = _links(KINDS["agent_sign_in"].links, words, values)
    message = _message(
        snapshot, notifications, row, lang, values["recipient_name"] or "", text, [], links
    )
    return _finished(message, lang, sender, row)


def agent_language(snapshot: Snapshot, agent: config.Agent) -> str:
    """An agent's first language that the organisation speaks, else the organisation's."""
    spoken = [lang for lang in agent.languages if lang in snapshot.languages]
    return spoken[0] if spoken else snapshot.default_language


__all__ = [
    "SMTP_POLICY",
    "NotSendable",
    "Outgoing",
    "agent_language",
    "build",
    "build_sign_in",
    "invitation_method",
    "message_id",
]
