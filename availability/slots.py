"""`find_slots`: every offered start for many agents and days at once.

A set of starts is a Python integer: bit p is the instant `base + p` minutes, where
`base` is 00:00 UTC of the first day that matters. Unions, intersections and
"widen busy time by the slot's length" are then shifts and ORs done in C.

- An agent's possible starts (conditions 8 to 11) come from its week template, built
  once per zone, rule and shape of the week; day templates patch single dates.
- One start is one offer: when offices' rules give one start different durations
  (an office override), the shortest is offered. Offices are searched shortest
  duration first, so a start offered once is decided: an agent whose possible starts
  are all offered already is skipped without reading its busy time; one with a few
  starts left tests them one by one against its merged busy spans; otherwise its busy
  minutes become a mask, widened by the slot's length.

Why the shortest: the choice must not depend on the order of offices or agents, and
must be the same for `find_slots` and `choice.offered` (the booking's side); the
shortest is the smaller promise (what the customer sets aside), and the longer
variant exists only because one office overrides the subject's rule.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import attrgetter

from availability.clock import (
    EPOCH,
    MINUTE,
    MINUTES_PER_DAY,
    ceil_minute,
    grid_starts,
    local_day,
    local_midnight,
    to_instant,
    wall_minute,
    zone,
)
from availability.conditions import (
    agent_failure,
    allows,
    assigned_agents,
    office_failure,
    offices_in_scope,
    require_agent,
    rule_of,
    subject_failure,
)
from availability.model import (
    Agent,
    Block,
    Busy,
    Interval,
    Occupation,
    Office,
    Organisation,
    PlanningRule,
    Slot,
    SlotMinutes,
    SlotQuery,
)

#: At most this many undecided starts: test them one by one instead of building masks.
_SPARSE = 24
#: Local midnight of the query's zone is read approximately, then slots this close to
#: either end of the window are checked exactly (an offset change is under 3 hours).
_MARGIN = 180
_BYTES_PER_DAY = MINUTES_PER_DAY // 8
_EMPTY_DAY = bytes(_BYTES_PER_DAY)
_MICROSECOND = timedelta(microseconds=1)
_START = attrgetter("start")

#: Per weekday, the (start, end) wall minutes of the blocks that qualify.
_Shape = tuple[tuple[int, int], ...]


@lru_cache(maxsize=65536)
def _day_bits(
    timezone: str, day: date, shape: _Shape, granularity: int, duration: int
) -> tuple[tuple[int, int], ...]:
    """The starts of one local date as (UTC day number, bits within that UTC day)."""
    pieces: dict[int, int] = {}
    for start, end in shape:
        for instant in grid_starts(timezone, day, start, end, granularity, duration):
            utc_day, minute = divmod(instant, MINUTES_PER_DAY)
            pieces[utc_day] = pieces.get(utc_day, 0) | 1 << minute
    return tuple(sorted(pieces.items()))


def _shape(blocks: Sequence[Block], office: str, subject: str, meeting_type: str) -> _Shape:
    return tuple(
        (wall_minute(block.start), wall_minute(block.end))
        for block in blocks
        if allows(block, office, subject, meeting_type)
    )


@dataclass(frozen=True, slots=True)
class _Hours:
    """An agent's blocks that qualify at one office for one subject and meeting type."""

    week: tuple[_Shape, ...]
    changes: tuple[tuple[date, _Shape], ...]  # day templates that differ from the week


#: Agent → (office, subject, meeting type) → hours. Keyed by identity, with the agent
#: kept alive beside its entry so that the id cannot be reused while cached; inputs
#: are immutable, so an entry never goes stale.
_HOURS: dict[int, tuple[Agent, dict[tuple[str, str, str], _Hours]]] = {}
_HOURS_LIMIT = 100_000


def _hours(agent: Agent, office: str, subject: str, meeting_type: str) -> _Hours:
    entry = _HOURS.get(id(agent))
    if entry is None or entry[0] is not agent:
        if len(_HOURS) >= _HOURS_LIMIT:
            _HOURS.clear()
        entry = _HOURS[id(agent)] = (agent, {})
    key = (office, subject, meeting_type)
    found = entry[1].get(key)
    if found is None:
        week = tuple(_shape(blocks, office, subject, meeting_type) for blocks in agent.week)
        changes = []
        for day, blocks in sorted(agent.days.items()):
            shape = _shape(blocks, office, subject, meeting_type)
            if shape != week[day.weekday()]:
                changes.append((day, shape))
        found = entry[1][key] = _Hours(week, tuple(changes))
    return found


def clear_caches() -> None:
    """Forget every memo (for cold-start benchmarks); answers never depend on them."""
    _HOURS.clear()
    _day_bits.cache_clear()
    grid_starts.cache_clear()
    local_day.cache_clear()


def _dilate(mask: int, width: int) -> int:
    """Bit p is set when any bit of `mask` in [p, p + width) is."""
    covered = 1
    while covered * 2 <= width:
        mask |= mask >> covered
        covered *= 2
    if covered < width:
        mask |= mask >> (width - covered)
    return mask


_BITS = tuple(tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256))


def _positions(mask: int) -> list[int]:
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    found: list[int] = []
    for index, byte in enumerate(data):
        if byte:
            offset = index * 8
            found.extend(offset + bit for bit in _BITS[byte])
    return found


class _Search:
    """One call of `find_slots`: the grid, the caches, and what is offered so far."""

    def __init__(
        self,
        busy: Busy,
        query: SlotQuery,
        now: datetime,
        offices: list[tuple[Office, PlanningRule]],
    ) -> None:
        self.busy, self.query, self.now = busy, query, now
        self.low = local_midnight(query.timezone, query.first_day)
        self.high = local_midnight(query.timezone, query.last_day + timedelta(days=1))
        self.first_utc_day = (self.low - _MARGIN) // MINUTES_PER_DAY
        self.days = -(-(self.high + _MARGIN) // MINUTES_PER_DAY) - self.first_utc_day
        self.base = self.first_utc_day * MINUTES_PER_DAY
        self.size = self.days * MINUTES_PER_DAY
        self.base_instant = to_instant(self.base)
        self.longest = max(rule.duration + rule.trailing_buffer for _, rule in offices)
        self.offered: dict[int, int] = {}
        self.taken = 0  # every start offered, whatever its duration
        self._templates: dict[tuple[object, ...], int] = {}
        self._bounds: dict[tuple[str, PlanningRule], tuple[date, date, int]] = {}
        self._spans: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        self._masks: dict[tuple[str, int, int], int] = {}

    # Conditions 8 to 11 --------------------------------------------------------------

    def possible(self, office: Office, rule: PlanningRule, agent: Agent) -> int:
        bounds = self._bounds.get((office.id, rule))
        if bounds is None:
            bounds = self._bounds[(office.id, rule)] = self._dates(office, rule)
        first, last, cut = bounds
        if first > last:
            return 0
        hours = _hours(agent, office.id, self.query.subject, self.query.meeting_type)
        key = (office.timezone, rule.granularity, rule.duration, first, last, hours.week)
        mask = self._templates.get(key)
        if mask is None:
            mask = self._templates[key] = self._template(office.timezone, rule, first, last, hours)
        for day, shape in hours.changes:
            if first <= day <= last:
                mask ^= self._placed(office.timezone, day, hours.week[day.weekday()], rule)
                mask |= self._placed(office.timezone, day, shape, rule)
        if cut > 0:
            mask = mask >> cut << cut
        return mask

    def _dates(self, office: Office, rule: PlanningRule) -> tuple[date, date, int]:
        """The local dates that may hold a start (condition 11), and condition 10's bit."""
        query = self.query
        today = self.now.astimezone(zone(office.timezone)).date()
        first = max(query.first_day - timedelta(days=2), today - timedelta(days=1))
        last = min(query.last_day + timedelta(days=2), today + timedelta(days=rule.latest))
        cut = ceil_minute(self.now + timedelta(minutes=rule.earliest)) - self.base
        return first, last, cut

    def _template(
        self, timezone: str, rule: PlanningRule, first: date, last: date, hours: _Hours
    ) -> int:
        chunks: dict[int, int] = {}
        day = first
        while day <= last:
            shape = hours.week[day.weekday()]
            if shape:
                for utc_day, bits in _day_bits(
                    timezone, day, shape, rule.granularity, rule.duration
                ):
                    chunks[utc_day] = chunks.get(utc_day, 0) | bits
            day += timedelta(days=1)
        start = self.first_utc_day
        data = b"".join(
            chunks[utc_day].to_bytes(_BYTES_PER_DAY, "little") if utc_day in chunks else _EMPTY_DAY
            for utc_day in range(start, start + self.days)
        )
        return int.from_bytes(data, "little")

    def _placed(self, timezone: str, day: date, shape: _Shape, rule: PlanningRule) -> int:
        mask = 0
        for utc_day, bits in _day_bits(timezone, day, shape, rule.granularity, rule.duration):
            index = utc_day - self.first_utc_day
            if 0 <= index < self.days:
                mask |= bits << index * MINUTES_PER_DAY
        return mask

    # Condition 12 --------------------------------------------------------------------

    def spans(self, agent: str, max_concurrent: int) -> tuple[list[int], list[int]]:
        """The agent's busy time as merged [start, end) minutes from `base`."""
        key = (agent, max_concurrent)
        found = self._spans.get(key)
        if found is None:
            found = self._spans[key] = self._merge(agent, max_concurrent)
        return found

    def _merge(self, agent: str, max_concurrent: int) -> tuple[list[int], list[int]]:
        base = self.base_instant
        until = to_instant(self.base + self.size + self.longest)
        occupations: Sequence[Occupation] = self.busy.occupations.get(agent, ())
        occupations = occupations[: bisect_left(occupations, until, key=_START)]
        external: Sequence[Interval] = self.busy.external.get(agent, ())
        external = external[: bisect_left(external, until, key=_START)]
        if max_concurrent == 1:
            spans = [
                (
                    (item.start - base) // MINUTE,
                    -((base - item.end) // MINUTE) + item.trailing_buffer,
                )
                for item in occupations
            ]
        else:
            spans = _crowded(occupations, max_concurrent, base)
        spans.extend(
            ((item.start - base) // MINUTE, -((base - item.end) // MINUTE)) for item in external
        )
        # Time off (SPEC 11) blocks like external busy time.
        time_off: Sequence[Interval] = self.busy.time_off.get(agent, ())
        time_off = time_off[: bisect_left(time_off, until, key=_START)]
        spans.extend(
            ((item.start - base) // MINUTE, -((base - item.end) // MINUTE)) for item in time_off
        )
        spans.sort()
        starts: list[int] = []
        ends: list[int] = []
        for start, end in spans:
            if end <= 0 or start >= end:
                continue
            if ends and start <= ends[-1]:
                if end > ends[-1]:
                    ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
        return starts, ends

    def blocked(self, agent: str, max_concurrent: int, length: int) -> int:
        """Bit p: a slot occupying [p, p + length) would overlap busy time."""
        key = (agent, max_concurrent, length)
        found = self._masks.get(key)
        if found is None:
            minutes = self._masks.get((agent, max_concurrent, 1))
            if minutes is None:
                minutes = self._masks[(agent, max_concurrent, 1)] = self._busy_minutes(
                    *self.spans(agent, max_concurrent)
                )
            found = self._masks[key] = _dilate(minutes, length)
        return found

    def _busy_minutes(self, starts: list[int], ends: list[int]) -> int:
        bits = self.size + self.longest
        opening = bytearray(bits // 8 + 1)
        closing = bytearray(bits // 8 + 1)
        for start, end in zip(starts, ends, strict=True):
            start = max(start, 0)
            end = min(end, bits)
            if start < end:
                opening[start >> 3] |= 1 << (start & 7)
                closing[end >> 3] |= 1 << (end & 7)
        # The spans are disjoint, so the sum of (2**end - 2**start) is their union.
        return int.from_bytes(closing, "little") - int.from_bytes(opening, "little")

    def free(self, agent: str, rule: PlanningRule, starts: int) -> int:
        length = rule.duration + rule.trailing_buffer
        if starts.bit_count() > _SPARSE:
            blocked = self.blocked(agent, rule.max_concurrent, length)
            return (starts | blocked) ^ blocked
        opening, closing = self.spans(agent, rule.max_concurrent)
        free = 0
        while starts:
            position = starts.bit_length() - 1
            bit = 1 << position
            starts ^= bit
            index = bisect_left(opening, position + length)
            if index == 0 or closing[index - 1] <= position:
                free |= bit
        return free

    # The answer ----------------------------------------------------------------------

    def offer(self, duration: int, starts: int) -> None:
        """Offer `starts` with `duration`; callers go shortest duration first, and offer
        only what `undecided` left, so no start is offered twice."""
        self.offered[duration] = self.offered.get(duration, 0) | starts
        self.taken |= starts

    def undecided(self, starts: int) -> int:
        """`starts` that no shorter (or equal) duration offers yet."""
        return (starts | self.taken) ^ self.taken

    def minutes(self) -> SlotMinutes:
        query = self.query
        if len(self.offered) == 1:
            [(duration, mask)] = self.offered.items()
            found = [self.base + position for position in _positions(mask)]
            durations = [duration] * len(found)
        else:
            pairs = sorted(
                (self.base + position, duration)
                for duration, mask in self.offered.items()
                for position in _positions(mask)
            )
            found = [start for start, _ in pairs]
            durations = [duration for _, duration in pairs]
        # Local midnight of the window's zone is known only approximately: starts near
        # either end are checked exactly (a few per window, never in the middle).
        sure_from, sure_until = self.low + _MARGIN, self.high - _MARGIN
        first = bisect_left(found, sure_from)
        last = bisect_left(found, sure_until)
        if first == 0 and last == len(found):
            return SlotMinutes(found, durations)
        tz = zone(query.timezone)
        keep = [
            index
            for index in (*range(first), *range(last, len(found)))
            if query.first_day <= to_instant(found[index]).astimezone(tz).date() <= query.last_day
        ]
        head = [index for index in keep if index < first]
        tail = [index for index in keep if index >= last]
        starts = [found[i] for i in head] + found[first:last] + [found[i] for i in tail]
        lengths = (
            [durations[i] for i in head] + durations[first:last] + [durations[i] for i in tail]
        )
        return SlotMinutes(starts, lengths)


def _crowded(
    occupations: Sequence[Occupation], max_concurrent: int, base: datetime
) -> list[tuple[int, int]]:
    """Where at least `max_concurrent` occupations overlap, rounded out to minutes.

    The sweep runs on exact microseconds so that two occupations that merely share a
    minute are not counted as overlapping.
    """
    events: list[tuple[int, int]] = []
    for item in occupations:
        finish = item.end + timedelta(minutes=item.trailing_buffer)
        if finish > item.start:
            events.append(((item.start - base) // _MICROSECOND, 1))
            events.append(((finish - base) // _MICROSECOND, -1))
    events.sort()  # at one instant, endings (-1) come before beginnings (+1)
    spans: list[tuple[int, int]] = []
    count = 0
    opened = 0
    for moment, step in events:
        count += step
        if step == 1 and count == max_concurrent:
            opened = moment
        elif step == -1 and count == max_concurrent - 1 and moment > opened:
            spans.append((opened // 60_000_000, -(-moment // 60_000_000)))
    return spans


def find_slot_minutes(
    org: Organisation, busy: Busy, query: SlotQuery, now: datetime
) -> SlotMinutes:
    """Every slot offered for the query (SPEC section 4), as whole minutes: sorted, each
    start once, with its duration (the shortest when offices' rules differ).

    Slots start on a local date from `first_day` to `last_day` in `query.timezone`.
    `query.office` may be None only for VIDEO and PHONE (ValueError otherwise);
    unknown subject, office and agent ids raise KeyError.
    """
    offices = offices_in_scope(org, query.meeting_type, query.office)
    require_agent(org, query.agent)
    if subject_failure(org, query.subject, query.meeting_type) or query.first_day > query.last_day:
        return SlotMinutes([], [])
    open_offices = sorted(
        (
            (office, rule_of(org, office, query.subject, query.meeting_type))
            for office in offices
            if office_failure(office, query.subject, query.meeting_type) is None
        ),
        key=lambda pair: pair[1].duration,  # stable: then in the order of office ids
    )
    if not open_offices:
        return SlotMinutes([], [])
    search = _Search(busy, query, now, open_offices)
    for office, rule in open_offices:
        for agent in assigned_agents(org, office, query.subject, query.agent):
            if agent_failure(agent, query.subject) is not None or agent.id in busy.unavailable:
                continue
            starts = search.undecided(search.possible(office, rule, agent))
            if starts:
                search.offer(rule.duration, search.free(agent.id, rule, starts))
    return search.minutes()


def find_slots(org: Organisation, busy: Busy, query: SlotQuery, now: datetime) -> list[Slot]:
    """Every slot offered for the query (SPEC section 4): sorted, each start once.

    The slots of `find_slot_minutes`, as datetimes in UTC; errors as there.
    """
    return to_slots(find_slot_minutes(org, busy, query, now))


def to_slots(found: SlotMinutes) -> list[Slot]:
    result = []
    lengths: dict[int, timedelta] = {}
    for minute, duration in zip(found.starts, found.durations, strict=True):
        start = EPOCH + timedelta(minutes=minute)
        length = lengths.get(duration)
        if length is None:
            length = lengths[duration] = timedelta(minutes=duration)
        result.append(Slot(start, start + length))
    return result
