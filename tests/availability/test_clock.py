from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from availability.clock import grid_starts, local_day, to_instant


def minutes(*instants: datetime) -> tuple[int, ...]:
    return tuple(int(instant.timestamp()) // 60 for instant in instants)


def test_zoneinfo_reads_a_missing_time_with_the_offset_in_force_before_the_gap() -> None:
    # RFC 5545 3.3.5 asks for exactly this; the engine relies on it for block edges.
    missing = datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Brussels"))
    assert missing.utcoffset() is not None and missing.utcoffset().total_seconds() == 3600
    assert missing.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_zoneinfo_reads_a_repeated_time_as_its_first_occurrence() -> None:
    repeated = datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Brussels"))
    assert repeated.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "missing"),
    [
        pytest.param("Europe/Brussels", date(2026, 3, 29), range(120, 180), id="brussels-spring"),
        pytest.param("Europe/Brussels", date(2026, 10, 25), range(0), id="brussels-autumn"),
        pytest.param("America/New_York", date(2026, 3, 8), range(120, 180), id="new-york-spring"),
        pytest.param("Australia/Sydney", date(2026, 10, 4), range(120, 180), id="sydney-spring"),
        pytest.param("Australia/Lord_Howe", date(2026, 10, 4), range(120, 150), id="lord-howe"),
        pytest.param("Europe/Brussels", date(2026, 6, 15), range(0), id="quiet-day"),
    ],
)
def test_a_local_day_knows_which_wall_clock_minutes_do_not_exist(
    zone: str, day: date, missing: range
) -> None:
    local = local_day(zone, day)
    assert sorted(wall for wall in range(1440) if not local.exists(wall)) == list(missing)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        pytest.param("Europe/Brussels", date(2026, 3, 29), id="brussels-spring"),
        pytest.param("Europe/Brussels", date(2026, 10, 25), id="brussels-autumn"),
        pytest.param("America/New_York", date(2026, 11, 1), id="new-york-autumn"),
        pytest.param("Australia/Sydney", date(2026, 4, 5), id="sydney-autumn"),
        pytest.param("Australia/Lord_Howe", date(2026, 4, 5), id="lord-howe-autumn"),
    ],
)
def test_every_wall_clock_minute_maps_to_the_instant_zoneinfo_gives_with_fold_zero(
    zone: str, day: date
) -> None:
    local = local_day(zone, day)
    tz = ZoneInfo(zone)
    for wall in range(1440):
        expected = datetime.combine(day, time(wall // 60, wall % 60), tz).astimezone(UTC)
        assert to_instant(local.utc(wall)) == expected


@pytest.mark.parametrize(
    ("zone", "day", "block", "granularity", "duration", "expected"),
    [
        pytest.param(
            "Europe/Brussels",
            date(2026, 3, 29),
            (60, 240),
            30,
            30,
            minutes(
                *(
                    datetime(2026, 3, 29, h, m, tzinfo=UTC)
                    for h, m in [(0, 0), (0, 30), (1, 0), (1, 30)]
                )
            ),
            id="spring-gap-starts-are-skipped",
        ),
        pytest.param(
            "Europe/Brussels",
            date(2026, 3, 29),
            (60, 240),
            30,
            60,
            minutes(
                *(datetime(2026, 3, 29, h, m, tzinfo=UTC) for h, m in [(0, 0), (0, 30), (1, 0)])
            ),
            id="spring-slot-must-end-by-the-real-block-end",
        ),
        pytest.param(
            "Europe/Brussels",
            date(2026, 3, 29),
            (150, 300),
            30,
            30,
            minutes(
                *(datetime(2026, 3, 29, h, m, tzinfo=UTC) for h, m in [(1, 30), (2, 0), (2, 30)])
            ),
            id="block-start-in-the-gap-is-read-before-the-gap",
        ),
        pytest.param(
            "Europe/Brussels",
            date(2026, 3, 29),
            (60, 150),
            30,
            30,
            minutes(
                *(datetime(2026, 3, 29, h, m, tzinfo=UTC) for h, m in [(0, 0), (0, 30), (1, 0)])
            ),
            id="block-end-in-the-gap-is-read-before-the-gap",
        ),
        pytest.param(
            "Europe/Brussels",
            date(2026, 10, 25),
            (60, 240),
            30,
            30,
            minutes(
                datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
                datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
                datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
                datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
                datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
            ),
            id="autumn-repeated-starts-mean-their-first-occurrence",
        ),
        pytest.param(
            "Europe/Brussels",
            date(2026, 10, 25),
            (60, 240),
            60,
            120,
            minutes(
                datetime(2026, 10, 24, 23, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
            ),
            id="autumn-block-is-four-real-hours-long",
        ),
    ],
)
def test_grid_starts_across_a_change(
    zone: str,
    day: date,
    block: tuple[int, int],
    granularity: int,
    duration: int,
    expected: tuple[int, ...],
) -> None:
    assert grid_starts(zone, day, *block, granularity, duration) == expected
