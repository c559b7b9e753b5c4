"""A deliberately simple reading of SPEC section 4, to check the engine against.

Every wall-clock minute of every local date near the window is a possible start;
each of the twelve conditions is checked literally, with `zoneinfo` and `datetime`
and nothing clever. Slow on purpose. A start that several offices offer with different
durations is offered once, with the shortest (one start is one offer).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from availability.model import Busy, Organisation, Slot, SlotQuery


def reference_slots(org: Organisation, busy: Busy, query: SlotQuery, now: datetime) -> list[Slot]:
    subject = org.subjects[query.subject]
    if not subject.available_for_customers or query.meeting_type not in subject.meeting_types:
        return []
    window_zone = ZoneInfo(query.timezone)
    found: set[Slot] = set()
    for office_id in [query.office] if query.office else sorted(org.offices):
        office = org.offices[office_id]
        assignment = office.subjects.get(query.subject)
        if (
            not office.active
            or assignment is None
            or query.meeting_type not in assignment.meeting_types
        ):
            continue
        rule = assignment.rules.get(query.meeting_type, subject.meeting_types[query.meeting_type])
        tz = ZoneInfo(office.timezone)
        today = now.astimezone(tz).date()
        for agent_id in assignment.agents:
            if query.agent is not None and agent_id != query.agent:
                continue
            agent = org.agents[agent_id]
            if query.subject not in agent.expertise or not (agent.active and agent.online_planning):
                continue
            if agent_id in busy.unavailable:
                continue  # SPEC 12: the agent's own calendar cannot be read
            day = query.first_day - timedelta(days=2)
            while day <= query.last_day + timedelta(days=2):
                blocks = agent.days[day] if day in agent.days else agent.week[day.weekday()]
                for block in blocks:
                    if (
                        block.office != office_id
                        or (block.subjects is not None and query.subject not in block.subjects)
                        or (
                            block.meeting_types is not None
                            and query.meeting_type not in block.meeting_types
                        )
                    ):
                        continue
                    opening = datetime.combine(day, block.start, tz).astimezone(UTC)
                    closing = datetime.combine(day, block.end, tz).astimezone(UTC)
                    first_wall = block.start.hour * 60 + block.start.minute
                    for wall in range(1440):
                        if wall < first_wall or (wall - first_wall) % rule.granularity:
                            continue  # condition 9: not on the block's grid
                        naive = datetime.combine(day, time(wall // 60, wall % 60))
                        start = naive.replace(tzinfo=tz).astimezone(UTC)
                        if start.astimezone(tz).replace(tzinfo=None) != naive:
                            continue  # the wall-clock time does not exist (spring gap)
                        end = start + timedelta(minutes=rule.duration)
                        if not (opening <= start and end <= closing):
                            continue  # condition 8
                        if (
                            not query.first_day
                            <= start.astimezone(window_zone).date()
                            <= (query.last_day)
                        ):
                            continue
                        if start < now + timedelta(minutes=rule.earliest):
                            continue  # condition 10
                        if start.astimezone(tz).date() > today + timedelta(days=rule.latest):
                            continue  # condition 11
                        occupied = end + timedelta(minutes=rule.trailing_buffer)
                        if is_free(busy, agent_id, start, occupied, rule.max_concurrent):
                            found.add(Slot(start, end))
                day += timedelta(days=1)
    shortest: dict[datetime, Slot] = {}
    for slot in sorted(found):
        shortest.setdefault(slot.start, slot)
    return sorted(shortest.values())


def is_free(busy: Busy, agent: str, start: datetime, end: datetime, max_concurrent: int) -> bool:
    """Condition 12, literally: no external busy time or time off overlaps, and fewer
    than k occupations at every instant of [start, end); the count only rises where an
    occupation starts."""
    for interval in (*busy.external.get(agent, ()), *busy.time_off.get(agent, ())):
        if interval.start < end and start < interval.end:
            return False
    occupations = busy.occupations.get(agent, ())
    moments = [start] + [item.start for item in occupations if start < item.start < end]
    for moment in moments:
        present = sum(
            1
            for item in occupations
            if item.start <= moment < item.end + timedelta(minutes=item.trailing_buffer)
        )
        if present >= max_concurrent:
            return False
    return True


def local_dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
