"""`rendezvous doctor --agent A --date D`: one agent's day drawn in the terminal
(SPEC 12), to see why a time that looks free is or is not offered.

One row per step (the finest granularity of the agent's planning rules) from the first
to the last thing of the day, in the agent's zone, with five columns: the block of
hours (its office), Rendezvous's appointments, busy time from the agent's own
calendar (never its titles: there are none to show, only start and end are stored),
holds, and time off entered on the desk (SPEC 11; never its note). A row that looks
free (inside a block, nothing there) says, for every subject and meeting type the agent
serves at that office, whether a slot starting then is offered, and if not, the first
condition of SPEC 4 it fails (`availability.explain_start`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import availability
from availability import model
from availability.conditions import allows, blocks_on
from server import config, vocabulary
from server.calendars.links import links_of
from server.store import CalendarRow

#: Why a start is not offered, in a few words (the doctor's sentences are longer).
SHORT: Final = {
    availability.SUBJECT_NOT_AVAILABLE: "the subject is hidden from customers",
    availability.MEETING_TYPE_NOT_ENABLED: "the meeting type is not enabled",
    availability.OFFICE_INACTIVE: "the office is switched off",
    availability.MEETING_TYPE_NOT_ENABLED_FOR_OFFICE: "not offered at this office",
    availability.NO_AGENT_ASSIGNED: "not assigned at this office",
    availability.AGENT_NO_EXPERTISE: "not in the agent's expertise",
    availability.AGENT_INACTIVE: "the agent is not active",
    availability.AGENT_NOT_ONLINE: "the agent does not plan online",
    availability.OUTSIDE_HOURS: "not a start time (off the grid, or the slot runs past the block)",
    availability.TOO_SOON: "too soon (minimum notice)",
    availability.TOO_FAR: "beyond the booking horizon",
    availability.BUSY: "the slot runs into an appointment",
    availability.HELD: "the slot runs into a hold",
    availability.BUSY_EXTERNAL: "the slot runs into busy time in the agent's calendar",
    availability.TIME_OFF: "the slot runs into the agent's time off",
    availability.CALENDAR_UNAVAILABLE: "the agent's calendar cannot be read",
}
_MARKS: Final = {"appointment": "██", "external": "▓▓", "hold": "░░", "time_off": "╳╳"}


@dataclass(frozen=True, slots=True)
class _Row:
    moment: datetime  # UTC
    office: str | None  # the block this time is in
    appointment: bool
    external: bool
    hold: bool
    time_off: bool
    verdict: str


def zone_of(org: config.OrganisationFile, agent: config.Agent) -> str:
    """The agent's zone: its first office's, else the organisation's."""
    offices = {office.id: office for office in org.offices}
    first = offices.get(agent.offices[0]) if agent.offices else None
    return first.timezone if first is not None else org.organisation.timezone


def draw(
    loaded: config.LoadedOrganisation,
    busy: model.Busy,
    agent_id: str,
    day: date,
    now: datetime,
    calendar: CalendarRow | None = None,
) -> str:
    """The agent's day as lines of text."""
    org = loaded.organisation
    engine = loaded.engine
    agent = next(item for item in org.agents if item.id == agent_id)
    person = engine.agents[agent_id]
    zone = ZoneInfo(zone_of(org, agent))
    lang = org.organisation.languages[0]
    names = {office.id: vocabulary.text(office.name, lang, lang) for office in org.offices}
    served = _served(engine, agent_id)
    step = min((rule.granularity for _, _, _, rule in served), default=15)
    blocks = blocks_on(person, day)
    occupations = busy.occupations.get(agent_id, ())
    external = busy.external.get(agent_id, ())
    leave = busy.time_off.get(agent_id, ())
    start_of_day = datetime.combine(day, time(), zone).astimezone(UTC)
    end_of_day = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    moments = [
        moment
        for block in blocks
        for moment in (_at(day, block.start, zone), _at(day, block.end, zone))
    ]
    moments += [item.start for item in occupations] + [item.end for item in occupations]
    moments += [item.start for item in external] + [item.end for item in external]
    moments += [item.start for item in leave] + [item.end for item in leave]
    moments = [moment for moment in moments if start_of_day <= moment <= end_of_day]
    lines = [_title(agent, day, zone), _calendar_line(calendar, links_of(org).get(agent_id))]
    if not moments:
        lines += [
            "",
            "  Nothing this day: no hours, no appointments, no busy time, no holds, no time off.",
        ]
        return "\n".join(lines)
    first = max(_floor_hour(min(moments), zone), start_of_day)
    last = min(_ceil_hour(max(moments), zone), end_of_day)
    rows: list[_Row] = []
    moment = first
    while moment < last:
        local = moment.astimezone(zone)
        block = next(
            (
                item
                for item in blocks
                if _at(day, item.start, zone) <= moment < _at(day, item.end, zone)
            ),
            None,
        )
        appointment = _covered(
            (
                (o.start, o.end + timedelta(minutes=o.trailing_buffer))
                for o in occupations
                if not o.hold
            ),
            moment,
        )
        hold = _covered(((o.start, o.end) for o in occupations if o.hold), moment)
        outside = _covered(((i.start, i.end) for i in external), moment)
        off = _covered(((i.start, i.end) for i in leave), moment)
        if block is None or appointment or hold or outside or off or local.date() != day:
            verdict = ""
        else:
            verdict = _verdict(engine, busy, served, block.office, agent_id, moment, now)
        office = block.office if block else None
        rows.append(_Row(moment, office, appointment, outside, hold, off, verdict))
        moment += timedelta(minutes=step)
    width = max((len(names.get(row.office or "", "")) for row in rows), default=5)
    width = max(width, len("hours"))
    header = (
        f"  {'time':5}  {'hours':{width}}  {'appt':4}  {'cal.':4}  {'hold':4}  {'off':4}  offered?"
    )
    lines += ["", header]
    for row in rows:
        lines.append(
            "  "
            + "  ".join(
                [
                    row.moment.astimezone(zone).strftime("%H:%M"),
                    f"{names.get(row.office or '', '·') if row.office else '·':{width}}",
                    f"{_MARKS['appointment'] if row.appointment else '·':4}",
                    f"{_MARKS['external'] if row.external else '·':4}",
                    f"{_MARKS['hold'] if row.hold else '·':4}",
                    f"{_MARKS['time_off'] if row.time_off else '·':4}",
                    row.verdict,
                ]
            ).rstrip()
        )
    lines += [
        "",
        f"  {_MARKS['appointment']} appointment (confirmed or requested, with its trailing"
        f" buffer)   {_MARKS['external']} busy in the agent's own calendar",
        f"  {_MARKS['hold']} held by a customer who is booking   "
        f"{_MARKS['time_off']} time off (entered on the desk)",
        f"  Times are in {zone.key}; a row is {step} minutes. 'offered?' is asked for rows"
        " that look free, for each subject and meeting type the agent serves there.",
    ]
    return "\n".join(lines)


def _served(
    engine: model.Organisation, agent: str
) -> list[tuple[str, str, str, model.PlanningRule]]:
    """(subject, meeting type, office, rule) the agent is assigned to and can serve."""
    found = []
    for office in engine.offices.values():
        for subject, assignment in office.subjects.items():
            if agent not in assignment.agents or subject not in engine.subjects:
                continue
            for meeting_type in model.MEETING_TYPES:
                if meeting_type not in assignment.meeting_types:
                    continue
                rule = assignment.rules.get(meeting_type) or engine.subjects[
                    subject
                ].meeting_types.get(meeting_type)
                if rule is not None:
                    found.append((subject, meeting_type, office.id, rule))
    return sorted(found, key=lambda item: (item[2], item[0], model.MEETING_TYPES.index(item[1])))


def _verdict(
    engine: model.Organisation,
    busy: model.Busy,
    served: Sequence[tuple[str, str, str, model.PlanningRule]],
    office: str,
    agent: str,
    moment: datetime,
    now: datetime,
) -> str:
    here = [(s, m) for s, m, o, _ in served if o == office]
    person = engine.agents[agent]
    here = [
        (s, m)
        for s, m in here
        if any(
            allows(block, office, s, m)
            for blocks in (*person.week, *person.days.values())
            for block in blocks
        )
    ]
    if not here:
        return "no: nothing is offered by this agent here"
    offered: list[str] = []
    refused: dict[str, list[str]] = {}
    for subject, meeting_type in here:
        code = availability.explain_start(
            engine, busy, subject, meeting_type, office, agent, moment, now
        )
        label = f"{subject} {meeting_type}"
        if code is None:
            offered.append(label)
        else:
            refused.setdefault(code, []).append(label)
    parts = []
    if offered:
        parts.append("yes: " + ", ".join(offered))
    for code, labels in refused.items():
        parts.append(f"no ({', '.join(labels)}): {code}, {SHORT.get(code, code)}")
    return "; ".join(parts)


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, zone).astimezone(UTC)


def _covered(spans: Iterable[tuple[datetime, datetime]], moment: datetime) -> bool:
    return any(start <= moment < end for start, end in spans)


def _floor_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def _ceil_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    floor = _floor_hour(moment, zone)
    return floor if floor == moment else floor + timedelta(hours=1)


def _title(agent: config.Agent, day: date, zone: ZoneInfo) -> str:
    return f"{agent.name} ({agent.id}) on {day.strftime('%A')} {day.isoformat()}, in {zone.key}"


def _calendar_line(row: CalendarRow | None, link: object) -> str:
    if link is None:
        return "Calendar: none linked"
    if row is None:
        return "Calendar: linked, not read yet"
    worked = row.worked_at.strftime("%Y-%m-%d %H:%M UTC") if row.worked_at else "never"
    state = "works" if row.problem is None else f"cannot be read: {row.error}"
    return f"Calendar: {row.kind}, last worked {worked}, {row.intervals} busy intervals; {state}"


__all__ = ["SHORT", "draw", "zone_of"]
