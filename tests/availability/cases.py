"""Hand-built organisations for the tables of tests: one bank, changed one knob at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from availability import (
    OFFICE,
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

MONDAY = date(2026, 6, 15)
#: Sunday noon before MONDAY, in UTC.
NOW = datetime(2026, 6, 14, 12, 0, tzinfo=UTC)
WORKDAY = (
    Block(time(9, 0), time(12, 30), "brussels"),
    Block(time(13, 30), time(17, 0), "brussels"),
)
WEEK = (WORKDAY,) * 5 + ((), ())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Bank:
    """One office (`brussels`), one subject (`mortgage`), agents with the same week."""

    rule: PlanningRule = field(default_factory=PlanningRule)
    timezone: str = "Europe/Brussels"
    agents: tuple[str, ...] = ("ann",)
    week: tuple[tuple[Block, ...], ...] = WEEK
    days: dict[date, tuple[Block, ...]] = field(default_factory=dict)
    available: bool = True
    kinds: tuple[str, ...] = (OFFICE, VIDEO)
    office_kinds: tuple[str, ...] = (OFFICE, VIDEO)
    office_active: bool = True
    assigned: tuple[str, ...] | None = None
    expertise: frozenset[str] = frozenset({"mortgage"})
    active: bool = True
    online: bool = True

    def org(self) -> Organisation:
        subject = Subject(
            "mortgage",
            available_for_customers=self.available,
            meeting_types={kind: self.rule for kind in self.kinds},
        )
        office = Office(
            "brussels",
            self.timezone,
            active=self.office_active,
            subjects={
                "mortgage": OfficeSubject(
                    meeting_types=frozenset(self.office_kinds),
                    agents=self.agents if self.assigned is None else self.assigned,
                    rules={kind: self.rule for kind in self.office_kinds if kind in self.kinds},
                )
            },
        )
        agents = {
            key: Agent(
                key,
                active=self.active,
                online_planning=self.online,
                expertise=self.expertise,
                week=self.week,
                days=self.days,
            )
            for key in self.agents
        }
        return Organisation({"mortgage": subject}, {"brussels": office}, agents)


def query(
    first_day: date = MONDAY,
    last_day: date | None = None,
    *,
    meeting_type: str = OFFICE,
    office: str | None = "brussels",
    agent: str | None = None,
    timezone: str = "Europe/Brussels",
) -> SlotQuery:
    return SlotQuery(
        "mortgage", meeting_type, office, agent, first_day, last_day or first_day, timezone
    )


def busy_all_day(
    agent: str = "ann", *, hold: bool = False, external: bool = False, time_off: bool = False
) -> Busy:
    start, end = utc(2026, 6, 15, 0, 0), utc(2026, 6, 16, 0, 0)
    if external:
        return Busy(external={agent: [Interval(start, end)]})
    if time_off:
        return Busy(time_off={agent: [Interval(start, end)]})
    return Busy(occupations={agent: [Occupation(start, end, hold=hold)]})


@dataclass(frozen=True)
class Closed:
    """A bank with one knob turned so that nothing is offered, and the reason code."""

    bank: Bank
    code: str
    asked: SlotQuery = field(default_factory=query)
    busy: Busy = field(default_factory=Busy)


def _only(**kwargs: object) -> tuple[tuple[Block, ...], ...]:
    return ((Block(time(9), time(12), **kwargs),),) * 7  # type: ignore[arg-type]


CLOSED = {
    "1-subject-not-available": Closed(Bank(available=False), "SUBJECT_NOT_AVAILABLE"),
    "2-type-not-enabled": Closed(
        Bank(kinds=(VIDEO,), office_kinds=(VIDEO,)), "MEETING_TYPE_NOT_ENABLED"
    ),
    "3-office-inactive": Closed(Bank(office_active=False), "OFFICE_INACTIVE"),
    "4-type-not-enabled-for-office": Closed(
        Bank(office_kinds=(VIDEO,)), "MEETING_TYPE_NOT_ENABLED_FOR_OFFICE"
    ),
    "5-no-agent-assigned": Closed(Bank(assigned=()), "NO_AGENT_ASSIGNED"),
    "6-no-expertise": Closed(Bank(expertise=frozenset({"savings"})), "AGENT_NO_EXPERTISE"),
    "7-agent-inactive": Closed(Bank(active=False), "AGENT_INACTIVE"),
    "7-agent-not-online": Closed(Bank(online=False), "AGENT_NOT_ONLINE"),
    "8-saturday-has-no-block": Closed(Bank(), "OUTSIDE_HOURS", query(date(2026, 6, 20))),
    "8-day-template-unavailable": Closed(Bank(days={MONDAY: ()}), "OUTSIDE_HOURS"),
    "8-block-at-another-office": Closed(Bank(week=_only(office="elsewhere")), "OUTSIDE_HOURS"),
    "8-block-not-for-the-subject": Closed(
        Bank(week=_only(office="brussels", subjects=frozenset({"savings"}))), "OUTSIDE_HOURS"
    ),
    "8-block-not-for-the-meeting-type": Closed(
        Bank(week=_only(office="brussels", meeting_types=frozenset({VIDEO}))), "OUTSIDE_HOURS"
    ),
    "8-slot-longer-than-any-block": Closed(Bank(rule=PlanningRule(duration=240)), "OUTSIDE_HOURS"),
    "10-too-soon": Closed(Bank(rule=PlanningRule(earliest=3 * 1440)), "TOO_SOON"),
    "11-too-far": Closed(Bank(rule=PlanningRule(latest=0)), "TOO_FAR"),
    "12-busy": Closed(Bank(), "BUSY", busy=busy_all_day()),
    "12-held": Closed(Bank(), "HELD", busy=busy_all_day(hold=True)),
    "12-busy-external": Closed(Bank(), "BUSY_EXTERNAL", busy=busy_all_day(external=True)),
    "12-time-off": Closed(Bank(), "TIME_OFF", busy=busy_all_day(time_off=True)),
    "12-calendar-unavailable": Closed(
        Bank(), "CALENDAR_UNAVAILABLE", busy=Busy(unavailable=frozenset({"ann"}))
    ),
}
