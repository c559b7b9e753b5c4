"""From the decoded organisation file to the availability engine's input.

Everything here assumes a file that `server.config` has already validated.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TypeVar

from availability import model
from server.config import types as config

_K = TypeVar("_K")
_V = TypeVar("_V")
_RULE_FIELDS = tuple(field.name for field in dataclasses.fields(model.PlanningRule))


def parse_time(value: str) -> datetime.time:
    """A wall-clock time "HH:MM" from 00:00 to 23:59; ValueError otherwise."""
    hours, sep, minutes = value.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and (hours + minutes).isdigit()):
        raise ValueError(f'expected a time "HH:MM", got {value!r}')
    return datetime.time(int(hours), int(minutes))


def resolve_rule(
    rule: config.PlanningRule, override: config.RuleOverride | None = None
) -> model.PlanningRule:
    """The subject's rule with the office's override applied field by field."""
    values = {name: getattr(rule, name) for name in _RULE_FIELDS}
    if override is not None:
        for name in _RULE_FIELDS:
            value = getattr(override, name)
            if value is not None:
                values[name] = value
    return model.PlanningRule(**values)


def to_engine(org_root: config.OrganisationFile) -> model.Organisation:
    subjects = {
        subject.id: model.Subject(
            id=subject.id,
            available_for_customers=subject.available_for_customers,
            meeting_types=_frozen(
                (name, resolve_rule(rule)) for name, rule in subject.meeting_types.items()
            ),
        )
        for subject in org_root.subjects
    }
    offices = {
        office.id: model.Office(
            id=office.id,
            timezone=office.timezone,
            active=office.active,
            subjects=_frozen(
                (subject_id, _office_subject(org_root, subject_id, assignment))
                for subject_id, assignment in office.subjects.items()
            ),
        )
        for office in org_root.offices
    }
    agents = {
        agent.id: model.Agent(
            id=agent.id,
            active=agent.active,
            online_planning=agent.online_planning,
            expertise=frozenset(agent.expertise),
            week=tuple(_blocks(getattr(agent.week, day)) for day in _WEEKDAYS),
            days=_frozen(
                (day.date, _blocks(day.blocks or ())) for day in sorted(agent.days, key=_date)
            ),
        )
        for agent in org_root.agents
    }
    return model.Organisation(
        subjects=_frozen(subjects.items()),
        offices=_frozen(offices.items()),
        agents=_frozen(agents.items()),
    )


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _date(day: config.DayTemplate) -> datetime.date:
    return day.date


def _office_subject(
    org_root: config.OrganisationFile, subject_id: str, assignment: config.OfficeSubject
) -> model.OfficeSubject:
    subject = next(s for s in org_root.subjects if s.id == subject_id)
    return model.OfficeSubject(
        meeting_types=frozenset(assignment.meeting_types),
        agents=tuple(assignment.agents),
        rules=_frozen(
            (name, resolve_rule(subject.meeting_types[name], assignment.rules.get(name)))
            for name in assignment.meeting_types
        ),
    )


def _blocks(blocks: Iterable[config.Block]) -> tuple[model.Block, ...]:
    return tuple(
        model.Block(
            start=parse_time(block.start),
            end=parse_time(block.end),
            office=block.office,
            subjects=None if block.subjects is None else frozenset(block.subjects),
            meeting_types=None if block.meeting_types is None else frozenset(block.meeting_types),
            confirm_manually=block.confirm_manually,
        )
        for block in sorted(blocks, key=lambda block: block.start)
    )


def _frozen(items: Iterable[tuple[_K, _V]]) -> Mapping[_K, _V]:
    return MappingProxyType(dict(items))
