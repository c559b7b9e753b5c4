"""The slots answer is written straight from the engine's minutes, byte for byte what the
straightforward rendering (an aware datetime per time, `isoformat`) gives, across
daylight-saving changes and in zones with half-hour offsets."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability import SlotMinutes, to_slots
from server.booking.presenters import slots_body
from server.booking.timestamps import LocalTimes

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def straightforward(timezone: str, found: SlotMinutes) -> bytes:
    """The answer as one would first write it: datetimes, `isoformat`, `json.dumps`."""
    zone = ZoneInfo(timezone)
    slots = [
        {
            "start": slot.start.astimezone(zone).isoformat(),
            "end": slot.end.astimezone(zone).isoformat(),
            "duration": slot.duration,
        }
        for slot in to_slots(found)
    ]
    return json.dumps({"timezone": timezone, "slots": slots}, separators=(",", ":")).encode()


def minute_of(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(minutes=1)


def around(day: date, timezone: str, step: int = 5) -> SlotMinutes:
    """Starts every `step` minutes from the day before to the day after `day` (local),
    with lengths that carry the end across the change."""
    zone = ZoneInfo(timezone)
    first = minute_of(datetime.combine(day - timedelta(days=1), time(), zone))
    last = minute_of(datetime.combine(day + timedelta(days=2), time(), zone))
    starts = list(range(first, last, step))
    lengths = (30, 45, 60, 90, 150)
    return SlotMinutes(starts, [lengths[i % len(lengths)] for i in range(len(starts))])


CHANGE_DAYS = [
    pytest.param("Europe/Brussels", date(2026, 3, 29), id="brussels-spring"),
    pytest.param("Europe/Brussels", date(2026, 10, 25), id="brussels-autumn"),
    pytest.param("America/New_York", date(2026, 3, 8), id="new-york-spring"),
    pytest.param("America/New_York", date(2026, 11, 1), id="new-york-autumn"),
    pytest.param("Australia/Sydney", date(2026, 4, 5), id="sydney-autumn"),
    pytest.param("Australia/Sydney", date(2026, 10, 4), id="sydney-spring"),
    pytest.param("Australia/Lord_Howe", date(2026, 4, 5), id="lord-howe-half-hour-change"),
    pytest.param("Australia/Lord_Howe", date(2026, 10, 4), id="lord-howe-spring"),
    pytest.param("Australia/Adelaide", date(2026, 4, 5), id="adelaide-half-hour-offset"),
    pytest.param("Asia/Kolkata", date(2026, 6, 1), id="kolkata-half-hour-offset"),
    pytest.param("America/St_Johns", date(2026, 3, 8), id="st-johns-minus-3-30"),
    pytest.param("Asia/Kathmandu", date(2026, 6, 1), id="kathmandu-plus-5-45"),
    pytest.param("UTC", date(2026, 6, 1), id="utc-spelled-plus-zero"),
    pytest.param("America/Sao_Paulo", date(2026, 6, 1), id="negative-offset"),
]


@pytest.mark.parametrize(("timezone", "day"), CHANGE_DAYS)
def test_the_answer_is_byte_for_byte_the_straightforward_one(timezone: str, day: date) -> None:
    found = around(day, timezone)
    assert slots_body(timezone, ZoneInfo(timezone), found) == straightforward(timezone, found)


@pytest.mark.parametrize(("timezone", "day"), CHANGE_DAYS[:8])
def test_a_range_across_a_change_shows_both_offsets(timezone: str, day: date) -> None:
    body = json.loads(slots_body(timezone, ZoneInfo(timezone), around(day, timezone)))
    assert len({slot["start"][-6:] for slot in body["slots"]}) == 2


def test_an_empty_answer() -> None:
    assert slots_body("Europe/Brussels", ZoneInfo("Europe/Brussels"), SlotMinutes([], [])) == (
        b'{"timezone":"Europe/Brussels","slots":[]}'
    )


def test_a_zone_whose_offset_is_not_whole_minutes_is_rendered_as_before() -> None:
    # Monrovia kept local mean time (-00:44:30) until 1972: the datetime rendering.
    zone = ZoneInfo("Africa/Monrovia")
    start = minute_of(datetime(1971, 3, 1, 9, tzinfo=UTC))
    found = SlotMinutes([start], [30])
    assert not LocalTimes(zone, start, start + 30).exact
    expected = msgspec.json.encode(
        {
            "timezone": "Africa/Monrovia",
            "slots": [
                {"start": s.start.astimezone(zone), "end": s.end.astimezone(zone), "duration": 30}
                for s in to_slots(found)
            ],
        }
    )
    assert slots_body("Africa/Monrovia", zone, found) == expected


ZONES = sorted(
    name for name in available_timezones() if "/" in name and not name.startswith("Etc/")
)


@settings(max_examples=200, deadline=None)
@given(
    timezone=st.sampled_from(ZONES),
    first=st.integers(
        minute_of(datetime(2020, 1, 1, tzinfo=UTC)), minute_of(datetime(2032, 1, 1, tzinfo=UTC))
    ),
    gaps=st.lists(st.integers(1, 2000), min_size=1, max_size=60),
    lengths=st.lists(st.sampled_from([5, 15, 30, 45, 60, 90, 240, 1440]), min_size=1),
)
def test_any_zone_any_window(
    timezone: str, first: int, gaps: list[int], lengths: list[int]
) -> None:
    starts = [first]
    for gap in gaps:
        starts.append(starts[-1] + gap)
    found = SlotMinutes(starts, [lengths[i % len(lengths)] for i in range(len(starts))])
    assert slots_body(timezone, ZoneInfo(timezone), found) == straightforward(timezone, found)
