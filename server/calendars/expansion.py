"""From iCalendar data to an agent's busy intervals (SPEC 12): parse, repair, expand the
recurrences over a window, keep what is busy, merge.

What is busy: every event, unless it is free time (`TRANSP:TRANSPARENT`, Outlook's
`X-MICROSOFT-CDO-BUSYSTATUS:FREE`) or `STATUS:CANCELLED`, or it is one of Rendezvous's
own appointments coming back through the calendar (its UID is `{appointment id}@{public
host}`, `server.calendar.ics.event_uid`: the appointment is busy time already). An
all-day event is busy from local midnight to local midnight of its day(s) in the
agent's zone; one marked free is counted (`free_all_day`: Office 365 makes all-day
events free by default, so a vacation entered that way does not block). Floating times
are read in the agent's zone. Recurrences (`RRULE`, `RDATE`, `EXDATE`, overridden
instances with `RECURRENCE-ID`, `RANGE=THISANDFUTURE`) are expanded by
`recurring-ical-events`, `X-WR-TIMEZONE` is applied by `x-wr-timezone` (through it),
Windows zone names are mapped to IANA zones by `icalendar`.

Repairs, for exporters' known mistakes (each keeps a real calendar readable):

- a `VTIMEZONE` whose `TZID` names a zone the IANA database knows (`Europe/Berlin`, or a
  Windows name such as `W. Europe Standard Time`) is dropped, and the zone is read from
  `zoneinfo`: exporters get historical rules wrong (iCloud writes `TZOFFSETFROM:+5328`
  for the local mean time of 1893, which `icalendar` refuses); custom zones are kept;
- spaces inside an `RRULE` (`BYDAY=MO, TU`, Exchange CDO) are removed.

Bounds, so that no feed can take the time or memory of the process that reads it: at
most `Limits.per_series` instances of one series and `Limits.total` in all in the
window (a `FREQ=SECONDLY` rule is refused, not expanded), and `Limits.seconds` of work.
This runs in a child process (`server.calendars.isolation`), which is killed if a
rule still manages to spin inside the recurrence library.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from icalendar.timezone import tzp
from recurring_ical_events.util import convert_to_datetime

from server.calendars.problems import TooComplex, Unparsable

#: Queried this much beyond the window on each side: floating times are compared as if
#: UTC by the recurrence library, and are placed in the agent's zone afterwards.
_MARGIN = timedelta(days=1)
_OWN_ID = r"[A-Za-z0-9_-]{22}"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Limits:
    per_series: int = 10_000
    total: int = 100_000
    seconds: float = 20.0


@dataclass(slots=True)
class Expansion:
    """The busy time found in a window: merged `[start, end)` in unix seconds."""

    intervals: list[tuple[int, int]] = field(default_factory=list)
    events: int = 0  # busy occurrences read
    free_all_day: int = 0  # all-day occurrences marked free


def busy_intervals(
    sources: Sequence[bytes],
    start: datetime,
    end: datetime,
    zone: str,
    own_host: str | None = None,
    limits: Limits = Limits(),
) -> Expansion:
    """The busy time of `sources` (each an iCalendar object) within `[start, end)`.

    Raises `Unparsable` for data that is not iCalendar or an event that cannot be read,
    `TooComplex` past the limits.
    """
    reading = _Reading(start, end, ZoneInfo(zone), own_host, limits)
    for source in sources:
        reading.read(source)
    return reading.result()


class _Reading:
    def __init__(
        self, start: datetime, end: datetime, zone: ZoneInfo, own_host: str | None, limits: Limits
    ) -> None:
        self.start, self.end, self.zone, self.limits = start, end, zone, limits
        self.own = (
            re.compile(f"{_OWN_ID}@{re.escape(own_host)}", re.IGNORECASE) if own_host else None
        )
        self.deadline = time.monotonic() + limits.seconds
        self.spans: list[tuple[int, int]] = []
        self.count = 0
        self.events = 0
        self.free_all_day = 0

    def read(self, source: bytes) -> None:
        calendar = parse(source)
        try:
            query = recurring_ical_events.of(calendar)
        except Exception as exc:  # the library's errors for a malformed series
            raise Unparsable(f"an event cannot be read: {_reason(exc)}") from None
        span_start, span_stop = self.start - _MARGIN, self.end + _MARGIN
        for series in query.series:
            uid = _uid_of(series)
            try:
                self._check_size(series, uid, span_start, span_stop)
                for occurrence in series.between(span_start, span_stop):
                    self._take(occurrence.as_component(False), occurrence.start, occurrence.end)
            except (TooComplex, Unparsable):
                raise
            except Exception as exc:
                raise Unparsable(f"the event {uid} cannot be read: {_reason(exc)}") from None

    def _check_size(
        self, series: recurring_ical_events.Series, uid: str, start: datetime, stop: datetime
    ) -> None:
        """Count the series' rule instances in the window lazily, before the library
        lists them all: a rule that repeats too often is refused here."""
        recurrence = series.recurrence
        rules = getattr(recurrence, "rrules", [])[1:]  # [0] holds the RDATEs
        zone: tzinfo | None = getattr(recurrence, "tzinfo", None)
        for rule in rules:
            low, high = convert_to_datetime(start, zone), convert_to_datetime(stop, zone)
            for count, moment in enumerate(rule.xafter(low, inc=True), start=1):
                if moment > high:
                    break
                if count > self.limits.per_series:
                    raise TooComplex(
                        f"the repeating event {uid} has more than {self.limits.per_series}"
                        " instances in the booking horizon (a rule such as FREQ=SECONDLY)"
                    )
                if count % 1000 == 0:
                    self._in_time()
        self._in_time()

    def _take(self, event: icalendar.Event, start: date, end: date) -> None:
        self.count += 1
        if self.count > self.limits.total:
            raise TooComplex(
                f"the calendar has more than {self.limits.total} events in the booking horizon"
            )
        if self.count % 500 == 0:
            self._in_time()
        uid = str(event.get("UID", ""))
        if self.own is not None and self.own.fullmatch(uid):
            return  # Rendezvous's own appointment: busy already, as an appointment
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            return
        free = (
            str(event.get("TRANSP", "")).upper() == "TRANSPARENT"
            or str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE"
        )
        all_day = not isinstance(start, datetime)
        if all_day:
            first = self._midnight(start)
            last = self._midnight(end if end > start else start + timedelta(days=1))
            if free:
                if first < self.end and last > self.start:
                    self.free_all_day += 1
                return
        else:
            if free:
                return
            first, last = self._instant(start), self._instant(end)
        first, last = max(first, self.start), min(last, self.end)
        if first < last:
            self.events += 1
            self.spans.append((int(first.timestamp()), -int(-last.timestamp() // 1)))

    def _midnight(self, day: date) -> datetime:
        if isinstance(day, datetime):
            day = day.date()
        return datetime(day.year, day.month, day.day, tzinfo=self.zone).astimezone(UTC)

    def _instant(self, moment: date) -> datetime:
        if not isinstance(moment, datetime):
            return self._midnight(moment)
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=self.zone)  # floating: the agent's wall clock
        return moment.astimezone(UTC)

    def _in_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TooComplex(
                f"reading the calendar took longer than {self.limits.seconds:g} s"
                " (a repeating event with an unusual rule)"
            )

    def result(self) -> Expansion:
        return Expansion(merge(self.spans), self.events, self.free_all_day)


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint `[start, end)` spans covering the same time; touching ones join."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def parse(source: bytes) -> icalendar.Calendar:
    """One iCalendar object, repaired (see the module's docstring); `Unparsable` if it
    is not one."""
    text = source.decode("utf-8", errors="replace").lstrip("\ufeff")
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise Unparsable(
            f"the address did not give iCalendar data (it starts with {_start_of(text)})"
        )
    try:
        calendar = icalendar.Calendar.from_ical(repair(text))
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise Unparsable(f"the iCalendar data cannot be read: {_reason(exc)}") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise Unparsable("the iCalendar data holds no VCALENDAR")
    for event in calendar.walk("VEVENT"):
        for name, problem in getattr(event, "errors", []):
            if name in (
                "DTSTART",
                "DTEND",
                "DURATION",
                "RRULE",
                "RDATE",
                "EXDATE",
                "RECURRENCE-ID",
            ):
                uid = str(event.get("UID", "without a UID"))
                raise Unparsable(f"the event {uid} has a {name} that cannot be read: {problem}")
    return calendar


def repair(text: str) -> str:
    """The exporters' known mistakes mended, line by line (unfolded)."""
    lines = _unfold(text)
    kept: list[str] = []
    timezone: list[str] | None = None
    for line in lines:
        upper = line[:16].upper()
        if timezone is not None:
            timezone.append(line)
            if upper.startswith("END:VTIMEZONE"):
                if not _known_zone(timezone):
                    kept.extend(timezone)
                timezone = None
            continue
        if upper.startswith("BEGIN:VTIMEZONE"):
            timezone = [line]
        elif upper.startswith(("RRULE", "EXRULE")):
            name, colon, value = line.partition(":")
            kept.append(name + colon + _SPACES.sub("", value))
        else:
            kept.append(line)
    if timezone is not None:
        kept.extend(timezone)
    return "\r\n".join(kept) + "\r\n"


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in re.split(r"\r\n|\n|\r", text):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw.strip():
            lines.append(raw)
    return lines


def _known_zone(block: list[str]) -> bool:
    """Whether a VTIMEZONE's TZID is an IANA or Windows zone name that needs no
    definition (only the block's own TZID line counts, not its parts')."""
    for line in block[1:]:
        name, _, value = line.partition(":")
        if name.upper() == "TZID":
            value = value.strip().strip('"')
            try:
                ZoneInfo(value)
                return True
            except (ZoneInfoNotFoundError, ValueError):
                return tzp.timezone(value) is not None
        if name.upper().startswith("BEGIN:"):
            break
    return False


def _uid_of(series: recurring_ical_events.Series) -> str:
    uid = str(getattr(series, "uid", "") or "")
    return f'"{uid[:80]}"' if uid else "without a UID"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "...") if len(text) > 200 else (text or type(exc).__name__)


def _start_of(text: str) -> str:
    head = " ".join(text[:40].split())
    return f'"{head}"' if head else "nothing"


__all__ = ["Expansion", "Limits", "busy_intervals", "merge", "parse", "repair"]
