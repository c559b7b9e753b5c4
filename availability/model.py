"""The engine's input and output: plain, immutable data.

The server builds these from the organisation file and the store; the engine never
reads a file, a database or a clock. Times of day (`Block.start`, `Block.end`) are
wall-clock times in the block's office time zone; instants (`datetime`) are aware
and in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

OFFICE = "OFFICE"
VIDEO = "VIDEO"
PHONE = "PHONE"
ON_LOCATION = "ON_LOCATION"
MEETING_TYPES = (OFFICE, VIDEO, PHONE, ON_LOCATION)
#: Meeting types for which a query may leave the office out (every office counts).
REMOTE_MEETING_TYPES = frozenset({VIDEO, PHONE})


@dataclass(frozen=True, slots=True)
class PlanningRule:
    """Per subject × meeting type (an office may override fields). Units as in SPEC 2."""

    duration: int = 30  # minutes
    granularity: int = 15  # minutes, counted from the block start
    trailing_buffer: int = 0  # minutes after each appointment
    earliest: int = 0  # minutes of notice
    latest: int = 60  # days of horizon, in the office's local dates
    auto_accept: bool = True
    max_concurrent: int = 1


@dataclass(frozen=True, slots=True)
class Block:
    """Hours an agent works at one office on one day; wall-clock in the office's zone."""

    start: time
    end: time
    office: str
    subjects: frozenset[str] | None = None  # None: every subject
    meeting_types: frozenset[str] | None = None  # None: every meeting type
    confirm_manually: bool = False


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    active: bool = True
    online_planning: bool = True
    expertise: frozenset[str] = frozenset()
    #: Week template: seven tuples of blocks, index 0 = Monday.
    week: tuple[tuple[Block, ...], ...] = ((), (), (), (), (), (), ())
    #: Day templates: replace the week template on these dates; () = unavailable.
    days: Mapping[date, tuple[Block, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OfficeSubject:
    """An office's assignment of one subject."""

    meeting_types: frozenset[str]  # enabled here; a subset of the subject's
    agents: tuple[str, ...]  # assigned here
    #: Resolved planning rule per meeting type enabled here: the subject's rule with
    #: the office's overrides applied field by field.
    rules: Mapping[str, PlanningRule] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Office:
    id: str
    timezone: str  # IANA name
    active: bool = True
    subjects: Mapping[str, OfficeSubject] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Subject:
    id: str
    available_for_customers: bool = True
    #: Meeting types enabled organisation-wide, each with its planning rule.
    meeting_types: Mapping[str, PlanningRule] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Organisation:
    subjects: Mapping[str, Subject]
    offices: Mapping[str, Office]
    agents: Mapping[str, Agent]


@dataclass(frozen=True, slots=True)
class Occupation:
    """An appointment (confirmed or requested) or a live hold that occupies an agent.

    It occupies `[start, end + trailing_buffer)`.
    """

    start: datetime  # UTC
    end: datetime  # UTC, without the trailing buffer
    trailing_buffer: int = 0  # minutes
    hold: bool = False  # True for a live hold (reason HELD), False for an appointment


@dataclass(frozen=True, slots=True)
class Interval:
    """External busy time or time off: `[start, end)` in UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Busy:
    """Everything that occupies agents, keyed by agent id, each list sorted by start."""

    occupations: Mapping[str, Sequence[Occupation]] = field(default_factory=dict)
    external: Mapping[str, Sequence[Interval]] = field(default_factory=dict)
    #: Time off the agent entered on the desk (SPEC 11, reason TIME_OFF).
    time_off: Mapping[str, Sequence[Interval]] = field(default_factory=dict)
    #: Agents whose own calendar cannot be read (SPEC 12): they offer nothing, reason
    #: CALENDAR_UNAVAILABLE.
    unavailable: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SlotQuery:
    subject: str
    meeting_type: str
    office: str | None  # None: every office (VIDEO and PHONE only)
    agent: str | None  # None: any agent
    first_day: date  # first local date in `timezone`, included
    last_day: date  # last local date in `timezone`, included
    timezone: str  # IANA name in which first_day..last_day are read


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC: start + duration in real elapsed minutes

    @property
    def duration(self) -> int:
        """The slot's length in real elapsed minutes."""
        return (self.end - self.start) // _MINUTE


_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SlotMinutes:
    """The answer of `find_slot_minutes`: the slots as whole minutes since the Unix epoch.

    `starts` is sorted and has each start once; `durations[i]` is the length, in real
    elapsed minutes, of the slot that starts at `starts[i]`. The same answer as
    `find_slots`, without a datetime per slot (the server writes JSON from it).
    """

    starts: Sequence[int]
    durations: Sequence[int]
