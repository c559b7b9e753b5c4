"""Invite links on the desk (SPEC 11): the choices of `rendezvous invite` as a form,
limited to what the agent can really be booked for; the agent's open invites; revoking
one. The invites themselves are `server.booking.invites` (stored; the link carries only
the id).

Decisions: the expiry is one of a few lifetimes (`LIFETIMES`); a subject, meeting type
and office left empty stay open, but together they must leave something the agent
serves (`timetable.office_choices`: a subject hidden from customers included, as an
invite opens it). An agent makes and revokes their own invites only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from server.booking import invites
from server.desk.forms import Form
from server.desk.problems import not_found
from server.desk.sessions import Viewer
from server.desk.timetable import office_choices
from server.desk.words import Words
from server.runtime import Runtime
from server.snapshot import Snapshot
from server.store import InviteRow
from server.vocabulary import MeetingType

LIFETIMES: Final = {
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
DEFAULT_LIFETIME: Final = "7d"


@dataclass(frozen=True, slots=True)
class Choices:
    """What the form offers: the agent's (subject, meeting type, office) combinations."""

    combinations: list[tuple[str, str, str]]

    @property
    def subjects(self) -> list[str]:
        return sorted({s for s, _, _ in self.combinations})

    @property
    def meeting_types(self) -> list[str]:
        return sorted({m for _, m, _ in self.combinations})

    @property
    def offices(self) -> list[str]:
        return sorted({o for _, _, o in self.combinations})

    def allows(self, subject: str | None, meeting_type: str | None, office: str | None) -> bool:
        return any(
            (subject is None or s == subject)
            and (meeting_type is None or m == meeting_type)
            and (office is None or o == office)
            for s, m, o in self.combinations
        )


def choices(runtime: Runtime, viewer: Viewer) -> Choices:
    return Choices(office_choices(runtime.snapshot, viewer.id))


async def create(runtime: Runtime, viewer: Viewer, form: Form) -> InviteRow:
    """Check the form (every problem at once; nothing written) and store the invite."""
    offered = choices(runtime, viewer)
    subject = form.choice("subject", offered.subjects)
    meeting_type = form.choice("meeting_type", offered.meeting_types)
    office = form.choice("office", offered.offices)
    email = form.email("customer_email")
    lifetime = form.choice("expires", list(LIFETIMES), required=True)
    single_use = form.checked("single_use")
    if not form.problems and not offered.allows(subject, meeting_type, office):
        form.problem("subject", "problems.invite_combination")
    form.check()
    assert lifetime is not None
    now = runtime.now()
    async with runtime.store.write() as tx:
        return await invites.create(
            tx,
            agent=viewer.id,
            subject=subject,
            meeting_type=_meeting_type(meeting_type),
            office=office,
            customer_email=email,
            single_use=single_use,
            expires_at=now + LIFETIMES[lifetime],
            created_by=viewer.id,
            now=now,
        )


def _meeting_type(value: str | None) -> MeetingType | None:
    if value in ("OFFICE", "VIDEO", "PHONE", "ON_LOCATION"):
        return value  # type: ignore[return-value]
    return None


async def open_invites(runtime: Runtime, viewer: Viewer) -> list[InviteRow]:
    return await runtime.store.open_invites(viewer.id, runtime.now())


async def one(runtime: Runtime, viewer: Viewer, id: str) -> InviteRow:
    """One of the agent's own invites (another's is 404)."""
    row = await runtime.store.invite(id) if id and len(id) <= 64 else None
    if row is None or row.agent != viewer.id:
        raise not_found()
    return row


async def revoke(runtime: Runtime, viewer: Viewer, id: str) -> InviteRow:
    """End an invite's link at once; revoking twice changes nothing."""
    async with runtime.store.write() as tx:
        row = await tx.invite(id) if id and len(id) <= 64 else None
        if row is None or row.agent != viewer.id:
            raise not_found()
        await tx.revoke_invite(id, runtime.now())
    return row


def describe(snapshot: Snapshot, words: Words, row: InviteRow) -> str:
    """What an invite fixes, in words: "Mortgage · Video call · Brussels Centre"."""
    lang = words.lang
    subject = snapshot.subjects.get(row.subject or "")
    office = snapshot.offices.get(row.office or "")
    parts = [
        snapshot.text(subject.name, lang) if subject else words("invites.any_subject"),
        words.meeting_type(row.meeting_type)
        if row.meeting_type
        else words("invites.any_meeting_type"),
        snapshot.text(office.name, lang) if office else words("invites.any_office"),
    ]
    return " · ".join(parts)


def link(runtime: Runtime, row: InviteRow) -> str:
    return invites.link_of(runtime.snapshot.public_url, runtime.tokens, row)


__all__ = [
    "DEFAULT_LIFETIME",
    "LIFETIMES",
    "Choices",
    "choices",
    "create",
    "link",
    "one",
    "open_invites",
    "revoke",
]
