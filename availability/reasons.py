"""`explain`: why nothing is offered, in the reason codes of SPEC section 4.

Each agent is reported once, with the first condition of the table at which all of
its starts in the window have failed: OUTSIDE_HOURS when it has no start on a block's
grid, TOO_SOON when all of those are too early, TOO_FAR when the rest lie beyond the
horizon, CALENDAR_UNAVAILABLE when the agent's own calendar cannot be read (SPEC 12),
else the busy time that covers what is left (TIME_OFF, the agent's own, before BUSY
before HELD before BUSY_EXTERNAL, the order of the table).

`explain_start` answers the same question for one start of one agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from availability.clock import (
    ceil_minute,
    floor_minute,
    grid_starts,
    to_instant,
    wall_minute,
    zone,
)
from availability.conditions import (
    BUSY,
    BUSY_EXTERNAL,
    CALENDAR_UNAVAILABLE,
    HELD,
    NO_AGENT_ASSIGNED,
    OUTSIDE_HOURS,
    SUBJECT_NOT_AVAILABLE,
    TIME_OFF,
    TOO_FAR,
    TOO_SOON,
    agent_failure,
    allows,
    assigned_agents,
    blocks_on,
    busy_cause,
    office_failure,
    offices_in_scope,
    require_agent,
    rule_of,
    subject_failure,
)
from availability.model import Agent, Busy, Office, Organisation, PlanningRule


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason; `office` and `agent` are None when it is not about one of them."""

    code: str
    subject: str
    meeting_type: str | None
    office: str | None
    agent: str | None


def explain(
    org: Organisation,
    busy: Busy,
    subject: str,
    meeting_type: str,
    office: str | None,
    agent: str | None,
    first_day: date,
    last_day: date,
    timezone: str,
    now: datetime,
) -> list[Reason]:
    """Why no slot is offered; [] when `find_slots` would offer one.

    Unlike `find_slots`, `office` may be None for any meeting type: every office is
    then examined. Reasons come in office-id order, then agent-id order.
    """
    places = offices_in_scope(org, meeting_type, office, any_type=True)
    require_agent(org, agent)
    failure = subject_failure(org, subject, meeting_type)
    if failure is not None:
        kind = None if failure == SUBJECT_NOT_AVAILABLE else meeting_type
        return [Reason(failure, subject, kind, None, None)]
    window = _Window(first_day, last_day, timezone, now)
    reasons: list[Reason] = []
    for place in places:
        failure = office_failure(place, subject, meeting_type)
        if failure is not None:
            reasons.append(Reason(failure, subject, meeting_type, place.id, None))
            continue
        rule = rule_of(org, place, subject, meeting_type)
        people = sorted(assigned_agents(org, place, subject, agent), key=lambda person: person.id)
        if not people:
            reasons.append(Reason(NO_AGENT_ASSIGNED, subject, meeting_type, place.id, agent))
            continue
        for person in people:
            failure = agent_failure(person, subject) or window.failure(
                busy, place, person, subject, meeting_type, rule
            )
            if failure is None:
                return []
            reasons.append(Reason(failure, subject, meeting_type, place.id, person.id))
    return reasons


class _Window:
    def __init__(self, first_day: date, last_day: date, timezone: str, now: datetime) -> None:
        self.first_day, self.last_day = first_day, last_day
        self.zone = zone(timezone)
        self.now = now

    def failure(
        self,
        busy: Busy,
        office: Office,
        agent: Agent,
        subject: str,
        meeting_type: str,
        rule: PlanningRule,
    ) -> str | None:
        """Conditions 8 to 12 over every start of the window, in the order of the table."""
        starts = self._grid(office, agent, subject, meeting_type, rule)
        if not starts:
            return OUTSIDE_HOURS
        soonest = ceil_minute(self.now + timedelta(minutes=rule.earliest))
        starts = [(day, minute) for day, minute in starts if minute >= soonest]
        if not starts:
            return TOO_SOON
        tz = zone(office.timezone)
        horizon = self.now.astimezone(tz).date() + timedelta(days=rule.latest)
        starts = [(day, minute) for day, minute in starts if day <= horizon]
        if not starts:
            return TOO_FAR
        if agent.id in busy.unavailable:
            return CALENDAR_UNAVAILABLE
        length = timedelta(minutes=rule.duration + rule.trailing_buffer)
        causes = set()
        for _, minute in starts:
            start = to_instant(minute)
            cause = busy_cause(
                busy.occupations.get(agent.id, ()),
                busy.external.get(agent.id, ()),
                start,
                start + length,
                rule.max_concurrent,
                busy.time_off.get(agent.id, ()),
            )
            if cause is None:
                return None
            causes.add(cause)
        return next(code for code in (TIME_OFF, BUSY, HELD, BUSY_EXTERNAL) if code in causes)

    def _grid(
        self, office: Office, agent: Agent, subject: str, meeting_type: str, rule: PlanningRule
    ) -> list[tuple[date, int]]:
        """(local date, epoch minute) of every start on a block's grid in the window."""
        found = []
        day = self.first_day - timedelta(days=2)
        while day <= self.last_day + timedelta(days=2):
            for block in blocks_on(agent, day):
                if not allows(block, office.id, subject, meeting_type):
                    continue
                for minute in grid_starts(
                    office.timezone,
                    day,
                    wall_minute(block.start),
                    wall_minute(block.end),
                    rule.granularity,
                    rule.duration,
                ):
                    local = to_instant(minute).astimezone(self.zone).date()
                    if self.first_day <= local <= self.last_day:
                        found.append((day, minute))
            day += timedelta(days=1)
        return found


def explain_start(
    org: Organisation,
    busy: Busy,
    subject: str,
    meeting_type: str,
    office: str,
    agent: str,
    start: datetime,
    now: datetime,
) -> str | None:
    """Why `agent` is not offered at `start` in `office` (None: it is), in the order of
    the table. A start that is not on a block's grid, or whose slot does not fit in the
    block, is OUTSIDE_HOURS (condition 9 has no code of its own). Unknown ids raise
    KeyError, as for `explain`."""
    place = org.offices[office]
    person = org.agents[agent]
    failure = subject_failure(org, subject, meeting_type) or office_failure(
        place, subject, meeting_type
    )
    if failure is not None:
        return failure
    if agent not in place.subjects[subject].agents:
        return NO_AGENT_ASSIGNED
    failure = agent_failure(person, subject)
    if failure is not None:
        return failure
    rule = rule_of(org, place, subject, meeting_type)
    minute = floor_minute(start)
    day = start.astimezone(zone(place.timezone)).date()
    on_grid = to_instant(minute) == start and any(
        allows(block, office, subject, meeting_type)
        and minute
        in grid_starts(
            place.timezone,
            day,
            wall_minute(block.start),
            wall_minute(block.end),
            rule.granularity,
            rule.duration,
        )
        for block in blocks_on(person, day)
    )
    if not on_grid:
        return OUTSIDE_HOURS
    if minute < ceil_minute(now + timedelta(minutes=rule.earliest)):
        return TOO_SOON
    if day > now.astimezone(zone(place.timezone)).date() + timedelta(days=rule.latest):
        return TOO_FAR
    if agent in busy.unavailable:
        return CALENDAR_UNAVAILABLE
    return busy_cause(
        busy.occupations.get(agent, ()),
        busy.external.get(agent, ()),
        start,
        start + timedelta(minutes=rule.duration + rule.trailing_buffer),
        rule.max_concurrent,
        busy.time_off.get(agent, ()),
    )
