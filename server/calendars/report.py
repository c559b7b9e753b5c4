"""`rendezvous calendars` (SPEC 12): who has synchronised their calendar.

Per agent: whether a calendar is linked and its kind, when it was last read
successfully, how many busy intervals it gave and how many all-day events in it are
marked free (Office 365's default: such a vacation does not block time), and its
state: works, not read yet, broken (with the error, and until when its last good data
is used), or unusable (the agent is offered nowhere: CALENDAR_UNAVAILABLE). Times are
in the organisation's zone. The exit code is 1 when a linked calendar is broken or not
usable, else 0.

It reads the database (RENDEZVOUS_DATABASE) the running servers write; with
`--refresh` it first reads every calendar itself, as a server's refresher would (to try
a new link at once).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from server import config
from server.calendars.intervals import Policy, usable
from server.calendars.links import Link, links_of
from server.settings import Settings
from server.store import CalendarRow


@dataclass(frozen=True, slots=True)
class Line:
    agent: str
    name: str
    link: Link | None
    row: CalendarRow | None  # None: not read yet (or not linked)
    usable: bool

    @property
    def ok(self) -> bool:
        if self.link is None:
            return True
        return (
            self.usable
            and self.row is not None
            and self.row.problem is None
            and (self.row.write_problem is None)
        )


@dataclass(slots=True)
class Report:
    zone: ZoneInfo
    max_stale_hours: int
    lines: list[Line] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if all(line.ok for line in self.lines) else 1

    def text(self) -> str:
        linked = [line for line in self.lines if line.link is not None]
        table = [("agent", "calendar", "last worked", "busy", "free all-day", "state")]
        for line in self.lines:
            table.append(self._cells(line))
        widths = [max(len(row[i]) for row in table) for i in range(5)]
        out = [
            f"{len(linked)} of {len(self.lines)} agents link a calendar"
            f" (times in {self.zone.key}; last good data is used for"
            f" {self.max_stale_hours} h after a read fails).",
            "",
        ]
        for row in table:
            out.append(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                + "  "
                + row[5]
            )
        notes = [line for line in linked if line.row is not None and line.row.free_all_day]
        if notes:
            out.append("")
        for line in notes:
            assert line.row is not None
            out.append(
                f"{line.agent}: {line.row.free_all_day} all-day event(s) in the booking horizon"
                " are marked Free, so they do not block any time (Office 365 makes all-day"
                " events Free by default). If they are days off, mark them Busy or Out of"
                " office."
            )
        return "\n".join(out).rstrip() + "\n"

    def _cells(self, line: Line) -> tuple[str, str, str, str, str, str]:
        if line.link is None:
            return (line.agent, "-", "", "", "", "no calendar linked")
        row = line.row
        if row is None:
            return (line.agent, line.link.kind, "never", "-", "-", "not read yet")
        worked = self._when(row.worked_at) if row.worked_at else "never"
        busy = str(row.intervals) if row.worked_at else "-"
        free = str(row.free_all_day) if row.worked_at else "-"
        return (line.agent, line.link.kind, worked, busy, free, self._state(line, row))

    def _state(self, line: Line, row: CalendarRow) -> str:
        parts = []
        if row.problem is not None:
            since = self._when(row.failing_since) if row.failing_since else "?"
            if line.usable:
                parts.append(
                    f"broken since {since} ({row.problem}): {row.error}; last good data used"
                )
            else:
                parts.append(
                    f"CALENDAR_UNAVAILABLE, offered nowhere; broken since {since}"
                    f" ({row.problem}): {row.error}"
                )
        elif row.worked_at is None:
            parts.append("not read yet")
        else:
            parts.append("works")
        if row.write_problem is not None:
            parts.append(f"writing appointments fails ({row.write_problem}): {row.write_error}")
        return "; ".join(parts)

    def _when(self, moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def compile_report(
    org: config.OrganisationFile, rows: dict[str, CalendarRow], now: datetime
) -> Report:
    settings = org.organisation
    links = links_of(org)
    policy = Policy(links, _hours(settings.calendar_max_stale_hours))
    report = Report(ZoneInfo(settings.timezone), settings.calendar_max_stale_hours)
    for agent in sorted(org.agents, key=lambda item: item.id):
        link = links.get(agent.id)
        row = rows.get(agent.id)
        if row is not None and link is not None and row.link != link.fingerprint:
            row = None  # the data of a calendar the file no longer names
        report.lines.append(
            Line(
                agent=agent.id,
                name=agent.name,
                link=link,
                row=row,
                usable=row is not None and usable(row, policy, now),
            )
        )
    return report


async def build(database: str | Path, loaded: config.LoadedOrganisation, now: datetime) -> Report:
    """The report from the database, if it exists (else every calendar is unread)."""
    rows: dict[str, CalendarRow] = {}
    if not isinstance(database, Path) or database.exists():
        from server.store import open_store

        store = await open_store(database)
        try:
            rows = await store.calendars()
        finally:
            await store.close()
    return compile_report(loaded.organisation, rows, now)


async def refresh(settings: Settings) -> int:
    """Read every linked calendar now from this process (`--refresh`), as a server's
    refresher does: the results, and the notices they cause, go to the database."""
    from server.calendars.refresher import Refresher
    from server.runtime import Runtime

    runtime = await Runtime.start(dataclasses.replace(settings, reload_interval=0))
    refresher = Refresher(runtime)
    try:
        return await refresher.refresh_all(now=True)
    finally:
        await refresher.stop()
        await runtime.stop()


def _hours(hours: int) -> timedelta:
    return timedelta(hours=hours)


__all__ = ["Line", "Report", "build", "compile_report", "refresh"]
