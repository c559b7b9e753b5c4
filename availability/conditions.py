"""The conditions of SPEC section 4, one question at a time.

`find_slots` answers them for many starts at once with bitmasks; the helpers here
answer them one office, agent or start at a time, for `candidates` and `explain`,
and give both paths the same reading of the organisation.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter

from availability.model import (
    MEETING_TYPES,
    REMOTE_MEETING_TYPES,
    Agent,
    Block,
    Interval,
    Occupation,
    Office,
    Organisation,
    PlanningRule,
)

SUBJECT_NOT_AVAILABLE = "SUBJECT_NOT_AVAILABLE"
MEETING_TYPE_NOT_ENABLED = "MEETING_TYPE_NOT_ENABLED"
OFFICE_INACTIVE = "OFFICE_INACTIVE"
MEETING_TYPE_NOT_ENABLED_FOR_OFFICE = "MEETING_TYPE_NOT_ENABLED_FOR_OFFICE"
NO_AGENT_ASSIGNED = "NO_AGENT_ASSIGNED"
AGENT_NO_EXPERTISE = "AGENT_NO_EXPERTISE"
AGENT_INACTIVE = "AGENT_INACTIVE"
AGENT_NOT_ONLINE = "AGENT_NOT_ONLINE"
OUTSIDE_HOURS = "OUTSIDE_HOURS"
TOO_SOON = "TOO_SOON"
TOO_FAR = "TOO_FAR"
BUSY = "BUSY"
HELD = "HELD"
BUSY_EXTERNAL = "BUSY_EXTERNAL"
TIME_OFF = "TIME_OFF"
#: SPEC 12: the agent's own calendar has not been read for too long; they offer nothing.
CALENDAR_UNAVAILABLE = "CALENDAR_UNAVAILABLE"

#: Every reason code, in the order of SPEC section 4's table.
REASON_CODES = (
    SUBJECT_NOT_AVAILABLE,
    MEETING_TYPE_NOT_ENABLED,
    OFFICE_INACTIVE,
    MEETING_TYPE_NOT_ENABLED_FOR_OFFICE,
    NO_AGENT_ASSIGNED,
    AGENT_NO_EXPERTISE,
    AGENT_INACTIVE,
    AGENT_NOT_ONLINE,
    OUTSIDE_HOURS,
    TOO_SOON,
    TOO_FAR,
    BUSY,
    HELD,
    BUSY_EXTERNAL,
    TIME_OFF,
    CALENDAR_UNAVAILABLE,
)

_START = attrgetter("start")


def subject_failure(org: Organisation, subject: str, meeting_type: str) -> str | None:
    """Conditions 1 and 2. Raises KeyError for an unknown subject."""
    found = org.subjects[subject]
    if not found.available_for_customers:
        return SUBJECT_NOT_AVAILABLE
    if meeting_type not in found.meeting_types:
        return MEETING_TYPE_NOT_ENABLED
    return None


def offices_in_scope(
    org: Organisation, meeting_type: str, office: str | None, *, any_type: bool = False
) -> list[Office]:
    """The office asked for, or every office (sorted by id) when none is.

    Leaving the office out is allowed only for remote meeting types, unless
    `any_type` (diagnostics look at every office for any meeting type).
    """
    if office is not None:
        return [org.offices[office]]
    if not any_type and meeting_type not in REMOTE_MEETING_TYPES:
        raise ValueError(f"an office is required for meeting type {meeting_type!r}")
    return [org.offices[key] for key in sorted(org.offices)]


def office_failure(office: Office, subject: str, meeting_type: str) -> str | None:
    """Conditions 3 and 4."""
    if not office.active:
        return OFFICE_INACTIVE
    assignment = office.subjects.get(subject)
    if assignment is None or meeting_type not in assignment.meeting_types:
        return MEETING_TYPE_NOT_ENABLED_FOR_OFFICE
    return None


def require_agent(org: Organisation, agent: str | None) -> None:
    """Unknown agent ids raise KeyError (the server validates them first)."""
    if agent is not None and agent not in org.agents:
        raise KeyError(agent)


def agent_failure(agent: Agent, subject: str) -> str | None:
    """Conditions 6 and 7 (condition 5 is the assignment itself)."""
    if subject not in agent.expertise:
        return AGENT_NO_EXPERTISE
    if not agent.active:
        return AGENT_INACTIVE
    if not agent.online_planning:
        return AGENT_NOT_ONLINE
    return None


def assigned_agents(
    org: Organisation, office: Office, subject: str, agent: str | None
) -> Iterator[Agent]:
    """Agents assigned to `subject` in `office` (condition 5), optionally only one."""
    for key in office.subjects[subject].agents:
        if (agent is None or key == agent) and key in org.agents:
            yield org.agents[key]


def serves(agent: Agent, office: str, subject: str, meeting_type: str) -> bool:
    """Whether `agent` can ever be offered for `subject` by `meeting_type` at `office`,
    whatever the date: conditions 6 and 7, and a block (week or day template) at
    `office` that allows the subject and the meeting type (condition 8 without a date).
    Condition 5, the assignment, is the office's side: see `servers`."""
    if agent_failure(agent, subject) is not None:
        return False
    return any(
        allows(block, office, subject, meeting_type)
        for blocks in (*agent.week, *agent.days.values())
        for block in blocks
    )


def why_not_served(
    org: Organisation, agent: str, office: str, subject: str, meeting_type: str
) -> str | None:
    """The first of conditions 2 to 8, read without a date, that keeps `agent` from
    serving `subject` by `meeting_type` at `office`; None when they can (then the
    combination is among `servers`' if the subject is known). Condition 1 (the subject
    hidden from customers) is left to the caller: an invite opens a hidden subject.
    Unknown ids raise KeyError."""
    found = org.subjects[subject]
    place = org.offices[office]
    person = org.agents[agent]
    if meeting_type not in found.meeting_types:
        return MEETING_TYPE_NOT_ENABLED
    failure = office_failure(place, subject, meeting_type)
    if failure is not None:
        return failure
    if agent not in place.subjects[subject].agents:
        return NO_AGENT_ASSIGNED
    failure = agent_failure(person, subject)
    if failure is not None:
        return failure
    if not serves(person, office, subject, meeting_type):
        return OUTSIDE_HOURS
    return None


def closest(codes: Iterable[str]) -> str | None:
    """Of reason codes, the one furthest down SPEC 4's table: the failure that is nearest
    to being bookable, the one an operator acts on first. None for no codes."""
    return max(codes, key=REASON_CODES.index, default=None)


def servers(org: Organisation) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Per (subject, meeting type, office), the agents who can serve it: the office is
    active, the meeting type is enabled for the subject and in the office, and the agent
    is assigned there and `serves` it. Subjects hidden from customers are included (an
    invite books them); combinations nobody can serve are left out. In the order of the
    offices' ids, then the meeting types'; agents in the assignment's order."""
    found: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for office_id in sorted(org.offices):
        office = org.offices[office_id]
        if not office.active:
            continue
        for subject_id, assignment in office.subjects.items():
            subject = org.subjects.get(subject_id)
            if subject is None:
                continue
            for meeting_type in MEETING_TYPES:
                if (
                    meeting_type not in subject.meeting_types
                    or meeting_type not in assignment.meeting_types
                ):
                    continue
                able = tuple(
                    agent_id
                    for agent_id in assignment.agents
                    if agent_id in org.agents
                    and serves(org.agents[agent_id], office_id, subject_id, meeting_type)
                )
                if able:
                    found[(subject_id, meeting_type, office_id)] = able
    return found


def blocks_on(agent: Agent, day: date) -> tuple[Block, ...]:
    """The agent's blocks on a date: the day template if there is one, else the week's."""
    found = agent.days.get(day)
    return agent.week[day.weekday()] if found is None else found


def allows(block: Block, office: str, subject: str, meeting_type: str) -> bool:
    return (
        block.office == office
        and (block.subjects is None or subject in block.subjects)
        and (block.meeting_types is None or meeting_type in block.meeting_types)
    )


def busy_cause(
    occupations: Sequence[Occupation],
    external: Sequence[Interval],
    start: datetime,
    end: datetime,
    max_concurrent: int,
    time_off: Sequence[Interval] = (),
) -> str | None:
    """Condition 12 for `[start, end)`: None when free, else TIME_OFF, BUSY, HELD or
    BUSY_EXTERNAL.

    Time off (the agent's own, entered on the desk) comes first. The count of
    occupations is piecewise constant and only rises where one starts, so it is read at
    `start` and at every occupation start inside the interval. When the limit is
    reached, BUSY wins over HELD if an appointment takes part.
    """
    if time_off:
        upto = bisect_left(time_off, end, key=_START)
        if any(item.end > start for item in time_off[:upto]):
            return TIME_OFF
    upto = bisect_left(occupations, end, key=_START)
    present = [
        item
        for item in occupations[:upto]
        if item.end + timedelta(minutes=item.trailing_buffer) > start
    ]
    held = False
    for moment in [start, *(item.start for item in present if item.start > start)]:
        occupying = [
            item
            for item in present
            if item.start <= moment < item.end + timedelta(minutes=item.trailing_buffer)
        ]
        if len(occupying) >= max_concurrent:
            if not all(item.hold for item in occupying):
                return BUSY
            held = True
    if held:
        return HELD
    upto = bisect_left(external, end, key=_START)
    if any(item.end > start for item in external[:upto]):
        return BUSY_EXTERNAL
    return None


def rule_of(org: Organisation, office: Office, subject: str, meeting_type: str) -> PlanningRule:
    """The resolved rule of the office, or the subject's when the office has none."""
    found = office.subjects[subject].rules.get(meeting_type)
    return org.subjects[subject].meeting_types[meeting_type] if found is None else found
