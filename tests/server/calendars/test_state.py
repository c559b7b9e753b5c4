"""What reads and writes do to a calendar's state, when its data may be used, and how
stored intervals become the engine's external busy time (pure, no I/O)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server import config
from server.calendars import intervals, state
from server.calendars.intervals import Decoded, External, Policy, pack, unpack, usable
from server.calendars.links import Link
from server.calendars.problems import HTTPStatus, Refused, Unreachable, WriteRefused
from server.store import CalendarRow, open_store

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
EVERY = timedelta(minutes=5)
LINK = Link(
    agent="alice",
    kind="ics",
    fingerprint="f1",
    zone="Europe/Brussels",
    write=False,
    calendar=config.Calendar(kind="ics", url_env="ALICE_CALENDAR_URL"),
)
BUSY = pack([(1_795_500_000, 1_795_503_600)])


def read(busy: bytes | None = BUSY) -> state.Read:
    return state.Read(busy, NOW - timedelta(days=1), NOW + timedelta(days=60), intervals=1)


def worked() -> CalendarRow:
    row, notice = state.after_read(state.new_row(LINK, NOW), LINK, read(), NOW, EVERY)
    assert notice is None
    return row


def test_a_read_that_works_stores_the_busy_time_and_is_due_again_later() -> None:
    row = worked()
    assert (row.busy, row.worked_at, row.problem) == (BUSY, NOW, None)
    first = row.revision
    assert first > 0
    assert row.next_check_at == NOW + EVERY and row.lease_owner is None
    again, _ = state.after_read(row, LINK, read(), NOW + EVERY, EVERY)
    assert again.revision == first  # the same busy time: the same revision
    not_modified, _ = state.after_read(row, LINK, read(None), NOW + EVERY, EVERY)
    assert (not_modified.busy, not_modified.revision) == (BUSY, first)
    assert not_modified.worked_at == NOW + EVERY
    changed, _ = state.after_read(row, LINK, read(pack([(1, 2)])), NOW + EVERY, EVERY)
    assert changed.revision not in (0, first)  # a new, random one


@pytest.mark.parametrize(
    ("failures", "notices"),
    [
        pytest.param([Refused("x")], [state.Notice.BROKEN], id="refused-at-once"),
        pytest.param([Unreachable("x")], [None], id="one-passing-failure"),
        pytest.param(
            [Unreachable("x"), HTTPStatus(503)], [None, state.Notice.BROKEN], id="two-in-a-row"
        ),
        pytest.param(
            [Refused("x"), Refused("x"), Unreachable("x")],
            [state.Notice.BROKEN, None, None],
            id="once-per-breakage",
        ),
    ],
)
def test_a_calendar_is_told_broken_once(
    failures: list[Exception], notices: list[state.Notice | None]
) -> None:
    row = worked()
    found = []
    for failure in failures:
        row, notice = state.after_read(row, LINK, failure, NOW, EVERY)  # type: ignore[arg-type]
        found.append(notice)
    assert found == notices
    assert row.busy == BUSY and row.worked_at == NOW  # the last good data is kept
    assert row.failures == len(failures) and row.failing_since == NOW


def test_a_recovery_is_told_only_after_a_told_breakage() -> None:
    row, _ = state.after_read(worked(), LINK, Unreachable("x"), NOW, EVERY)
    row, notice = state.after_read(row, LINK, read(), NOW, EVERY)
    assert notice is None and row.failures == 0  # a blip, never told
    row, _ = state.after_read(row, LINK, Refused("x"), NOW, EVERY)
    row, notice = state.after_read(row, LINK, read(), NOW, EVERY)
    assert notice is state.Notice.RESTORED
    assert (row.notified, row.failing_since, row.problem) == (False, None, None)


def test_a_refused_write_breaks_a_calendar_that_reads_well_until_a_write_works() -> None:
    row, notice = state.after_write(worked(), WriteRefused("read-only"), NOW)
    assert notice is state.Notice.BROKEN and row.write_problem == "write_refused"
    row, notice = state.after_write(row, WriteRefused("read-only"), NOW)
    assert notice is None
    row, notice = state.after_read(row, LINK, read(), NOW, EVERY)
    assert notice is None and state.broken(row)  # reading works, writing does not
    row, notice = state.after_write(row, None, NOW)
    assert notice is state.Notice.RESTORED and not state.broken(row)


def test_a_read_for_another_link_forgets_the_old_calendar() -> None:
    other = dataclasses.replace(LINK, fingerprint="f2")
    row, _ = state.after_read(worked(), other, Refused("x"), NOW, EVERY)
    assert (row.link, row.busy, row.worked_at) == ("f2", b"", None)


@pytest.mark.parametrize(
    ("row", "policy", "at", "expected"),
    [
        pytest.param("works", Policy({"alice": LINK}), NOW + timedelta(days=30), True, id="works"),
        pytest.param("never", Policy({"alice": LINK}), NOW, False, id="never-read"),
        pytest.param("broken", Policy({"alice": LINK}), NOW + timedelta(hours=24), True, id="24h"),
        pytest.param(
            "broken",
            Policy({"alice": LINK}),
            NOW + timedelta(hours=24, seconds=1),
            False,
            id="past",
        ),
        pytest.param("broken", Policy({"alice": LINK}, timedelta(0)), NOW, False, id="keep-none"),
        pytest.param("works", Policy({}), NOW, False, id="no-longer-linked"),
        pytest.param(
            "works",
            Policy({"alice": dataclasses.replace(LINK, fingerprint="f2")}),
            NOW,
            False,
            id="relinked",
        ),
        pytest.param("works", Policy(None), NOW, True, id="without-a-policy"),
    ],
)
def test_when_stored_busy_time_may_be_used(
    row: str, policy: Policy, at: datetime, expected: bool
) -> None:
    rows = {
        "works": worked(),
        "never": state.new_row(LINK, NOW),
        "broken": state.after_read(worked(), LINK, Refused("x"), NOW, EVERY)[0],
    }
    assert usable(rows[row], policy, at) is expected


def test_intervals_pack_and_unpack() -> None:
    pairs = [(1, 5), (10, 20), (2**40, 2**40 + 60)]
    assert unpack(pack(pairs)) == pairs
    assert pack([]) == b"" and len(pack(pairs)) == 48


def test_external_busy_time_is_decoded_on_first_use_and_cut_to_the_window() -> None:
    def at(hour: int) -> int:
        return int((NOW + timedelta(hours=hour)).timestamp())

    stored = {
        "alice": pack([(at(-50), at(-49)), (at(-2), at(1)), (at(3), at(4)), (at(90), at(91))])
    }
    decoded = Decoded()
    decoded.put(("alice", 3), stored["alice"])
    external = External({"alice": 3}, decoded, NOW, NOW + timedelta(hours=48))
    [first, second] = external["alice"]
    assert (first.start, first.end) == (NOW - timedelta(hours=2), NOW + timedelta(hours=1))
    assert second.start == NOW + timedelta(hours=3)
    assert list(external) == ["alice"] and len(external) == 1
    assert external.get("bob") is None
    assert external.key[0] == (("alice", 3),)
    assert ("alice", 3) in decoded and ("alice", 4) not in decoded


async def test_a_read_takes_the_intervals_only_of_calendars_not_decoded_yet(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "rendezvous.sqlite3")
    asked: list[bool] = []

    class Counting:
        async def calendars(self, agents: Any = None, *, busy: bool = True) -> Any:
            asked.append(busy)
            return await store.calendars(agents, busy=busy)

    try:
        async with store.write() as tx:
            await tx.sync_calendars({"alice": ("f1", "ics")}, NOW)
            await tx.save_calendar(worked())
        policy = Policy({"alice": LINK})
        window = (NOW - timedelta(days=1), NOW + timedelta(days=60))
        first = await intervals.read(Counting(), ["alice", "bob"], *window, NOW, policy)  # type: ignore[arg-type]
        assert asked == [False, True]  # the states, then alice's intervals
        assert [(i.start, i.end) for i in first.external["alice"]] == [
            (datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC))
            for s, e in unpack(BUSY)
        ]
        assert first.unavailable == frozenset()  # bob links no calendar
        again = await intervals.read(Counting(), ["alice"], *window, NOW, policy)  # type: ignore[arg-type]
        assert asked == [False, True, False]  # decoded already: the states only
        assert again.external["alice"] == first.external["alice"]
        changed, _ = state.after_read(
            worked(), LINK, read(pack([(1_795_510_000, 1_795_511_000)])), NOW, EVERY
        )
        async with store.write() as tx:
            await tx.save_calendar(changed)
        third = await intervals.read(Counting(), ["alice"], *window, NOW, policy)  # type: ignore[arg-type]
        assert asked[-2:] == [False, True]  # a new revision: its intervals are read
        assert [i.start for i in third.external["alice"]] == [
            datetime.fromtimestamp(1_795_510_000, UTC)
        ]
    finally:
        await store.close()
