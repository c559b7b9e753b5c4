from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability import (
    OFFICE,
    VIDEO,
    Block,
    Busy,
    Candidate,
    Occupation,
    Office,
    Organisation,
    PlanningRule,
    candidates,
    choose_agent,
    find_slots,
)
from tests.availability.cases import MONDAY, NOW, Bank, busy_all_day, query, utc
from tests.availability.strategies import Scenario, scenarios

NINE = utc(2026, 6, 15, 7, 0)  # 09:00 in Brussels


def options_at(
    bank: Bank,
    start: datetime,
    busy: Busy | None = None,
    *,
    office: str | None = "brussels",
    meeting_type: str = OFFICE,
) -> list[Candidate]:
    org = bank.org()
    return candidates(org, busy or Busy(), "mortgage", meeting_type, office, None, start, NOW)


# candidates -------------------------------------------------------------------------


def test_a_free_grid_start_has_one_candidate_per_free_agent_in_assignment_order() -> None:
    bank = Bank(agents=("bob", "ann"))
    options = options_at(bank, NINE)
    assert [(option.agent, option.office) for option in options] == [
        ("bob", "brussels"),
        ("ann", "brussels"),
    ]
    assert options[0].end == NINE + timedelta(minutes=30)
    assert options[0].rule == PlanningRule()


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(NINE + timedelta(minutes=5), id="off-the-grid"),
        pytest.param(NINE + timedelta(seconds=30), id="not-a-whole-minute"),
        pytest.param(utc(2026, 6, 15, 15, 0), id="after-hours"),
        pytest.param(utc(2026, 6, 14, 7, 0), id="in-the-past"),
    ],
)
def test_a_start_that_is_not_offered_has_no_candidate(start: datetime) -> None:
    assert options_at(Bank(), start) == []


def test_a_busy_agent_is_no_candidate() -> None:
    bank = Bank(agents=("ann", "bob"))
    assert [option.agent for option in options_at(bank, NINE, busy_all_day("ann"))] == ["bob"]


@pytest.mark.parametrize(
    ("bank", "manual"),
    [
        pytest.param(Bank(), False, id="auto-accepted"),
        pytest.param(Bank(rule=PlanningRule(auto_accept=False)), True, id="rule-asks"),
        pytest.param(
            Bank(week=((Block(time(9), time(12), "brussels", confirm_manually=True),),) * 7),
            True,
            id="block-asks",
        ),
    ],
)
def test_a_candidate_says_whether_the_agent_must_confirm(bank: Bank, manual: bool) -> None:
    [option] = options_at(bank, NINE)
    assert option.confirm_manually is manual


def test_for_video_without_an_office_every_office_is_a_candidate() -> None:
    [option] = options_at(Bank(), NINE, office=None, meeting_type=VIDEO)
    assert option.office == "brussels"
    with pytest.raises(ValueError, match="office"):
        options_at(Bank(), NINE, office=None)


@settings(settings.get_profile("availability"))
@given(scenarios(), st.data())
def test_candidates_offer_exactly_the_starts_find_slots_offers(
    scenario: Scenario, data: st.DataObject
) -> None:
    org, busy, asked, now = scenario.org, scenario.busy, scenario.query, scenario.now
    slots = find_slots(org, busy, asked, now)
    offered = {slot.start for slot in slots}
    probes = {slot.start for slot in slots[:3]}
    origin = datetime.combine(asked.first_day, time(), UTC) - timedelta(hours=14)
    window = ((asked.last_day - asked.first_day).days + 2) * 1440 + 28 * 60
    for minute in data.draw(st.lists(st.integers(0, window), max_size=8)):
        start = origin + timedelta(minutes=minute)
        if asked.first_day <= start.astimezone(ZoneInfo(asked.timezone)).date() <= asked.last_day:
            probes.add(start)
    for start in probes:
        options = candidates(
            org, busy, asked.subject, asked.meeting_type, asked.office, asked.agent, start, now
        )
        assert bool(options) == (start in offered)
        assert {(start, option.end) for option in options} <= {
            (slot.start, slot.end) for slot in slots
        }


# choose_agent -------------------------------------------------------------------------


def _org(*zones: str) -> Organisation:
    offices = {
        f"office-{index}": Office(f"office-{index}", zone) for index, zone in enumerate(zones)
    }
    return Organisation({}, offices, {})


def _option(agent: str, office: str = "office-0", start: datetime = NINE) -> Candidate:
    return Candidate(agent, office, PlanningRule(), start, start + timedelta(minutes=30), False)


def _appointments(*starts: datetime, hold: bool = False) -> list[Occupation]:
    return [Occupation(start, start + timedelta(minutes=30), hold=hold) for start in starts]


TUESDAY_NINE = NINE + timedelta(days=1)


@pytest.mark.parametrize(
    ("occupations", "preferred", "chosen"),
    [
        pytest.param({}, None, "ann", id="no-appointments-ties-go-to-the-first-agent-id"),
        pytest.param(
            {"ann": _appointments(NINE + timedelta(hours=2))}, None, "bob", id="fewest-that-day"
        ),
        pytest.param(
            {"ann": _appointments(NINE + timedelta(hours=2)), "bob": _appointments(TUESDAY_NINE)},
            None,
            "bob",
            id="other-days-do-not-count-for-the-day",
        ),
        pytest.param(
            {"ann": _appointments(TUESDAY_NINE, TUESDAY_NINE + timedelta(hours=1))},
            None,
            "bob",
            id="same-day-load-then-fewest-that-week",
        ),
        pytest.param(
            {"ann": _appointments(NINE - timedelta(days=1))},
            None,
            "ann",
            id="the-sunday-before-is-another-iso-week",
        ),
        pytest.param(
            {"ann": _appointments(NINE + timedelta(hours=2), hold=True)},
            None,
            "ann",
            id="holds-are-not-appointments",
        ),
        pytest.param(
            {"ann": _appointments(utc(2026, 6, 14, 22, 30))},
            None,
            "bob",
            id="the-day-is-the-offices-local-day",
        ),
        pytest.param(
            {"bob": _appointments(NINE + timedelta(hours=2), NINE + timedelta(hours=3))},
            "bob",
            "bob",
            id="the-named-agent-wins-whatever-the-load",
        ),
        pytest.param(
            {"ann": _appointments(NINE + timedelta(hours=2))},
            "zoe",
            "bob",
            id="a-named-agent-who-is-not-free-is-ignored",
        ),
    ],
)
def test_choose_agent(
    occupations: dict[str, list[Occupation]], preferred: str | None, chosen: str
) -> None:
    options = [_option("bob"), _option("ann")]
    winner = choose_agent(_org("Europe/Brussels"), Busy(occupations), options, preferred)
    assert winner.agent == chosen


def test_one_agent_in_two_offices_goes_to_the_first_office_id() -> None:
    options = [_option("ann", "office-1"), _option("ann", "office-0")]
    org = _org("Europe/Brussels", "Europe/Brussels")
    assert choose_agent(org, Busy(), options).office == "office-0"


def test_choosing_among_no_options_is_an_error() -> None:
    with pytest.raises(ValueError, match="no candidate"):
        choose_agent(_org("UTC"), Busy(), [])


def test_the_choice_does_not_depend_on_the_order_of_the_options() -> None:
    busy = Busy({"cem": _appointments(NINE + timedelta(hours=1))})
    options = [_option("cem"), _option("bob"), _option("ann", "office-1"), _option("ann")]
    org = _org("Europe/Brussels", "Europe/Brussels")
    assert {choose_agent(org, busy, ordered) for ordered in (options, options[::-1])} == {
        _option("ann")
    }


def test_an_ordinary_monday_booked_through_candidates_and_choice() -> None:
    org = Bank(agents=("ann", "bob")).org()
    [first, *_] = find_slots(org, Busy(), query(MONDAY), NOW)
    options = candidates(org, Busy(), "mortgage", OFFICE, "brussels", None, first.start, NOW)
    assert choose_agent(org, Busy(), options).agent == "ann"
