"""`rendezvous doctor`: why something cannot be booked, in words (SPEC 4 and 8).

For every subject × meeting type × office (offices where the subject is assigned;
VIDEO and PHONE also as "any office") that offers nothing in the next N days, the
engine's `explain` gives reason codes; `MESSAGES` turns each into a sentence an
office manager understands. A first section lists organisation-level problems.

The window starts today in the organisation's time zone. Busy time comes from the
database when one is given (the CLI uses RENDEZVOUS_DATABASE if the file exists);
without one, every agent is taken to be free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import availability
from availability import model
from server import config, vocabulary
from server.calendars.intervals import Policy
from server.calendars.links import links_of
from server.store import CalendarRow

#: One sentence per reason code; the fields are filled with names from the file.
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
    availability.CALENDAR_UNAVAILABLE: (
        "{agent}'s own calendar cannot be read (see `rendezvous calendars`): they are offered"
        " nowhere until it works again"
    ),
}

HOW: Final[Mapping[str, str]] = {
    model.OFFICE: "at the office",
    model.VIDEO: "by video",
    model.PHONE: "by phone",
    model.ON_LOCATION: "at the customer's address",
}

EXIT_OK: Final = 0
EXIT_NOTHING_BOOKABLE: Final = 1


@dataclass(frozen=True, slots=True)
class Finding:
    """One combination that offers nothing, and why."""

    subject: str
    meeting_type: str
    office: str | None  # None: any office
    title: str  # "Mortgage by video at Brussels Centre"
    reasons: tuple[availability.Reason, ...]
    sentences: tuple[str, ...]

    def line(self) -> str:
        return f"{self.title}: nothing can be booked — {'; '.join(self.sentences)}."


@dataclass(slots=True)
class Report:
    days: int
    first_day: date
    organisation_problems: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    bookable: int = 0
    subject_names: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.bookable else EXIT_NOTHING_BOOKABLE

    def text(self) -> str:
        lines = [
            f"Checked {self.checked} combinations of subject, meeting type and office"
            f" over {self.days} days from {self.first_day.isoformat()}:"
            f" {self.bookable} can be booked.",
            "",
            "Organisation",
        ]
        lines += [f"  - {problem}" for problem in self.organisation_problems] or ["  - no problems"]
        by_subject: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_subject.setdefault(finding.subject, []).append(finding)
        for subject, findings in by_subject.items():
            lines += ["", f"{self.subject_names.get(subject, subject)} ({subject})"]
            lines += [f"  - {finding.line()}" for finding in findings]
        if self.bookable == 0:
            lines += ["", "Nothing at all can be booked: customers will see no categories."]
        return "\n".join(lines)


class _Names:
    def __init__(self, loaded: config.LoadedOrganisation) -> None:
        org = loaded.organisation
        self.lang = org.organisation.languages[0]
        self.subjects = {s.id: vocabulary.text(s.name, self.lang, self.lang) for s in org.subjects}
        self.offices = {o.id: vocabulary.text(o.name, self.lang, self.lang) for o in org.offices}
        self.agents = {a.id: a.name for a in org.agents}


def sentence(
    reason: availability.Reason,
    names: _Names,
    engine: model.Organisation,
    days: int,
) -> str:
    """The reason in words (without the final full stop)."""
    rule = None
    if reason.office is not None and reason.meeting_type is not None:
        assignment = engine.offices[reason.office].subjects.get(reason.subject)
        if assignment is not None:
            rule = assignment.rules.get(reason.meeting_type)
    fields = {
        "subject": names.subjects.get(reason.subject, reason.subject),
        "subject_id": reason.subject,
        "meeting_type": reason.meeting_type or "",
        "how": HOW.get(reason.meeting_type or "", ""),
        "office": names.offices.get(reason.office or "", reason.office or "an office"),
        "agent": names.agents.get(reason.agent or "", reason.agent or "an agent"),
        "days": days,
        "earliest": rule.earliest if rule else "?",
        "latest": rule.latest if rule else "?",
    }
    template = MESSAGES.get(reason.code, "{code}")
    return template.format(code=reason.code, **fields)


def diagnose(
    loaded: config.LoadedOrganisation,
    busy: model.Busy,
    now: datetime,
    *,
    days: int = 14,
    subject: str | None = None,
    office: str | None = None,
) -> Report:
    org = loaded.organisation
    engine = loaded.engine
    names = _Names(loaded)
    zone = ZoneInfo(org.organisation.timezone)
    first_day = now.astimezone(zone).date()
    last_day = first_day + timedelta(days=days - 1)
    window = _Window(first_day, last_day, days, org.organisation.timezone)
    report = Report(days=days, first_day=first_day, subject_names=dict(names.subjects))
    report.organisation_problems = _organisation_problems(loaded, names, subject, office)
    offices = [o for o in org.offices if office is None or o.id == office]
    for item in org.subjects:
        if subject is not None and item.id != subject:
            continue
        if not item.available_for_customers:
            continue  # reported once, in the organisation section
        assigned = {o.id for o in offices if item.id in o.subjects}
        for meeting_type in model.MEETING_TYPES:
            if meeting_type not in item.meeting_types:
                continue
            # Offices that enable this meeting type for the subject; the others chose
            # not to offer it, which is no problem as long as some office does.
            places: list[str | None] = [
                o.id
                for o in offices
                if item.id in o.subjects and meeting_type in o.subjects[item.id].meeting_types
            ]
            if not places or (meeting_type in model.REMOTE_MEETING_TYPES and office is None):
                places.append(None)
            for place in places:
                report.checked += 1
                finding = _check(
                    engine, busy, names, item.id, meeting_type, place, assigned, window, now
                )
                if finding is None:
                    report.bookable += 1
                else:
                    report.findings.append(finding)
    return report


@dataclass(frozen=True, slots=True)
class _Window:
    first_day: date
    last_day: date
    days: int
    timezone: str  # the organisation's, for "any office"


def _check(
    engine: model.Organisation,
    busy: model.Busy,
    names: _Names,
    subject: str,
    meeting_type: str,
    office: str | None,
    assigned: set[str],
    window: _Window,
    now: datetime,
) -> Finding | None:
    """None when the combination offers a slot in the window, else why not."""
    tz = window.timezone if office is None else engine.offices[office].timezone
    if office is not None or meeting_type in model.REMOTE_MEETING_TYPES:
        query = model.SlotQuery(
            subject, meeting_type, office, None, window.first_day, window.last_day, tz
        )
        if availability.find_slots(engine, busy, query, now):
            return None
    reasons = availability.explain(
        engine,
        busy,
        subject,
        meeting_type,
        office,
        None,
        window.first_day,
        window.last_day,
        tz,
        now,
    )
    if office is None:  # any office: only those where the subject is assigned
        reasons = [r for r in reasons if r.office in assigned]
    sentences = list(dict.fromkeys(sentence(r, names, engine, window.days) for r in reasons))
    if not sentences:
        sentences = [f"no office offers {names.subjects[subject]} {HOW[meeting_type]}"]
    where = "(any office)" if office is None else f"at {names.offices[office]}"
    return Finding(
        subject=subject,
        meeting_type=meeting_type,
        office=office,
        title=f"{names.subjects[subject]} {HOW[meeting_type]} {where}",
        reasons=tuple(reasons),
        sentences=tuple(sentences),
    )


def _organisation_problems(
    loaded: config.LoadedOrganisation, names: _Names, subject: str | None, office: str | None
) -> list[str]:
    org = loaded.organisation
    problems: list[str] = []
    subjects = [s for s in org.subjects if subject is None or s.id == subject]
    offices = [o for o in org.offices if office is None or o.id == office]
    for item in subjects:
        name = names.subjects[item.id]
        if not item.available_for_customers:
            problems.append(
                f"{name} is hidden from customers (available_for_customers = false):"
                " only an agent's invite link can book it."
            )
        if not item.meeting_types:
            problems.append(
                f"{name} has no meeting type enabled ([subjects.meeting_types.X] is missing)."
            )
        if not any(item.id in o.subjects for o in org.offices if o.active):
            problems.append(f"{name} is not offered in any active office ([offices.subjects]).")
    for place in offices:
        if not place.active:
            problems.append(
                f"{names.offices[place.id]} is switched off (active = false):"
                " nothing there can be booked."
            )
        for subject_id, assignment in place.subjects.items():
            if (subject is None or subject_id == subject) and not assignment.agents:
                problems.append(
                    f"Nobody is assigned to {names.subjects.get(subject_id, subject_id)}"
                    f" at {names.offices[place.id]}."
                )
    for agent in org.agents:
        if office is not None and office not in agent.offices:
            continue
        if not agent.active:
            problems.append(f"{agent.name} is not active (active = false).")
        elif not agent.online_planning:
            problems.append(f"{agent.name} is not planning online (online_planning = false).")
    return problems


def all_agents(loaded: config.LoadedOrganisation) -> list[str]:
    return [agent.id for agent in loaded.organisation.agents]


def calendar_policy(loaded: config.LoadedOrganisation) -> Policy:
    """Who links a calendar and how stale its data may be (as `Snapshot.calendar_policy`)."""
    org = loaded.organisation
    return Policy(links_of(org), timedelta(hours=org.organisation.calendar_max_stale_hours))


async def stored_busy(
    database: Path | None, loaded: config.LoadedOrganisation, now: datetime, days: int
) -> model.Busy:
    """Every agent's busy time over the window, from `database` if that file exists."""
    if database is None or not database.exists():
        return model.Busy()
    from server.booking.occupancy import load_busy
    from server.store import open_store

    store = await open_store(database)
    try:
        return await load_busy(
            store,
            all_agents(loaded),
            now - timedelta(days=1),
            now + timedelta(days=days + 2),
            now,
            calendars=calendar_policy(loaded),
        )
    finally:
        await store.close()


async def stored_day(
    database: Path | None,
    loaded: config.LoadedOrganisation,
    agent: str,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[model.Busy, CalendarRow | None]:
    """One agent's busy time over `[start, end)` and its stored calendar, from
    `database` if that file exists (`rendezvous doctor --agent`)."""
    if database is None or not database.exists():
        return model.Busy(), None
    from server.booking.occupancy import load_busy
    from server.store import open_store

    store = await open_store(database)
    try:
        busy = await load_busy(store, [agent], start, end, now, calendars=calendar_policy(loaded))
        return busy, (await store.calendars([agent])).get(agent)
    finally:
        await store.close()
