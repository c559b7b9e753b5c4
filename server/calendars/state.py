"""What a read or a write does to a calendar's stored state, and which notice it causes
(SPEC 12): pure functions of the row before, the outcome and the time.

- A read that works stores the busy time (a new random revision only when it changed),
  clears the read failure, and is due again after the refresh interval. A `304 Not
  Modified` works too and keeps the busy time it confirms.
- A read that fails keeps the last good busy time (`intervals.usable` decides how long
  it is used), records the problem, and counts the failures in a row.
- A calendar is **broken** once a read failed for a reason that will not pass by itself
  (refused, not found, not iCalendar, too large, a missing secret, ...), or a passing
  one (no connection, a timeout, a 5xx) happened twice in a row; or once a write-back
  was refused. The first time it is broken, one notice is written (`Notice.BROKEN`: the
  owner's e-mail and `calendar.broken` webhooks) and none again until it works:
  then `Notice.RESTORED` (`calendar.restored` webhooks) once reads and writes work.
- A read for a link that changed (the organisation file names another calendar)
  replaces what was stored, whatever the outcome: the old calendar's busy time is not
  this one's.
"""

from __future__ import annotations

import dataclasses
import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from server.calendars.links import Link
from server.calendars.problems import CalendarProblem
from server.store import CalendarRow

#: Passing problems (no connection, timeouts, 5xx) make a calendar broken only when they
#: happen this many times in a row.
TRANSIENT_FAILURES: Final = 2
#: The longest error message kept.
MAX_ERROR: Final = 500


class Notice(enum.Enum):
    BROKEN = "broken"
    RESTORED = "restored"


@dataclass(frozen=True, slots=True)
class Read:
    """A read that worked: the busy intervals (packed), or None for `304 Not Modified`."""

    busy: bytes | None
    busy_from: datetime
    busy_until: datetime
    intervals: int = 0
    free_all_day: int = 0
    etag: str | None = None
    last_modified: str | None = None


def new_revision() -> int:
    """A calendar's busy time changed: a new random revision, so that one (agent,
    revision) names one content even across a row deleted and made again
    (`intervals.Decoded` keys on it)."""
    return secrets.randbits(62) + 1


def new_row(link: Link, now: datetime) -> CalendarRow:
    return CalendarRow(agent=link.agent, link=link.fingerprint, kind=link.kind, updated_at=now)


def after_read(
    row: CalendarRow,
    link: Link,
    outcome: Read | CalendarProblem,
    now: datetime,
    refresh: timedelta,
) -> tuple[CalendarRow, Notice | None]:
    """The row after a read, and the notice to write with it (if any)."""
    if row.link != link.fingerprint:
        row = new_row(link, now)
    common = {
        "kind": link.kind,
        "checked_at": now,
        "next_check_at": now + refresh,
        "lease_owner": None,
        "lease_until": None,
        "updated_at": now,
    }
    if isinstance(outcome, CalendarProblem):
        failures = row.failures + 1
        broken = not outcome.transient or failures >= TRANSIENT_FAILURES
        notify = broken and not row.notified
        return dataclasses.replace(
            row,
            problem=outcome.problem,
            error=outcome.message[:MAX_ERROR],
            failing_since=row.failing_since or now,
            failures=failures,
            notified=row.notified or notify,
            **common,  # type: ignore[arg-type]
        ), Notice.BROKEN if notify else None
    busy = row.busy if outcome.busy is None else outcome.busy
    changed = busy != row.busy or row.worked_at is None
    read = dataclasses.replace(
        row,
        busy=busy,
        busy_from=outcome.busy_from if outcome.busy is not None else row.busy_from,
        busy_until=outcome.busy_until if outcome.busy is not None else row.busy_until,
        intervals=outcome.intervals if outcome.busy is not None else row.intervals,
        free_all_day=outcome.free_all_day if outcome.busy is not None else row.free_all_day,
        revision=new_revision() if changed else row.revision,
        etag=outcome.etag,
        last_modified=outcome.last_modified,
        worked_at=now,
        problem=None,
        error=None,
        failures=0,
        **common,  # type: ignore[arg-type]
    )
    return _recovered(read)


def after_write(
    row: CalendarRow, problem: CalendarProblem | None, now: datetime
) -> tuple[CalendarRow, Notice | None]:
    """The row after a write-back that worked (`problem` None) or was refused."""
    if problem is not None:
        notify = not row.notified
        return dataclasses.replace(
            row,
            write_problem=problem.problem,
            write_error=problem.message[:MAX_ERROR],
            failing_since=row.failing_since or now,
            notified=True,
            updated_at=now,
        ), Notice.BROKEN if notify else None
    if row.write_problem is None:
        return row, None
    return _recovered(
        dataclasses.replace(row, write_problem=None, write_error=None, updated_at=now)
    )


def _recovered(row: CalendarRow) -> tuple[CalendarRow, Notice | None]:
    """Reads and writes work again: RESTORED if the breakage was told."""
    if row.problem is not None or row.write_problem is not None:
        return row, None
    restored = row.notified
    return dataclasses.replace(row, failing_since=None, notified=False), (
        Notice.RESTORED if restored else None
    )


def broken(row: CalendarRow) -> bool:
    """Whether the calendar is broken now (what `rendezvous calendars` flags)."""
    return row.problem is not None or row.write_problem is not None


__all__ = [
    "MAX_ERROR",
    "TRANSIENT_FAILURES",
    "Notice",
    "Read",
    "after_read",
    "after_write",
    "broken",
    "new_row",
]
