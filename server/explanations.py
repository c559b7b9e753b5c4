"""SPEC 4's reason codes in words, with the names of the organisation file.

`rendezvous doctor` explains what offers nothing in the coming days (`MESSAGES`, with a
window of days); `rendezvous invite` and the doctor's list of assignments explain why
an agent can never serve a combination (`SERVICE_MESSAGES`, without a date). Each
sentence names the key of the organisation file to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import availability
from availability import model
from server import config, vocabulary
from server.vocabulary import HOW

#: Why a combination offers nothing in the next `{days}` days, one sentence per code.
MESSAGES: Final[Mapping[str, str]] = {
    availability.SUBJECT_NOT_AVAILABLE: (
        "{subject} is hidden from customers (available_for_customers = false)"
    ),
    availability.MEETING_TYPE_NOT_ENABLED: (
        "{subject} is not offered {how} anywhere ([subjects.meeting_types.{meeting_type}]"
        " is missing)"
    ),
    availability.OFFICE_INACTIVE: "{office} is switched off (active = false)",
    availability.MEETING_TYPE_NOT_ENABLED_FOR_OFFICE: (
        "{office} does not offer {subject} {how} (offices.subjects.{subject_id}.meeting_types)"
    ),
    availability.NO_AGENT_ASSIGNED: "nobody at {office} is assigned to {subject}",
    availability.AGENT_NO_EXPERTISE: (
        "{agent} is assigned at {office} but does not have {subject} in their expertise"
    ),
    availability.AGENT_INACTIVE: "{agent} is not active (active = false)",
    availability.AGENT_NOT_ONLINE: "{agent} is not planning online (online_planning = false)",
    availability.OUTSIDE_HOURS: (
        "{agent} has no hours at {office} for this subject {how} in the next {days} days"
    ),
    availability.TOO_SOON: (
        "{agent}'s hours at {office} in the next {days} days all start too soon"
        " for the minimum notice (earliest = {earliest} minutes)"
    ),
    availability.TOO_FAR: (
        "{agent}'s hours at {office} lie beyond the booking horizon (latest = {latest} days)"
    ),
    availability.BUSY: "{agent} is fully booked at {office} in the next {days} days",
    availability.HELD: (
        "{agent}'s remaining times at {office} are held by customers who are booking right now"
    ),
    availability.BUSY_EXTERNAL: (
        "{agent} is busy in their own calendar whenever they could see customers at {office}"
        " in the next {days} days"
    ),
    availability.TIME_OFF: (
        "{agent} has taken time off (on the desk) whenever they could see customers at"
        " {office} in the next {days} days"
    ),
    availability.CALENDAR_UNAVAILABLE: (
        "{agent}'s own calendar cannot be read (see `rendezvous calendars`): they are offered"
        " nowhere until it works again"
    ),
}

#: TOO_SOON or TOO_FAR when the rule itself can never be met (see `config.warnings`).
NOTICE_BEYOND_HORIZON: Final = (
    "the minimum notice for {subject} {how} at {office} (earliest = {earliest} minutes)"
    " reaches past the booking horizon (latest = {latest} days): nothing can ever be booked"
)
#: OUTSIDE_HOURS when the agent has hours there, but all shorter than the appointment.
BLOCKS_TOO_SHORT: Final = (
    "{agent}'s hours at {office} that allow {subject} {how} are all shorter than the"
    " appointment (duration = {duration} minutes)"
)

#: Why an agent can never serve a combination (conditions 2 to 8 without a date).
SERVICE_MESSAGES: Final[Mapping[str, str]] = {
    availability.SUBJECT_NOT_AVAILABLE: (
        "{subject} is hidden from customers (available_for_customers = false)"
    ),
    availability.MEETING_TYPE_NOT_ENABLED: (
        "{subject} is not offered {how} ([subjects.meeting_types.{meeting_type}] is missing)"
    ),
    availability.OFFICE_INACTIVE: "{office} is switched off (active = false)",
    availability.MEETING_TYPE_NOT_ENABLED_FOR_OFFICE: (
        "{office} does not offer {subject} {how} (offices.subjects.{subject_id}.meeting_types)"
    ),
    availability.NO_AGENT_ASSIGNED: (
        "{agent} is not assigned to {subject} at {office} (offices.subjects.{subject_id}.agents)"
    ),
    availability.AGENT_NO_EXPERTISE: (
        "{agent} does not have {subject} in their expertise (agents.expertise)"
    ),
    availability.AGENT_INACTIVE: "{agent} is not active (active = false)",
    availability.AGENT_NOT_ONLINE: "{agent} is not planning online (online_planning = false)",
    availability.OUTSIDE_HOURS: (
        "{agent} has no hours at {office} that allow {subject} {how} (agents.week and agents.days)"
    ),
}


class Names:
    """The organisation's items by id, named in its first language."""

    def __init__(self, loaded: config.LoadedOrganisation) -> None:
        org = loaded.organisation
        self.lang = org.organisation.languages[0]
        self.subjects = {s.id: vocabulary.text(s.name, self.lang, self.lang) for s in org.subjects}
        self.offices = {o.id: vocabulary.text(o.name, self.lang, self.lang) for o in org.offices}
        self.agents = {a.id: a.name for a in org.agents}

    def fields(
        self,
        *,
        subject: str,
        meeting_type: str | None = None,
        office: str | None = None,
        agent: str | None = None,
    ) -> dict[str, object]:
        return {
            "subject": self.subjects.get(subject, subject),
            "subject_id": subject,
            "meeting_type": meeting_type or "",
            "how": HOW.get(meeting_type or "", ""),
            "office": self.offices.get(office or "", office or "an office"),
            "agent": self.agents.get(agent or "", agent or "an agent"),
        }


def service_sentence(
    names: Names, code: str, *, agent: str, office: str, subject: str, meeting_type: str
) -> str:
    """Why `agent` can never serve the combination (a code of `why_not_served`), in words."""
    template = SERVICE_MESSAGES.get(code, "{code}")
    fields = names.fields(subject=subject, meeting_type=meeting_type, office=office, agent=agent)
    return template.format(code=code, **fields)


def never_met(rule: model.PlanningRule) -> bool:
    """The rule's minimum notice reaches past its horizon: no start can meet both (a
    start on the last allowed date begins at the latest at 23:59 of that date)."""
    return rule.earliest >= (rule.latest + 1) * 24 * 60


__all__ = [
    "BLOCKS_TOO_SHORT",
    "HOW",
    "MESSAGES",
    "NOTICE_BEYOND_HORIZON",
    "SERVICE_MESSAGES",
    "Names",
    "never_met",
    "service_sentence",
]
