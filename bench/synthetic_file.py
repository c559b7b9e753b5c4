"""The synthetic organisation of `bench.synthetic` as an organisation file and a database.

`organisation_toml` writes the engine's input back as TOML that `rendezvous serve`
loads; `store_busy` writes its busy time into a migrated SQLite database as
confirmed appointments and live holds (external busy time becomes appointments too:
the store has no other place for it), so the real server answers the same question the
engine benchmark asks.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from availability import Block, Busy, Organisation, PlanningRule

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FIELDS = ("duration", "granularity", "trailing_buffer", "earliest", "latest", "auto_accept")


def _value(value: object) -> str:
    return json.dumps(value) if not isinstance(value, bool) else str(value).lower()


def _rule(rule: PlanningRule) -> list[str]:
    return [f"  {name} = {_value(getattr(rule, name))}" for name in _FIELDS]


def organisation_toml(org: Organisation, public_url: str) -> str:
    lines = [
        "[organisation]",
        'name = "Synthetic Bank"',
        'timezone = "Europe/Brussels"',
        'languages = ["en"]',
        f'public_url = "{public_url}"',
        "",
        "[[categories]]",
        'id = "all"',
        'name = "Everything"',
    ]
    for subject in org.subjects.values():
        lines += ["", "[[subjects]]", f'id = "{subject.id}"', 'category = "all"']
        lines.append(f'name = "{subject.id.title()}"')
        for kind, rule in subject.meeting_types.items():
            lines += [f"  [subjects.meeting_types.{kind}]", *_rule(rule)]
    for office in org.offices.values():
        lines += ["", "[[offices]]", f'id = "{office.id}"', f'name = "{office.id}"']
        lines.append(f'timezone = "{office.timezone}"')
        lines.append(
            'address = { street = "Main Street 1", postal_code = "1000", city = "Town",'
            ' country = "BE" }'
        )
        for subject_id, assignment in office.subjects.items():
            lines.append(f"  [offices.subjects.{subject_id}]")
            lines.append(f"  meeting_types = {json.dumps(sorted(assignment.meeting_types))}")
            lines.append(f"  agents = {json.dumps(list(assignment.agents))}")
            base = org.subjects[subject_id].meeting_types
            for kind, rule in assignment.rules.items():
                changed = [
                    f"  {name} = {_value(getattr(rule, name))}"
                    for name in _FIELDS
                    if getattr(rule, name) != getattr(base[kind], name)
                ]
                if changed:
                    lines += [f"  [offices.subjects.{subject_id}.rules.{kind}]", *changed]
    for agent in org.agents.values():
        offices = sorted(
            {block.office for day in agent.week for block in day}
            | {block.office for blocks in agent.days.values() for block in blocks}
        )
        lines += ["", "[[agents]]", f'id = "{agent.id}"', f'name = "Agent {agent.id}"']
        lines.append(f"offices = {json.dumps(offices)}")
        lines.append(f"expertise = {json.dumps(sorted(agent.expertise))}")
        lines.append("  [agents.week]")
        for name, blocks in zip(_WEEKDAYS, agent.week, strict=True):
            if blocks:
                lines.append(f"  {name} = [{', '.join(map(_block, _apart(blocks)))}]")
        for day, blocks in sorted(agent.days.items()):
            lines.append("  [[agents.days]]")
            lines.append(f'  date = "{day.isoformat()}"')
            if blocks:
                lines.append(f"  blocks = [{', '.join(_block(block) for block in blocks)}]")
            else:
                lines.append('  template = "unavailable"')
    return "\n".join(lines) + "\n"


def _apart(blocks: tuple[Block, ...]) -> list[Block]:
    """The blocks of a day without those that overlap an earlier one (the file forbids
    overlaps; the generator's extra Saturday morning may overlap a late shift)."""
    kept: list[Block] = []
    for block in sorted(blocks, key=lambda item: item.start):
        if not kept or kept[-1].end <= block.start:
            kept.append(block)
    return kept


def _block(block: object) -> str:
    start = block.start.strftime("%H:%M")  # type: ignore[attr-defined]
    end = block.end.strftime("%H:%M")  # type: ignore[attr-defined]
    office = block.office  # type: ignore[attr-defined]
    text = f'{{ start = "{start}", end = "{end}", office = "{office}"'
    kinds = block.meeting_types  # type: ignore[attr-defined]
    if kinds is not None:
        text += f", meeting_types = {json.dumps(sorted(kinds))}"
    return text + " }"


def store_busy(database: Path, busy: Busy, now: datetime) -> int:
    """Write `busy` into the (migrated) database; returns the number of rows written."""
    rows = 0
    stamp = int(now.timestamp())
    expires = int((now + timedelta(days=365)).timestamp())
    with sqlite3.connect(database) as conn:
        for agent, items in busy.occupations.items():
            for item in items:
                start, end = int(item.start.timestamp()), int(item.end.timestamp())
                if item.hold:
                    conn.execute(
                        "INSERT INTO holds (id, agent, subject, meeting_type, office, start_utc,"
                        " end_utc, trailing_buffer, expires_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        (uuid.uuid4().hex, agent, "mortgage", "VIDEO", None, start, end,
                         item.trailing_buffer, expires),
                    )  # fmt: skip
                else:
                    _appointment(conn, agent, start, end, item.trailing_buffer, stamp)
                rows += 1
        for agent, intervals in busy.external.items():
            for interval in intervals:
                start, end = int(interval.start.timestamp()), int(interval.end.timestamp())
                _appointment(conn, agent, start, end, 0, stamp)
                rows += 1
    return rows


def _appointment(
    conn: sqlite3.Connection, agent: str, start: int, end: int, buffer: int, stamp: int
) -> None:
    conn.execute(
        "INSERT INTO appointments (id, status, subject, meeting_type, office, agent, start_utc,"
        " end_utc, trailing_buffer, timezone, language, customer, created_at, updated_at)"
        " VALUES (?, 'confirmed', 'mortgage', 'VIDEO', NULL, ?, ?, ?, ?, 'UTC', 'en',"
        " '{}', ?, ?)",
        (uuid.uuid4().hex, agent, start, end, buffer, stamp, stamp),
    )
