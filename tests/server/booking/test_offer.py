"""Who gets a start, asked inside the booking's transaction (server/booking/offer.py).

That two customers racing for one start get one booking is test_concurrency.py's; here,
whose busy time the transaction reads, and what it answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from availability import Candidate, PlanningRule
from server import config
from server.booking.offer import offer, pool, status_of
from server.booking.requests import Target
from server.errors import NoAvailability
from server.snapshot import Snapshot
from server.store import HoldRow, Store, open_store
from tests.support import NOW, organisation_path

pytestmark = pytest.mark.both_backends

#: Alice and Emma open accounts in Brussels on Wednesdays; Farid alone does insurance
#: (tests/server/organisations/appointments.toml).
SNAPSHOT = Snapshot.build(config.load(organisation_path("appointments")))
POLICY = SNAPSHOT.calendar_policy  # nobody links a calendar
NINE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Brussels


def target(agent: str | None = None, subject: str = "account") -> Target:
    return Target(subject, "OFFICE", "brussels", agent, NINE, None)


@pytest.mark.parametrize(
    ("agent", "agents"),
    [
        pytest.param(None, ("alice", "emma"), id="everyone-who-serves-it"),
        pytest.param("emma", ("emma",), id="the-named-agent"),
        pytest.param("farid", (), id="a-named-agent-who-does-not-serve-it"),
    ],
)
def test_the_pool_is_whose_busy_time_the_transaction_reads(
    agent: str | None, agents: tuple[str, ...]
) -> None:
    assert pool(SNAPSHOT, target(agent)) == agents


def test_a_candidate_who_must_confirm_makes_a_request() -> None:
    def candidate(confirm_manually: bool) -> Candidate:
        return Candidate("alice", "brussels", PlanningRule(), NINE, NINE, confirm_manually)

    assert status_of(candidate(confirm_manually=True)) == "requested"
    assert status_of(candidate(confirm_manually=False)) == "confirmed"


@pytest.fixture
async def store(database: str | Path) -> AsyncIterator[Store]:
    store = await open_store(database)
    yield store
    await store.close()


async def test_the_offer_goes_to_a_free_agent_of_the_pool(store: Store) -> None:
    async with store.write() as tx:
        await tx.insert_hold(
            HoldRow(
                id="h1",
                agent="alice",
                subject="account",
                meeting_type="OFFICE",
                office="brussels",
                start=NINE,
                end=NINE + timedelta(minutes=30),
                trailing_buffer=0,
                expires_at=NOW + timedelta(minutes=7),
            )
        )
        chosen = await offer(
            tx, SNAPSHOT.engine, ("alice", "emma"), target(), NOW, calendars=POLICY
        )

    assert (chosen.agent, chosen.office, chosen.start) == ("emma", "brussels", NINE)
    assert chosen.end == NINE + timedelta(minutes=30)


async def test_no_agent_or_no_candidate_is_no_availability(store: Store) -> None:
    evening = Target("insurance", "OFFICE", "brussels", None, NINE + timedelta(hours=12), None)

    async with store.write() as tx:
        with pytest.raises(NoAvailability):
            await offer(tx, SNAPSHOT.engine, (), target(), NOW, calendars=POLICY)
        with pytest.raises(NoAvailability):
            await offer(tx, SNAPSHOT.engine, ("farid",), evening, NOW, calendars=POLICY)
