"""Re-checking one start inside the booking transaction, and choosing its agent."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter

from availability.clock import ceil_minute, floor_minute, grid_starts, to_instant, wall_minute, zone
from availability.conditions import (
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
from availability.model import Agent, Block, Busy, Office, Organisation, PlanningRule

_START = attrgetter("start")


@dataclass(frozen=True, slots=True)
class Candidate:
    """An agent in an office who can take the appointment at `start`.

    `confirm_manually` is True when the booking becomes a request the agent accepts:
    the block asks for it, or the planning rule does not auto-accept.
    """

    agent: str
    office: str
    rule: PlanningRule
    start: datetime  # UTC
    end: datetime  # UTC
    confirm_manually: bool


def candidates(
    org: Organisation,
    busy: Busy,
    subject: str,
    meeting_type: str,
    office: str | None,
    agent: str | None,
    start: datetime,
    now: datetime,
    duration: int | None = None,
) -> list[Candidate]:
    """Every (agent, office) that offers `start` right now: all twelve conditions.

    With `duration`, only offices whose rule gives exactly that duration count (what
    the customer was shown). Sorted by office id, then in assignment order. Errors as
    for `find_slots`.
    """
    offices = offices_in_scope(org, meeting_type, office)
    require_agent(org, agent)
    if subject_failure(org, subject, meeting_type) is not None:
        return []
    minute = floor_minute(start)
    instant = to_instant(minute)
    if instant != start:
        return []  # grid starts are whole minutes
    found = []
    for place in offices:
        if office_failure(place, subject, meeting_type) is not None:
            continue
        rule = rule_of(org, place, subject, meeting_type)
        if duration is not None and rule.duration != duration:
            continue
        tz = zone(place.timezone)
        day = instant.astimezone(tz).date()
        if minute < ceil_minute(now + timedelta(minutes=rule.earliest)):
            continue
        if day > now.astimezone(tz).date() + timedelta(days=rule.latest):
            continue
        end = instant + timedelta(minutes=rule.duration)
        occupied_until = end + timedelta(minutes=rule.trailing_buffer)
        for person in assigned_agents(org, place, subject, agent):
            if agent_failure(person, subject) is not None or person.id in busy.unavailable:
                continue
            block = _block_at(person, place, subject, meeting_type, rule, minute, day)
            if block is None:
                continue
            cause = busy_cause(
                busy.occupations.get(person.id, ()),
                busy.external.get(person.id, ()),
                instant,
                occupied_until,
                rule.max_concurrent,
                busy.time_off.get(person.id, ()),
            )
            if cause is None:
                manual = block.confirm_manually or not rule.auto_accept
                found.append(Candidate(person.id, place.id, rule, instant, end, manual))
    return found


def offered(options: Sequence[Candidate]) -> list[Candidate]:
    """The options of the duration `find_slots` offers for their start: the shortest
    (one start is one offer; see `availability.slots`)."""
    if not options:
        return []
    shortest = min(option.rule.duration for option in options)
    return [option for option in options if option.rule.duration == shortest]


def _block_at(
    agent: Agent,
    office: Office,
    subject: str,
    meeting_type: str,
    rule: PlanningRule,
    minute: int,
    day: date,
) -> Block | None:
    """The block whose grid offers `minute` (conditions 8 and 9), if any."""
    for block in blocks_on(agent, day):
        if allows(block, office.id, subject, meeting_type) and minute in grid_starts(
            office.timezone,
            day,
            wall_minute(block.start),
            wall_minute(block.end),
            rule.granularity,
            rule.duration,
        ):
            return block
    return None


def choose_agent(
    org: Organisation, busy: Busy, options: Sequence[Candidate], preferred: str | None = None
) -> Candidate:
    """The candidate who gets the booking (SPEC section 4).

    The preferred agent when they are among the options; otherwise the fewest
    appointments (holds do not count) on that local day in the office's zone, then
    in that local ISO week, then the agent id, then the office id.
    """
    if not options:
        raise ValueError("no candidate to choose from")
    named = [option for option in options if option.agent == preferred]
    return min(named or options, key=lambda option: _load(org, busy, option))


def _load(org: Organisation, busy: Busy, option: Candidate) -> tuple[int, int, str, str]:
    tz = zone(org.offices[option.office].timezone)
    day = option.start.astimezone(tz).date()
    monday = day - timedelta(days=day.weekday())
    occupations = busy.occupations.get(option.agent, ())
    # A local week lies within these UTC bounds whatever the zone's offset.
    earliest = datetime.combine(monday - timedelta(days=1), datetime.min.time(), UTC)
    latest = earliest + timedelta(days=9)
    on_day = in_week = 0
    for item in occupations[
        bisect_left(occupations, earliest, key=_START) : bisect_left(
            occupations, latest, key=_START
        )
    ]:
        if item.hold:
            continue
        local = item.start.astimezone(tz).date()
        if local == day:
            on_day += 1
        if monday <= local <= monday + timedelta(days=6):
            in_week += 1
    return on_day, in_week, option.agent, option.office
