"""A synthetic organisation of realistic shape, for the benchmark.

Offices spread over several zones; agents with ordinary week templates (full-time,
early shifts, part-timers, some Saturday mornings), a few days off, about 40 % of
their hours booked, and external busy events (team meetings, training).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from availability import (
    OFFICE,
    PHONE,
    VIDEO,
    Agent,
    Block,
    Busy,
    Interval,
    Occupation,
    Office,
    OfficeSubject,
    Organisation,
    PlanningRule,
    Subject,
)

ZONES = (
    "Europe/Brussels",
    "Europe/Brussels",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "Australia/Sydney",
    "Asia/Kolkata",
)
SUBJECTS = (
    "mortgage",
    "savings",
    "insurance",
    "pension",
    "loans",
    "investments",
    "accounts",
    "business",
)
#: Week templates as (weekday, start, end) in wall-clock hours and minutes.
TEMPLATES = {
    "full-time": [(day, (9, 0), (12, 30)) for day in range(5)]
    + [(day, (13, 30), (17, 0)) for day in range(5)],
    "early": [(day, (8, 0), (12, 0)) for day in range(5)]
    + [(day, (12, 30), (16, 30)) for day in range(5)],
    "part-time": [(day, (9, 0), (13, 0)) for day in (0, 1, 3)],
    "late": [(day, (10, 0), (13, 0)) for day in range(1, 6)]
    + [(day, (14, 0), (19, 0)) for day in range(1, 5)],
}
TEMPLATE_WEIGHTS = {"full-time": 6, "early": 2, "part-time": 2, "late": 1}
BOOKED = 0.4


def generate(
    offices: int, agents: int, seed: int, days: int, now: datetime, *, all_mortgage: bool = False
) -> tuple[Organisation, Busy]:
    """`all_mortgage`: every agent has the mortgage expertise (else about 60 %), so a
    mortgage query at one office searches all its agents. Planning rules look 90 or 120
    days ahead: a 62-day query is answered over all its 62 days."""
    rng = random.Random(seed)
    subjects = {key: _subject(rng, key) for key in SUBJECTS}
    office_ids = [f"office-{index:03d}" for index in range(offices)]
    zones = {key: ZONES[index % len(ZONES)] for index, key in enumerate(office_ids)}
    people: dict[str, Agent] = {}
    staff: dict[str, list[str]] = {key: [] for key in office_ids}
    start_day = now.date() - timedelta(days=1)
    for index in range(agents):
        key = f"agent-{index:04d}"
        office = office_ids[index % offices]
        staff[office].append(key)
        people[key] = _agent(rng, key, office, start_day, days, all_mortgage)
    organisation = Organisation(
        subjects=subjects,
        offices={
            key: _office(rng, key, zones[key], subjects, [people[a] for a in staff[key]])
            for key in office_ids
        },
        agents=people,
    )
    occupations: dict[str, list[Occupation]] = {}
    external: dict[str, list[Interval]] = {}
    for index, (key, agent) in enumerate(people.items()):
        zone = ZoneInfo(zones[office_ids[index % offices]])
        occupations[key], external[key] = _busy(rng, agent, zone, start_day, days + 2)
    return organisation, Busy(occupations=occupations, external=external)


def _subject(rng: random.Random, key: str) -> Subject:
    def rule() -> PlanningRule:
        return PlanningRule(
            duration=rng.choice([30, 30, 45, 60]),
            granularity=rng.choice([15, 15, 30]),
            trailing_buffer=rng.choice([0, 0, 10, 15]),
            earliest=rng.choice([60, 240, 1440]),
            latest=rng.choice([90, 120]),
            auto_accept=rng.random() < 0.8,
        )

    return Subject(key, meeting_types={OFFICE: rule(), VIDEO: rule(), PHONE: rule()})


def _office(
    rng: random.Random, key: str, zone: str, subjects: dict[str, Subject], staff: list[Agent]
) -> Office:
    assignments = {}
    for subject in subjects.values():
        rules = dict(subject.meeting_types)
        if rng.random() < 0.1:  # an office override of one field
            rules[VIDEO] = PlanningRule(
                duration=rules[VIDEO].duration + 15,
                granularity=rules[VIDEO].granularity,
                trailing_buffer=rules[VIDEO].trailing_buffer,
                earliest=rules[VIDEO].earliest,
                latest=rules[VIDEO].latest,
            )
        assignments[subject.id] = OfficeSubject(
            meeting_types=frozenset(rules),
            agents=tuple(agent.id for agent in staff if subject.id in agent.expertise),
            rules=rules,
        )
    return Office(key, zone, subjects=assignments)


def _agent(
    rng: random.Random, key: str, office: str, start_day: date, days: int, all_mortgage: bool
) -> Agent:
    template = rng.choices(list(TEMPLATE_WEIGHTS), weights=list(TEMPLATE_WEIGHTS.values()))[0]
    week: list[list[Block]] = [[] for _ in range(7)]
    video_afternoons = rng.random() < 0.2
    for weekday, start, end in TEMPLATES[template]:
        only_video = video_afternoons and start[0] >= 12
        week[weekday].append(
            Block(
                time(*start),
                time(*end),
                office,
                meeting_types=frozenset({VIDEO}) if only_video else None,
            )
        )
    if rng.random() < 0.2:
        week[5].append(Block(time(9, 0), time(12, 0), office))
    day_templates: dict[date, tuple[Block, ...]] = {}
    for _ in range(rng.randint(0, 3)):
        day_templates[start_day + timedelta(days=rng.randrange(days))] = ()
    if rng.random() < 0.3:
        special = start_day + timedelta(days=rng.randrange(days))
        day_templates[special] = (Block(time(10, 0), time(14, 0), office),)
    expertise = set(rng.sample(SUBJECTS, rng.randint(3, 6)))
    if rng.random() < 0.5 or all_mortgage:
        expertise.add("mortgage")
    return Agent(
        key,
        expertise=frozenset(expertise),
        week=tuple(tuple(blocks) for blocks in week),
        days=day_templates,
    )


def _busy(
    rng: random.Random, agent: Agent, zone: ZoneInfo, start_day: date, days: int
) -> tuple[list[Occupation], list[Interval]]:
    occupations: list[Occupation] = []
    external: list[Interval] = []
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        blocks = agent.days.get(day, agent.week[day.weekday()])
        for block in blocks:
            cursor = datetime.combine(day, block.start, zone).astimezone(UTC)
            closing = datetime.combine(day, block.end, zone).astimezone(UTC)
            while cursor < closing:
                length = timedelta(minutes=rng.choice([30, 45, 60]))
                if rng.random() < BOOKED and cursor + length <= closing:
                    occupations.append(
                        Occupation(
                            cursor,
                            cursor + length,
                            trailing_buffer=rng.choice([0, 0, 10, 15]),
                            hold=rng.random() < 0.03,
                        )
                    )
                    cursor += length + timedelta(minutes=15)
                else:
                    cursor += length
        if blocks and rng.random() < 0.25:
            start = datetime.combine(day, time(rng.choice([9, 11, 14, 15]), 0), zone)
            length = timedelta(minutes=rng.choice([60, 90, 240]))
            external.append(Interval(start.astimezone(UTC), (start + length).astimezone(UTC)))
    occupations.sort(key=lambda item: item.start)
    external.sort(key=lambda item: item.start)
    return occupations, external
