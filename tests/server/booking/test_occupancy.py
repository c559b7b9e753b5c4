"""Stored appointments and holds as the engine's busy time (server/booking/occupancy.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from availability.model import Interval, Occupation
from server.booking.occupancy import MAX_OCCUPATION, load_busy, to_busy
from server.calendars.intervals import Policy
from server.store import BusySpan, HoldRow, Store, open_store
from server.vocabulary import to_unix

pytestmark = pytest.mark.both_backends

NINE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Brussels
HALF_HOUR = timedelta(minutes=30)


def row(start: datetime, *, hold: bool = False, agent: str = "farid", buffer: int = 0) -> BusySpan:
    """A span as `Store.busy_spans` reads it (a hold: its expiry, ten minutes on)."""
    expiry = to_unix(start + timedelta(minutes=10)) if hold else 0
    return (agent, to_unix(start), to_unix(start + HALF_HOUR), buffer, expiry)


def occupation(start: datetime, *, hold: bool = False, buffer: int = 0) -> Occupation:
    return Occupation(start, start + HALF_HOUR, buffer, hold)


def test_rows_become_each_agents_occupations_with_their_buffer_and_kind() -> None:
    later = NINE + timedelta(hours=1)

    busy = to_busy([row(NINE, buffer=10), row(later, hold=True)], ["farid", "emma"])

    assert busy.occupations == {
        "farid": [occupation(NINE, buffer=10), occupation(later, hold=True)],
        "emma": [],
    }
    assert busy.external == {}


def test_the_customers_own_hold_is_left_out_once() -> None:
    # Someone else holds the same time of the same agent (max_concurrent > 1).
    rows = [row(NINE, hold=True), row(NINE, hold=True)]

    busy = to_busy(rows, ["farid", "emma"], exclude_hold=("farid", NINE, NINE + HALF_HOUR))

    assert busy.occupations["farid"] == [occupation(NINE, hold=True)]


def test_an_appointment_at_the_holds_time_is_not_the_hold() -> None:
    rows = [row(NINE), row(NINE, hold=True)]

    busy = to_busy(rows, ["farid", "emma"], exclude_hold=("farid", NINE, NINE + HALF_HOUR))

    assert busy.occupations["farid"] == [occupation(NINE)]


def test_the_appointment_being_moved_is_left_out_once_and_never_a_hold() -> None:
    rows = [row(NINE), row(NINE), row(NINE, hold=True)]

    busy = to_busy(rows, ["farid", "emma"], exclude_appointment=("farid", NINE, NINE + HALF_HOUR))

    assert busy.occupations["farid"] == [occupation(NINE), occupation(NINE, hold=True)]


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(("emma", NINE, NINE + HALF_HOUR), id="another-agent"),
        pytest.param(("farid", NINE + HALF_HOUR, NINE + 2 * HALF_HOUR), id="another-start"),
        pytest.param(("farid", NINE, NINE + 2 * HALF_HOUR), id="another-end"),
    ],
)
def test_an_exclusion_leaves_out_only_the_row_it_names(
    other: tuple[str, datetime, datetime],
) -> None:
    rows = [row(NINE), row(NINE, hold=True)]

    busy = to_busy(rows, ["farid", "emma"], exclude_hold=other, exclude_appointment=other)

    assert busy.occupations["farid"] == [occupation(NINE), occupation(NINE, hold=True)]


def test_external_busy_time_is_passed_on() -> None:
    meeting = Interval(NINE, NINE + HALF_HOUR)

    busy = to_busy([], ["farid"], external={"farid": [meeting]})

    assert busy.external == {"farid": [meeting]}


# -- load_busy: one read from the store ----------------------------------------------------


@pytest.fixture
async def store(database: str | Path) -> AsyncIterator[Store]:
    store = await open_store(database)
    yield store
    await store.close()


async def hold_at(store: Store, id: str, start: datetime) -> None:
    async with store.write() as tx:
        await tx.insert_hold(
            HoldRow(
                id=id,
                agent="farid",
                subject="insurance",
                meeting_type="OFFICE",
                office="brussels",
                start=start,
                end=start + HALF_HOUR,
                trailing_buffer=0,
                expires_at=NINE + timedelta(days=30),
            )
        )


async def test_load_busy_reads_on_past_the_window_by_the_longest_occupation(store: Store) -> None:
    window_end = NINE + timedelta(hours=8)
    await hold_at(store, "inside", NINE)
    await hold_at(store, "after-the-window", window_end + MAX_OCCUPATION - HALF_HOUR)
    await hold_at(store, "too-far", window_end + MAX_OCCUPATION)

    busy = await load_busy(store, ["farid", "emma"], NINE, window_end, NINE, calendars=Policy())

    assert [o.start for o in busy.occupations["farid"]] == [
        NINE,
        window_end + MAX_OCCUPATION - HALF_HOUR,
    ]
    assert busy.occupations["emma"] == []


async def test_load_busy_leaves_out_the_customers_own_hold(store: Store) -> None:
    await hold_at(store, "mine", NINE)
    await hold_at(store, "theirs", NINE + HALF_HOUR)

    busy = await load_busy(
        store,
        ["farid"],
        NINE,
        NINE + timedelta(hours=8),
        NINE,
        exclude_hold=("farid", NINE, NINE + HALF_HOUR),
        calendars=Policy(),
    )

    assert busy.occupations["farid"] == [occupation(NINE + HALF_HOUR, hold=True)]
