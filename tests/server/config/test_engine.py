"""From the organisation file to the availability engine's input."""

from __future__ import annotations

import dataclasses
from datetime import date, time

import pytest

from availability import model
from server import config
from server.config import engine as planning
from tests.support import organisation_text

SOURCE = organisation_text("engine")


@pytest.fixture(scope="module")
def engine() -> model.Organisation:
    return config.loads(SOURCE).engine


def test_the_subjects_rules_are_resolved_with_the_spec_defaults(engine: model.Organisation) -> None:
    subject = engine.subjects["mortgage"]
    assert subject.available_for_customers is False
    assert subject.meeting_types == {
        "OFFICE": model.PlanningRule(
            duration=60,
            granularity=30,
            trailing_buffer=15,
            earliest=240,
            latest=45,
            auto_accept=False,
            max_concurrent=2,
        ),
        "VIDEO": model.PlanningRule(),
    }


def test_an_office_overrides_the_subjects_rule_field_by_field(engine: model.Organisation) -> None:
    rules = engine.offices["brussels"].subjects["mortgage"].rules
    subject_rule = engine.subjects["mortgage"].meeting_types["OFFICE"]
    assert rules["OFFICE"] == dataclasses.replace(subject_rule, duration=45, auto_accept=True)
    assert rules["VIDEO"] == model.PlanningRule(earliest=30)


def test_an_office_without_overrides_uses_the_subjects_rule(engine: model.Organisation) -> None:
    london = engine.offices["london"]
    assert london.timezone == "Europe/London"
    assert london.active is True
    assert london.subjects["mortgage"] == model.OfficeSubject(
        meeting_types=frozenset({"VIDEO"}), agents=(), rules={"VIDEO": model.PlanningRule()}
    )


def test_an_office_keeps_its_assignment_and_state(engine: model.Organisation) -> None:
    brussels = engine.offices["brussels"]
    assert brussels.active is False
    assert brussels.subjects["mortgage"].meeting_types == frozenset({"OFFICE", "VIDEO"})
    assert brussels.subjects["mortgage"].agents == ("alice",)


def test_the_week_has_seven_days_monday_first_with_blocks_in_order(
    engine: model.Organisation,
) -> None:
    week = engine.agents["alice"].week
    assert len(week) == 7
    assert [block.start for block in week[0]] == [time(9, 0), time(13, 30)]
    assert week[1] == ()
    assert [block.office for block in week[2]] == ["london"]
    assert week[6] == (model.Block(start=time(10, 0), end=time(11, 0), office="london"),)


def test_a_block_keeps_its_restrictions(engine: model.Organisation) -> None:
    restricted = engine.agents["alice"].week[0][1]
    assert restricted == model.Block(
        start=time(13, 30),
        end=time(17, 0),
        office="brussels",
        subjects=frozenset({"mortgage"}),
        meeting_types=frozenset({"VIDEO"}),
        confirm_manually=True,
    )
    assert engine.agents["alice"].week[0][0].subjects is None
    assert engine.agents["alice"].week[0][0].meeting_types is None


def test_day_templates_replace_the_week_and_unavailable_has_no_blocks(
    engine: model.Organisation,
) -> None:
    days = engine.agents["alice"].days
    assert list(days) == [date(2026, 12, 24), date(2026, 12, 28)]
    assert days[date(2026, 12, 24)] == ()
    assert days[date(2026, 12, 28)] == (
        model.Block(start=time(10, 0), end=time(14, 0), office="brussels"),
    )


def test_the_agents_state_and_expertise(engine: model.Organisation) -> None:
    alice = engine.agents["alice"]
    assert (alice.active, alice.online_planning) == (True, False)
    assert alice.expertise == frozenset({"mortgage"})


def test_the_engines_input_cannot_be_changed(engine: model.Organisation) -> None:
    with pytest.raises(TypeError):
        engine.agents["bob"] = engine.agents["alice"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        engine.agents["alice"].active = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("00:00", time(0, 0), id="midnight"),
        pytest.param("09:05", time(9, 5), id="morning"),
        pytest.param("23:59", time(23, 59), id="last-minute"),
    ],
)
def test_parse_time_reads_hh_mm(value: str, expected: time) -> None:
    assert planning.parse_time(value) == expected


@pytest.mark.parametrize("value", ["24:00", "9:00", "09:60", "0900", "09:00:00", "ab:cd", ""])
def test_parse_time_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValueError):
        planning.parse_time(value)


def test_resolve_rule_applies_only_the_fields_given() -> None:
    rule = config.PlanningRule(duration=60, granularity=30)
    override = config.RuleOverride(granularity=20, max_concurrent=3)
    assert planning.resolve_rule(rule, override) == model.PlanningRule(
        duration=60, granularity=20, max_concurrent=3
    )
    assert planning.resolve_rule(rule) == model.PlanningRule(duration=60, granularity=30)
