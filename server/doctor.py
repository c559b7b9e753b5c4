"""`rendezvous doctor`: why something cannot be booked, in words (SPEC 4 and 8).

For every subject × meeting type × office that enables it (a meeting type no office
enables is examined once, as "no office") that offers nothing in the next N days, the
engine's `explain` gives reason codes; `server.explanations` turns each into a sentence
an office manager understands. Before them come organisation-level problems (hidden
subjects, switched-off offices, inactive agents, rules that can never be met: the
warnings of `rendezvous check`) and agents assigned where they can never serve (the
office is not theirs, the expertise is missing, no hours there), whether or not a
colleague can.

The number of bookable combinations is `config.bookable_combinations`, the count that
`rendezvous check` prints; the doctor adds how many of them have a free time.

The window starts today in the organisation's time zone. Busy time comes from the
database when one is given (the CLI uses RENDEZVOUS_DATABASE if the file exists);
without one, every agent is taken to be free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import availability
from availability import model
from availability.conditions import allows
from server import config
from server.calendars.intervals import Policy
from server.calendars.links import links_of
from server.config.warnings import rule_warnings
from server.explanations import (
    BLOCKS_TOO_SHORT,
    HOW,
    MESSAGES,
    NOTICE_BEYOND_HORIZON,
    Names,
    never_met,
)
from server.store import CalendarRow

EXIT_OK: Final = 0
EXIT_NOTHING_BOOKABLE: Final = 1


@dataclass(frozen=True, slots=True)
class Finding:
    """One combination that offers nothing, and why."""

    subject: str
    meeting_type: str
    office: str | None  # None: no office offers it
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
    #: Agents assigned where they can never serve, even when others can.
    assignment_problems: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Combinations examined: each subject × meeting type it enables × office enabling it.
    checked: int = 0
    #: Those customers can book, whatever the date (`config.bookable_combinations`, the
    #: count of `rendezvous check`).
    bookable: int = 0
    #: Those with a free time in the window.
    free: int = 0
    subject_names: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.free else EXIT_NOTHING_BOOKABLE

    def text(self) -> str:
        lines = [
            f"Checked {self.checked} combinations of subject, meeting type and office"
            f" over {self.days} days from {self.first_day.isoformat()}:"
            f" {self.bookable} can be booked (as `rendezvous check` counts them),"
            f" {self.free} with a free time.",
            "",
            "Organisation",
        ]
        lines += [f"  - {problem}" for problem in self.organisation_problems] or ["  - no problems"]
        if self.assignment_problems:
            lines += ["", "Assignments"]
            lines += [f"  - {problem}" for problem in self.assignment_problems]
        by_subject: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_subject.setdefault(finding.subject, []).append(finding)
        for subject, findings in by_subject.items():
            lines += ["", f"{self.subject_names.get(subject, subject)} ({subject})"]
            lines += [f"  - {finding.line()}" for finding in findings]
        if self.bookable == 0:
            lines += ["", "Nothing at all can be booked: customers will see no categories."]
        elif self.free == 0:
            lines += [
                "",
                f"Nothing can be booked in these {self.days} days: customers will see no free"
                " times.",
            ]
        return "\n".join(lines)


def sentence(
    reason: availability.Reason,
    names: Names,
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
        **names.fields(
            subject=reason.subject,
            meeting_type=reason.meeting_type,
            office=reason.office,
            agent=reason.agent,
        ),
        "days": days,
        "earliest": rule.earliest if rule else "?",
        "latest": rule.latest if rule else "?",
        "duration": rule.duration if rule else "?",
    }
    template = MESSAGES.get(reason.code, "{code}")
    too_soon_or_far = reason.code in (availability.TOO_SOON, availability.TOO_FAR)
    if rule is not None and too_soon_or_far and never_met(rule):
        template = NOTICE_BEYOND_HORIZON
    if (
        rule is not None
        and reason.code == availability.OUTSIDE_HOURS
        and reason.agent is not None
        and reason.office is not None
        and reason.meeting_type is not None
        and _blocks_too_short(engine, reason, rule)
    ):
        template = BLOCKS_TOO_SHORT
    return template.format(code=reason.code, **fields)


def _blocks_too_short(
    engine: model.Organisation, reason: availability.Reason, rule: model.PlanningRule
) -> bool:
    """The agent has blocks at the office that allow the subject and meeting type, and
    every one of them is shorter than the appointment."""
    agent = engine.agents.get(reason.agent or "")
    if agent is None:
        return False
    lengths = [
        (block.end.hour - block.start.hour) * 60 + block.end.minute - block.start.minute
        for blocks in (*agent.week, *agent.days.values())
        for block in blocks
        if allows(block, reason.office or "", reason.subject, reason.meeting_type or "")
    ]
    return bool(lengths) and max(lengths) < rule.duration


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
    names = Names(loaded)
    zone = ZoneInfo(org.organisation.timezone)
    first_day = now.astimezone(zone).date()
    last_day = first_day + timedelta(days=days - 1)
    window = _Window(first_day, last_day, days, org.organisation.timezone)
    report = Report(days=days, first_day=first_day, subject_names=dict(names.subjects))
    report.organisation_problems = _organisation_problems(loaded, names, subject, office)
    report.assignment_problems = _assignment_problems(loaded, names, subject, office)
    bookable = {
        combination
        for combination in config.bookable_combinations(engine)
        if (subject is None or combination[0] == subject)
        and (office is None or combination[2] == office)
    }
    report.bookable = len(bookable)
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
            places = [
                o.id
                for o in offices
                if item.id in o.subjects and meeting_type in o.subjects[item.id].meeting_types
            ]
            anywhere = any(
                item.id in o.subjects and meeting_type in o.subjects[item.id].meeting_types
                for o in org.offices
            )
            if not anywhere:
                finding = _check(
                    engine, busy, names, item.id, meeting_type, None, assigned, window, now
                )
                if finding is not None:
                    report.findings.append(finding)
                continue
            for place in places:
                report.checked += 1
                finding = _check(
                    engine, busy, names, item.id, meeting_type, place, assigned, window, now
                )
                if finding is None:
                    report.free += 1
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
    names: Names,
    subject: str,
    meeting_type: str,
    office: str | None,
    assigned: set[str],
    window: _Window,
    now: datetime,
) -> Finding | None:
    """None when the combination offers a slot in the window, else why not."""
    tz = window.timezone if office is None else engine.offices[office].timezone
    if office is not None:
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
    if office is None:  # no office offers it: those where the subject is assigned
        reasons = [r for r in reasons if r.office in assigned]
    sentences = list(dict.fromkeys(sentence(r, names, engine, window.days) for r in reasons))
    if not sentences:
        sentences = [f"no office offers {names.subjects[subject]} {HOW[meeting_type]}"]
    where = "" if office is None else f" at {names.offices[office]}"
    return Finding(
        subject=subject,
        meeting_type=meeting_type,
        office=office,
        title=f"{names.subjects[subject]} {HOW[meeting_type]}{where}",
        reasons=tuple(reasons),
        sentences=tuple(sentences),
    )


def _organisation_problems(
    loaded: config.LoadedOrganisation, names: Names, subject: str | None, office: str | None
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
    for warning in rule_warnings(loaded):
        if any(
            (subject is None or s == subject) and (office is None or o == office)
            for s, _, o in warning.combinations
        ):
            problems.append(f"{warning}.")
    return problems


def _assignment_problems(
    loaded: config.LoadedOrganisation, names: Names, subject: str | None, office: str | None
) -> list[str]:
    """Agents assigned to a subject at an office where they can never serve it, whether or
    not someone else can: the office is not theirs, the expertise is missing, or they
    have no hours there that allow it (inactive and offline agents are reported above)."""
    engine = loaded.engine
    linked = {agent.id: set(agent.offices) for agent in loaded.organisation.agents}
    problems: list[str] = []
    for place in loaded.organisation.offices:
        if not place.active or (office is not None and place.id != office):
            continue
        for subject_id, assignment in place.subjects.items():
            if (subject is not None and subject_id != subject) or subject_id not in engine.subjects:
                continue
            enabled = [
                m
                for m in model.MEETING_TYPES
                if m in assignment.meeting_types and m in engine.subjects[subject_id].meeting_types
            ]
            for agent_id in dict.fromkeys(assignment.agents):
                agent = engine.agents.get(agent_id)
                if agent is None or not (agent.active and agent.online_planning):
                    continue
                fields = names.fields(subject=subject_id, office=place.id, agent=agent_id)
                if place.id not in linked[agent_id]:
                    problems.append(
                        "{agent} is assigned to {subject} at {office}, but {office} is not one"
                        " of their offices (agents.offices).".format(**fields)
                    )
                    continue
                codes = {
                    m: availability.why_not_served(engine, agent_id, place.id, subject_id, m)
                    for m in enabled
                }
                if availability.AGENT_NO_EXPERTISE in codes.values():
                    problems.append(
                        "{agent} is assigned to {subject} at {office} but does not have"
                        " {subject} in their expertise (agents.expertise).".format(**fields)
                    )
                    continue
                missing = [m for m, code in codes.items() if code == availability.OUTSIDE_HOURS]
                if missing:
                    how = (
                        ""
                        if len(missing) == len(enabled)
                        else " " + " or ".join(HOW[m] for m in missing)
                    )
                    problems.append(
                        "{agent} is assigned to {subject} at {office} but has no hours there"
                        " that allow it{how} (agents.week and agents.days).".format(
                            **{**fields, "how": how}
                        )
                    )
    return problems


def all_agents(loaded: config.LoadedOrganisation) -> list[str]:
    return [agent.id for agent in loaded.organisation.agents]


def calendar_policy(loaded: config.LoadedOrganisation) -> Policy:
    """Who links a calendar and how stale its data may be (as `Snapshot.calendar_policy`)."""
    org = loaded.organisation
    return Policy(links_of(org), timedelta(hours=org.organisation.calendar_max_stale_hours))


async def stored_busy(
    database: str | Path | None, loaded: config.LoadedOrganisation, now: datetime, days: int
) -> model.Busy:
    """Every agent's busy time over the window, from `database` if that file exists (a
    PostgreSQL URL always does)."""
    if database is None or (isinstance(database, Path) and not database.exists()):
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
    database: str | Path | None,
    loaded: config.LoadedOrganisation,
    agent: str,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[model.Busy, CalendarRow | None]:
    """One agent's busy time over `[start, end)` and its stored calendar, from
    `database` if that file exists (`rendezvous doctor --agent`)."""
    if database is None or (isinstance(database, Path) and not database.exists()):
        return model.Busy(), None
    from server.booking.occupancy import load_busy
    from server.store import open_store

    store = await open_store(database)
    try:
        busy = await load_busy(store, [agent], start, end, now, calendars=calendar_policy(loaded))
        return busy, (await store.calendars([agent])).get(agent)
    finally:
        await store.close()
