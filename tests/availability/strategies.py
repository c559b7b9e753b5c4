"""Hypothesis strategies: small organisations around daylight-saving changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

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
    SlotQuery,
    Subject,
)

ZONES = (
    "Europe/Brussels",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute change
    "Asia/Kolkata",  # a half-hour offset, no change
    "UTC",
)
#: Days on which a zone above changes its clocks in 2026, and a quiet one.
CHANGE_DAYS = (
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 6, 10),
)
SUBJECTS = ("mortgage", "savings")
AGENTS = ("ann", "bob", "cem")
OFFICES = ("north", "south")
#: Wall-clock edges, many of them inside or at the edge of a change hour.
EDGES = (0, 60, 90, 120, 150, 165, 180, 210, 240, 300, 540, 750, 810, 1020, 1320, 1439)


@dataclass(frozen=True)
class Scenario:
    org: Organisation
    busy: Busy
    query: SlotQuery
    now: datetime


def _clock(minute: int) -> time:
    return time(minute // 60, minute % 60)


#: Mostly False: each knob that makes nothing bookable is turned once in ~12 draws.
spoiled = st.integers(0, 11).map(lambda value: value == 5)

rules = st.builds(
    PlanningRule,
    duration=st.sampled_from([15, 20, 30, 45, 60, 90]),
    granularity=st.sampled_from([5, 10, 15, 20, 30, 60]),
    trailing_buffer=st.sampled_from([0, 0, 5, 15]),
    earliest=st.sampled_from([0, 0, 0, 45, 600, 1440]),
    latest=st.sampled_from([60, 1, 60, 0, 2, 60]),
    auto_accept=st.booleans(),
    max_concurrent=st.sampled_from([1, 1, 1, 2, 3]),
)


#: Shapes of a working day in wall-clock minutes; several cross a change hour.
DAY_SHAPES = (
    ((540, 750), (810, 1020)),  # 09:00-12:30, 13:30-17:00
    ((60, 240),),  # 01:00-04:00, across every change of the zones above
    ((150, 300),),  # 02:30-05:00, starts inside a gap
    ((90, 150), (165, 210)),  # 01:30-02:30, 02:45-03:30
    ((0, 180), (1320, 1439)),
    ((480, 720),),
)


@st.composite
def blocks(draw: st.DrawFn, offices: tuple[str, ...]) -> tuple[Block, ...]:
    if draw(st.integers(0, 5)) == 0:
        return ()
    if draw(st.booleans()):
        shape = draw(st.sampled_from(DAY_SHAPES))
    else:
        edges = sorted(draw(st.sets(st.sampled_from(EDGES), min_size=2, max_size=4)))
        shape = tuple(zip(edges[::2], edges[1::2], strict=False))
    return tuple(
        Block(
            start=_clock(start),
            end=_clock(end),
            office=draw(st.sampled_from(offices)),
            subjects=draw(st.sampled_from([None, None, None, frozenset(SUBJECTS[:1])])),
            meeting_types=draw(st.sampled_from([None, None, None, frozenset([VIDEO])])),
            confirm_manually=draw(st.booleans()),
        )
        for start, end in shape
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    first_day = draw(st.sampled_from(CHANGE_DAYS)) + timedelta(days=draw(st.integers(-1, 1)))
    last_day = first_day + timedelta(days=draw(st.integers(0, 2)))
    office_ids = OFFICES[: draw(st.integers(1, 2))]
    agent_ids = AGENTS[: draw(st.integers(1, 3))]
    subjects = {}
    for subject in SUBJECTS:
        kinds = {OFFICE} if draw(spoiled) else {OFFICE, VIDEO}
        subjects[subject] = Subject(
            id=subject,
            available_for_customers=not draw(spoiled),
            meeting_types={kind: draw(rules) for kind in sorted(kinds)},
        )
    offices = {}
    for office in office_ids:
        assignments = {}
        for subject in SUBJECTS:
            enabled = frozenset(subjects[subject].meeting_types)
            if draw(spoiled):
                enabled = frozenset(sorted(enabled)[:1])
            assignments[subject] = OfficeSubject(
                meeting_types=enabled,
                agents=tuple(draw(st.permutations(agent_ids))[: 1 + draw(st.integers(0, 2))]),
                rules={
                    kind: draw(st.just(subjects[subject].meeting_types[kind]) | rules)
                    for kind in sorted(enabled)
                },
            )
        offices[office] = Office(
            id=office,
            timezone=draw(st.sampled_from(ZONES)),
            active=not draw(spoiled),
            subjects=assignments,
        )
    agents = {}
    for agent in agent_ids:
        week = tuple(draw(blocks(office_ids)) for _ in range(7))
        days = {}
        if draw(st.booleans()):
            day = first_day + timedelta(days=draw(st.integers(-1, 3)))
            days[day] = draw(st.just(()) | blocks(office_ids))
        agents[agent] = Agent(
            id=agent,
            active=not draw(spoiled),
            online_planning=not draw(spoiled),
            expertise=frozenset(SUBJECTS[1:]) if draw(spoiled) else frozenset(SUBJECTS),
            week=week,
            days=days,
        )
    origin = datetime.combine(first_day, time(), UTC) - timedelta(days=1)
    moments = st.integers(0, 5 * 1440).map(lambda minute: origin + timedelta(minutes=minute))
    occupations = {}
    external = {}
    time_off = {}
    for agent in agent_ids:
        found = []
        for start in draw(st.lists(moments, max_size=6)):
            seconds = draw(st.sampled_from([0, 0, 0, 30]))
            start += timedelta(seconds=seconds)
            length = timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 120])))
            found.append(
                Occupation(
                    start=start,
                    end=start + length,
                    trailing_buffer=draw(st.sampled_from([0, 0, 10])),
                    hold=draw(st.booleans()),
                )
            )
        occupations[agent] = sorted(found, key=lambda item: item.start)
        intervals = [
            Interval(start, start + timedelta(minutes=draw(st.sampled_from([20, 60, 600]))))
            for start in draw(st.lists(moments, max_size=2))
        ]
        external[agent] = sorted(intervals, key=lambda item: item.start)
        # Time off (SPEC 11): a time range, or whole days from a local midnight.
        leave = [
            Interval(start, start + timedelta(minutes=draw(st.sampled_from([30, 90, 1440, 2880]))))
            for start in draw(st.lists(moments, max_size=2))
        ]
        time_off[agent] = sorted(leave, key=lambda item: item.start)
    kind = PHONE if draw(spoiled) else draw(st.sampled_from([OFFICE, VIDEO]))
    office = draw(st.sampled_from(office_ids))
    if kind != OFFICE and draw(st.booleans()):
        office = None
    query = SlotQuery(
        subject=draw(st.sampled_from(SUBJECTS)),
        meeting_type=kind,
        office=office,
        agent=draw(st.none() | st.sampled_from(agent_ids)),
        first_day=first_day,
        last_day=last_day,
        timezone=draw(st.sampled_from(ZONES)),
    )
    now = origin + timedelta(
        minutes=draw(st.integers(0, 1440) | st.integers(0, 4 * 1440)),
        seconds=draw(st.integers(0, 59)),
    )
    return Scenario(
        org=Organisation(subjects=subjects, offices=offices, agents=agents),
        busy=Busy(
            occupations=occupations,
            external=external,
            time_off=time_off,
            # SPEC 12: now and then an agent whose own calendar cannot be read.
            unavailable=frozenset(agent for agent in agent_ids if draw(spoiled)),
        ),
        query=query,
        now=now,
    )
