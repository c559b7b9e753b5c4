"""Warnings of `rendezvous check`: a valid file whose rules can never be met.

An error stops the server; a warning does not, because the file is consistent and the
rule may be meant for later (hours not entered yet). Each warning names the key to
change, as an error does:

- the minimum notice (`earliest`, minutes) reaches past the horizon (`latest`, days):
  no start can be both far enough ahead and near enough;
- the `duration` is longer than every block of hours that allows the subject and the
  meeting type at that office (read on wall-clock time): no slot fits in any block.

Each (subject, meeting type, office) is read with the office's overrides applied, and
a warning is reported at the key that sets the value (the office's override, else the
subject's rule), once per key.
"""

from __future__ import annotations

from dataclasses import dataclass

from availability import model
from availability.conditions import allows
from availability.model import MEETING_TYPES
from server.config.loading import LoadedOrganisation
from server.config.messages import Issue, key_path
from server.vocabulary import HOW, text

_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class RuleWarning(Issue):
    """A rule that can never be met, at the key that sets it, and the (subject, meeting
    type, office) combinations it concerns."""

    combinations: tuple[tuple[str, str, str], ...] = ()


def rule_warnings(loaded: LoadedOrganisation) -> list[RuleWarning]:
    """Rules of a valid organisation file that can never be met."""
    org, engine = loaded.organisation, loaded.engine
    first = org.organisation.languages[0]
    subject_index = {subject.id: i for i, subject in enumerate(org.subjects)}
    found: dict[str, list[str]] = {}  # path -> the places it concerns
    concerned: dict[str, list[tuple[str, str, str]]] = {}
    messages: dict[str, str] = {}
    for j, office in enumerate(org.offices):
        office_name = text(office.name, first, first)
        for subject_id, assignment in office.subjects.items():
            if subject_id not in engine.subjects:
                continue
            name = text(org.subjects[subject_index[subject_id]].name, first, first)
            for meeting_type in MEETING_TYPES:
                if meeting_type not in assignment.meeting_types:
                    continue
                rule = engine.offices[office.id].subjects[subject_id].rules[meeting_type]
                override = assignment.rules.get(meeting_type)
                where = f"{name} {HOW[meeting_type]} at {office_name}"
                subject_path = f"subjects[{subject_index[subject_id]}].meeting_types.{meeting_type}"
                office_path = f"offices[{j}].subjects{key_path(subject_id)}.rules.{meeting_type}"
                notice = _notice_problem(rule)
                if notice is not None:
                    key = _key("earliest", override, office_path, subject_path)
                    messages[key] = notice
                    found.setdefault(key, []).append(where)
                    concerned.setdefault(key, []).append((subject_id, meeting_type, office.id))
                longest = _longest_block(engine, office.id, subject_id, meeting_type)
                if longest is not None and longest < rule.duration:
                    key = _key("duration", override, office_path, subject_path)
                    messages[key] = (
                        f"{rule.duration} minutes is longer than every block of hours that"
                        f" allows it (the longest: {longest} minutes): it can never be booked"
                    )
                    found.setdefault(key, []).append(where)
                    concerned.setdefault(key, []).append((subject_id, meeting_type, office.id))
    return [
        RuleWarning(
            key,
            f"{messages[key]} — {', '.join(dict.fromkeys(places))}",
            tuple(concerned[key]),
        )
        for key, places in found.items()
    ]


def _key(field: str, override: object, office_path: str, subject_path: str) -> str:
    """The path of the key that sets `field`: the office's override, else the subject's."""
    if override is not None and getattr(override, field) is not None:
        return f"{office_path}.{field}"
    return f"{subject_path}.{field}"


def _notice_problem(rule: model.PlanningRule) -> str | None:
    horizon = rule.latest * _MINUTES_PER_DAY
    if rule.earliest >= horizon + _MINUTES_PER_DAY:
        return (
            f"the minimum notice ({rule.earliest} minutes) reaches past the booking horizon"
            f" (latest = {rule.latest} days): nothing can ever be booked"
        )
    if rule.earliest > horizon:
        return (
            f"the minimum notice ({rule.earliest} minutes) reaches into the last day of the"
            f" booking horizon (latest = {rule.latest} days): only that day's late hours can"
            " be booked"
        )
    return None


def _longest_block(
    engine: model.Organisation, office: str, subject: str, meeting_type: str
) -> int | None:
    """The longest block (wall-clock minutes) of an agent assigned there that allows the
    subject and meeting type; None when there is none (the doctor's "no hours")."""
    longest = None
    for agent_id in engine.offices[office].subjects[subject].agents:
        agent = engine.agents.get(agent_id)
        if agent is None:
            continue
        for blocks in (*agent.week, *agent.days.values()):
            for block in blocks:
                if allows(block, office, subject, meeting_type):
                    length = (block.end.hour - block.start.hour) * 60 + (
                        block.end.minute - block.start.minute
                    )
                    longest = length if longest is None else max(longest, length)
    return longest
