"""Hold squatting and bots (issue 9, item 4; docs/bots.md): a cap on one client's live
holds, a proof-of-work challenge (ALTCHA) for holds and bookings, a honeypot."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server._booking import appointment_body, book, error, iso, offered, runtime
from tests.support import Clock, another_client

pytestmark = pytest.mark.organisation("holds")

TOMORROW = date(2026, 11, 25)
INSURANCE = {"subject": "insurance", "meeting_type": "OFFICE", "office": "brussels"}
HOME = ("198.51.100.7", 40000)
OFFICE = ("203.0.113.50", 50000)


@pytest.fixture
def bots(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test's `[organisation.bots]`: `@pytest.mark.bots(challenge="always")`."""
    marker = request.node.get_closest_marker("bots")
    return {} if marker is None else dict(marker.kwargs)


@pytest.fixture
def settings(settings: Settings, config_path: Path, bots: dict[str, Any]) -> Settings:
    if bots:
        lines = [f"{key} = {json.dumps(value)}" for key, value in bots.items()]
        with config_path.open("a", encoding="utf-8") as file:
            file.write("\n[organisation.bots]\n" + "\n".join(lines) + "\n")
    return settings


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The app, seen from one client address (HOME)."""
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000", client=HOME) as found:
        found.app.state.runtime.clock = clock  # type: ignore[attr-defined]
        yield found


def from_(client: TestClient, address: tuple[str, int]) -> TestClient:
    """Another client of the same running app."""
    return another_client(client, address)


def offered_starts(client: TestClient, days: int = 1) -> list[datetime]:
    """Every start offered for insurance at the office from tomorrow (Farid alone)."""
    return offered(client, "insurance", "OFFICE", "brussels", first_day=TOMORROW, days=days)


def farids_starts(client: TestClient, days: int = 1) -> list[datetime]:
    """Starts that do not overlap each other (30 minutes long, offered every 15)."""
    return offered_starts(client, days)[::2]


def without(starts: list[datetime], held: list[datetime]) -> list[datetime]:
    """`starts` but those a 30-minute hold at one of `held` overlaps."""
    return [s for s in starts if all(abs(s - h) >= timedelta(minutes=30) for h in held)]


def hold(client: TestClient, start: datetime, **extra: Any) -> Any:
    return client.post("/api/v1/holds", json={**INSURANCE, "start": iso(start), **extra})


def live_holds(client: TestClient) -> list[sqlite3.Row]:
    with sqlite3.connect(runtime(client).settings.database_path) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM holds ORDER BY expires_at"))


def solve(challenge: dict[str, Any]) -> str:
    """Answer an ALTCHA challenge the way the widget does, with SHA-256 (hashlib)."""
    assert challenge["algorithm"] == "SHA-256"
    assert challenge["maxNumber"] == challenge["maxnumber"]
    for number in range(challenge["maxNumber"] + 1):
        digest = hashlib.sha256(f"{challenge['salt']}{number}".encode()).hexdigest()
        if digest == challenge["challenge"]:
            payload = {
                "algorithm": "SHA-256",
                "challenge": challenge["challenge"],
                "number": number,
                "salt": challenge["salt"],
                "signature": challenge["signature"],
            }
            return base64.b64encode(json.dumps(payload).encode()).decode()
    raise AssertionError("no number solves the challenge")


def answer(client: TestClient) -> str:
    response = client.get("/api/v1/challenge")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return solve(response.json())


# -- the cap on live holds per client ----------------------------------------------------


@pytest.mark.bots(challenge="off")
def test_48_rapid_holds_by_one_client_leave_the_agents_other_times_free(
    client: TestClient,
) -> None:
    everything = offered_starts(client, days=14)
    free = everything[::2]
    assert len(free) >= 48

    answers = [hold(client, start).status_code for start in free[:48]]

    assert answers == [201] * 48  # each new hold releases the client's oldest
    assert offered_starts(client, days=14) == without(everything, free[46:48])
    held = live_holds(client)
    assert [row["start_utc"] for row in held] == [int(s.timestamp()) for s in free[46:48]]


def test_a_second_client_is_unaffected(client: TestClient) -> None:
    everything = offered_starts(client)
    free = everything[::2]
    office = from_(client, OFFICE)

    for start in free[:5]:
        assert hold(client, start).status_code == 201
    for start in free[5:7]:
        assert hold(office, start).status_code == 201

    held = [free[3], free[4], free[5], free[6]]  # HOME's two newest, OFFICE's two
    assert offered_starts(client) == without(everything, held)
    assert len({row["client"] for row in live_holds(client)}) == 2


def test_the_oldest_hold_is_released_and_its_token_no_longer_books(client: TestClient) -> None:
    free = farids_starts(client)
    tokens = [hold(client, start).json()["hold"] for start in free[:3]]

    assert free[0] in offered_starts(client)  # released at once
    assert free[1] not in offered_starts(client) and free[2] not in offered_starts(client)
    first = appointment_body("insurance", "OFFICE", free[0], "brussels", hold=tokens[0])
    assert error(book(client, first))[:2] == (409, "HOLD_EXPIRED")
    second = appointment_body("insurance", "OFFICE", free[1], "brussels", hold=tokens[1])
    assert book(client, second).status_code == 201


def test_a_refused_hold_releases_nothing(client: TestClient) -> None:
    free = farids_starts(client)
    assert hold(from_(client, OFFICE), free[5]).status_code == 201
    for start in free[:2]:
        assert hold(client, start).status_code == 201

    assert error(hold(client, free[5]))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")

    assert {row["start_utc"] for row in live_holds(client)} == {
        int(s.timestamp()) for s in (free[0], free[1], free[5])
    }


@pytest.mark.bots(holds_per_client=5, challenge="off")
def test_the_cap_is_the_organisations(client: TestClient) -> None:
    free = farids_starts(client)
    for start in free[:7]:
        assert hold(client, start).status_code == 201
    assert len(live_holds(client)) == 5


def test_the_client_is_stored_as_a_keyed_hash_never_its_address(client: TestClient) -> None:
    hold(client, farids_starts(client)[0])
    hold(from_(client, OFFICE), farids_starts(client)[1])

    stored = {row["client"] for row in live_holds(client)}
    assert len(stored) == 2
    for value in stored:
        assert len(value) == 32 and int(value, 16) >= 0
        assert value != hashlib.sha256(HOME[0].encode()).hexdigest()[:32]
    database = runtime(client).settings.database_path
    everything = b"".join(
        path.read_bytes()
        for path in database.parent.iterdir()
        if path.name.startswith(database.name)
    )
    assert HOME[0].encode() not in everything and OFFICE[0].encode() not in everything


# -- the challenge -----------------------------------------------------------------------


@pytest.mark.bots(challenge="always", challenge_max_number=20000)
def test_with_the_challenge_on_a_hold_needs_a_real_solution(client: TestClient) -> None:
    start = farids_starts(client)[0]

    missing = hold(client, start)
    assert error(missing) == (428, "CHALLENGE_REQUIRED", [])
    assert "GET /api/v1/challenge" in missing.json()["error"]["message"]

    solved = hold(client, start, altcha=answer(client))
    assert solved.status_code == 201, solved.text
    assert start not in offered_starts(client)


@pytest.mark.bots(challenge="always", challenge_max_number=20000)
def test_a_solution_works_once(client: TestClient) -> None:
    first, second = farids_starts(client)[:2]
    solution = answer(client)
    assert hold(client, first, altcha=solution).status_code == 201

    replay = hold(from_(client, OFFICE), second, altcha=solution)

    assert error(replay)[:2] == (403, "CHALLENGE_FAILED")
    assert second in offered_starts(client)


@pytest.mark.bots(challenge="always", challenge_max_number=20000)
def test_a_refused_hold_does_not_spend_its_solution(client: TestClient) -> None:
    first, second = farids_starts(client)[:2]
    assert hold(from_(client, OFFICE), first, altcha=answer(client)).status_code == 201
    solution = answer(client)

    assert error(hold(client, first, altcha=solution))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")
    assert hold(client, second, altcha=solution).status_code == 201


def forged(solution: str, **changes: Any) -> str:
    payload = json.loads(base64.b64decode(solution))
    payload.update(changes)
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.bots(challenge="always", challenge_max_number=20000)
def test_wrong_forged_and_expired_solutions_are_refused(client: TestClient, clock: Clock) -> None:
    start = farids_starts(client)[0]
    solution = answer(client)
    number = json.loads(base64.b64decode(solution))["number"]
    bad = [
        forged(solution, number=number + 1),
        forged(solution, signature="0" * 64),
        forged(solution, algorithm="SHA-1"),
        forged(solution, salt="00&"),
        "not base64!",
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"algorithm": "SHA-256"}').decode(),
    ]
    for wrong in bad:
        assert error(hold(client, start, altcha=wrong))[:2] == (403, "CHALLENGE_FAILED"), wrong
    assert error(hold(client, start, altcha="x" * 2001))[:2] == (422, "VALIDATION_FAILED")

    clock.advance(minutes=11)
    assert error(hold(client, start, altcha=solution))[:2] == (403, "CHALLENGE_FAILED")
    assert live_holds(client) == []


@pytest.mark.bots(challenge="always", challenge_max_number=20000)
def test_a_booking_needs_a_solution_unless_it_uses_a_hold(client: TestClient) -> None:
    first, second = farids_starts(client)[:2]
    token = hold(client, first, altcha=answer(client)).json()["hold"]

    with_hold = appointment_body("insurance", "OFFICE", first, "brussels", hold=token)
    assert book(client, with_hold).status_code == 201  # the hold was the proof

    without = appointment_body("insurance", "OFFICE", second, "brussels")
    assert error(book(client, without))[:2] == (428, "CHALLENGE_REQUIRED")
    solved = book(client, {**without, "altcha": answer(client)})
    assert solved.status_code == 201, solved.text


@pytest.mark.bots(challenge="always", challenge_max_number=20000)
def test_a_retry_with_a_new_solution_returns_the_first_booking(client: TestClient) -> None:
    body = appointment_body("insurance", "OFFICE", farids_starts(client)[0], "brussels")
    headers = {"Idempotency-Key": "retry-1"}
    first = book(client, {**body, "altcha": answer(client)}, headers=headers)
    assert first.status_code == 201, first.text

    again = book(client, {**body, "altcha": answer(client)}, headers=headers)

    assert again.status_code == 201
    assert again.json()["appointment"]["id"] == first.json()["appointment"]["id"]


@pytest.mark.bots(challenge="auto", challenge_after=3, challenge_window=10)
def test_a_client_over_the_threshold_must_solve_others_need_not(
    client: TestClient, clock: Clock
) -> None:
    free = farids_starts(client)
    for start in free[6:10]:  # bookings are not counted
        body = appointment_body("insurance", "OFFICE", start, "brussels")
        assert book(client, body).status_code == 201
    for start in free[:3]:
        assert hold(client, start).status_code == 201

    assert error(hold(client, free[3]))[:2] == (428, "CHALLENGE_REQUIRED")
    booking = appointment_body("insurance", "OFFICE", free[10], "brussels")
    assert error(book(client, booking))[:2] == (428, "CHALLENGE_REQUIRED")  # over it: both
    assert hold(client, free[3], altcha=answer(client)).status_code == 201
    assert hold(from_(client, OFFICE), free[4]).status_code == 201  # another client

    clock.advance(minutes=11)  # the window has passed
    assert hold(client, free[5]).status_code == 201


@pytest.mark.bots(challenge="off", challenge_after=1)
def test_with_the_challenge_off_nobody_is_asked(client: TestClient) -> None:
    for start in farids_starts(client)[:5]:
        assert hold(client, start).status_code == 201


def test_the_challenge_follows_the_organisation_file(client: TestClient) -> None:
    challenge = client.get("/api/v1/challenge").json()
    assert challenge["maxNumber"] == 100_000
    assert set(challenge) == {
        "algorithm",
        "challenge",
        "maxNumber",
        "maxnumber",
        "salt",
        "signature",
    }
    assert "expires=" in challenge["salt"]


# -- the honeypot ------------------------------------------------------------------------


def test_a_filled_honeypot_is_refused_quietly_and_nothing_is_written(client: TestClient) -> None:
    start = farids_starts(client)[0]
    body = appointment_body(
        "insurance", "OFFICE", start, "brussels", website="https://spam.example"
    )

    response = book(client, body)

    assert error(response) == (422, "VALIDATION_FAILED", ["$"])
    assert "website" not in response.text and "honeypot" not in response.text.lower()
    assert start in offered_starts(client)
    assert book(client, {**body, "website": ""}).status_code == 201  # empty is fine
