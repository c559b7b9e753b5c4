"""SPEC 12's busy rules written the plainest way, on `recurring-ical-events` read
directly: what the tests compare `server.calendars.expansion` with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from server.calendars.expansion import merge, repair


def reference_busy(
    text: str, low: datetime, high: datetime, zone: str
) -> tuple[list[tuple[datetime, datetime]], int]:
    """Merged busy intervals within `[low, high)` and the count of all-day events marked
    free. `repair` mends the exporters' mistakes first (two corpus files need it)."""
    local = ZoneInfo(zone)
    busy: list[tuple[int, int]] = []
    free = 0
    query = recurring_ical_events.of(icalendar.Calendar.from_ical(repair(text)))
    for event in query.between(low - timedelta(days=1), high + timedelta(days=1)):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start = event["DTSTART"].dt
        end = event["DTEND"].dt if "DTEND" in event else start
        marked_free = (
            str(event.get("TRANSP", "")) == "TRANSPARENT"
            or str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")) == "FREE"
        )
        if not isinstance(start, datetime):
            if end <= start:
                end = start + timedelta(days=1)
            start = datetime.combine(start, datetime.min.time(), local)
            end = datetime.combine(end, datetime.min.time(), local)
            if marked_free:
                free += start < high and end > low
                continue
        elif marked_free:
            continue
        start = start if start.tzinfo else start.replace(tzinfo=local)
        end = end if end.tzinfo else end.replace(tzinfo=local)
        start, end = max(start.astimezone(UTC), low), min(end.astimezone(UTC), high)
        if start < end:
            busy.append((int(start.timestamp()), -int(-end.timestamp() // 1)))
    found = [
        (datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)) for s, e in merge(busy)
    ]
    return found, free
