"""Invites: minted by an agent (or the CLI), shown by GET /api/v1/invites/{token}, and
fixing the agent of the slots and bookings made through them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from server import cli
from server.booking import invites
from server.settings import Settings
from tests.server._booking import (
    appointment_body,
    book,
    error,
    iso,
    runtime,
)
from tests.support import NOW, Clock

pytestmark = [pytest.mark.organisation("invites"), pytest.mark.both_backends]

BRUSSELS = ZoneInfo("Europe/Brussels")
#: Alice and Emma both open accounts in Brussels on Wednesdays.
WEDNESDAY_NINE = datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS)


def mint(client: TestClient, **fields: Any) -> str:
    fields.setdefault("expires_at", NOW + timedelta(days=7))
    return invites.mint(runtime(client).tokens, **fields)


def test_an_invite_shows_what_it_preselects(client: TestClient) -> None:
    token = mint(
        client,
        agent="alice",
        subject="mortgage",
        meeting_type="VIDEO",
        office="brussels",
        customer_email="ann@example.com",
        single_use=True,
    )

    response = client.get(f"/api/v1/invites/{token}", params={"lang": "nl"})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "agent": {"id": "alice", "name": "Alice Peeters", "function": "Kredietadviseur"},
        "subject": "mortgage",
        "meeting_type": "VIDEO",
        "office": "brussels",
        "customer": {"email": "ann@example.com", "first_name": None, "last_name": None},
        "single_use": True,
        "expires_at": (NOW + timedelta(days=7)).isoformat(),
    }


def test_an_invite_of_only_an_agent_leaves_the_rest_open(client: TestClient) -> None:
    body = client.get(f"/api/v1/invites/{mint(client, agent='emma')}").json()

    assert body["agent"]["function"] == "Customer advisor"
    assert (body["subject"], body["meeting_type"], body["office"]) == (None, None, None)
    assert body["single_use"] is False


def test_a_tampered_or_expired_invite_is_refused(client: TestClient, clock: Clock) -> None:
    token = mint(client, agent="emma")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert error(client.get(f"/api/v1/invites/{tampered}"))[:2] == (401, "TOKEN_INVALID")

    clock.advance(days=7)
    assert error(client.get(f"/api/v1/invites/{token}"))[:2] == (410, "TOKEN_EXPIRED")


def test_a_manage_token_is_not_an_invite(client: TestClient) -> None:
    token = runtime(client).tokens.dumps("manage", {"id": "x", "agent": "emma"}, NOW + timedelta(1))
    assert error(client.get(f"/api/v1/invites/{token}"))[:2] == (401, "TOKEN_INVALID")


def test_an_invite_of_an_agent_who_is_gone_is_not_found(client: TestClient) -> None:
    assert error(client.get(f"/api/v1/invites/{mint(client, agent='zoe')}"))[:3] == (
        404,
        "NOT_FOUND",
        ["$.invite"],
    )


def test_booking_through_an_invite_goes_to_its_agent(client: TestClient) -> None:
    # Without the invite Alice would get it: no appointments either, and "alice" < "emma".
    token = mint(client, agent="emma")
    body = appointment_body("account", "OFFICE", WEDNESDAY_NINE, "brussels", invite=token)

    first = book(client, body)
    second = book(client, body)

    assert first.json()["appointment"]["agent"]["id"] == "emma"
    assert error(second)[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")
    plain = appointment_body("account", "OFFICE", WEDNESDAY_NINE, "brussels")
    assert book(client, plain).json()["appointment"]["agent"]["id"] == "alice"


def test_slots_through_an_invite_are_its_agents(client: TestClient) -> None:
    token = mint(client, agent="alice", subject="account", office="brussels")
    params = {
        "meeting_type": "OFFICE",
        "from": "2026-11-25",
        "to": "2026-11-25",
        "tz": "Europe/Brussels",
    }

    invited = client.get("/api/v1/slots", params={**params, "invite": token})
    alices = client.get(
        "/api/v1/slots",
        params={**params, "subject": "account", "office": "brussels", "agent": "alice"},
    )

    assert invited.status_code == 200, invited.text
    assert invited.json()["slots"] == alices.json()["slots"]


@pytest.mark.parametrize(
    ("invite", "change", "path"),
    [
        pytest.param({"agent": "alice"}, {"agent": "emma"}, "$.agent", id="another-agent"),
        pytest.param(
            {"agent": "alice", "subject": "mortgage"}, {}, "$.subject", id="another-subject"
        ),
        pytest.param(
            {"agent": "alice", "meeting_type": "VIDEO"}, {}, "$.meeting_type", id="another-type"
        ),
        pytest.param({"agent": "alice", "office": "antwerp"}, {}, "$.office", id="another-office"),
    ],
)
def test_a_booking_that_contradicts_its_invite_is_refused(
    client: TestClient, invite: dict[str, Any], change: dict[str, Any], path: str
) -> None:
    token = mint(client, **invite)
    body = appointment_body("account", "OFFICE", WEDNESDAY_NINE, "brussels", invite=token, **change)

    assert error(book(client, body)) == (422, "VALIDATION_FAILED", [path])


def test_a_single_use_invite_books_once(client: TestClient) -> None:
    token = mint(client, agent="alice", single_use=True)
    body = appointment_body("account", "OFFICE", WEDNESDAY_NINE, "brussels", invite=token)
    assert book(client, body).status_code == 201

    assert error(client.get(f"/api/v1/invites/{token}"))[:2] == (410, "INVITE_USED")
    later = WEDNESDAY_NINE + timedelta(hours=1)
    again = appointment_body("account", "OFFICE", later, "brussels", invite=token)
    assert error(book(client, again))[:2] == (410, "INVITE_USED")
    hold = client.post(
        "/api/v1/holds",
        json={
            "subject": "account",
            "meeting_type": "OFFICE",
            "office": "brussels",
            "invite": token,
            "start": iso(later),
        },
    )
    assert error(hold)[:2] == (410, "INVITE_USED")


def test_an_invite_that_is_not_single_use_books_again(client: TestClient) -> None:
    token = mint(client, agent="alice")
    for start in (WEDNESDAY_NINE, WEDNESDAY_NINE + timedelta(hours=1)):
        body = appointment_body("account", "OFFICE", start, "brussels", invite=token)
        assert book(client, body).status_code == 201
    assert client.get(f"/api/v1/invites/{token}").status_code == 200


def test_an_invite_books_a_subject_hidden_from_customers(client: TestClient) -> None:
    token = mint(client, agent="bob", subject="estate-planning")
    body = appointment_body("estate-planning", "OFFICE", WEDNESDAY_NINE, "brussels", invite=token)

    response = book(client, body)

    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["agent"]["id"] == "bob"


# -- rendezvous invite ------------------------------------------------------------------


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(settings.config_path))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(settings.database))
    monkeypatch.setenv("RENDEZVOUS_SECRET_KEY", settings.secret_key or "")


def test_the_cli_prints_an_invite_link_the_server_accepts(
    environ: None, client: TestClient, capsys: pytest.CaptureFixture[str], clock: Clock
) -> None:
    clock.set(datetime.now(BRUSSELS))
    code = cli.main(
        [
            "invite",
            "--agent",
            "alice",
            "--subject",
            "mortgage",
            "--meeting-type",
            "VIDEO",
            "--customer-email",
            "ann@example.com",
            "--expires",
            "2w",
            "--single-use",
        ]
    )

    link = capsys.readouterr().out.strip()
    assert code == 0
    assert link.startswith("http://127.0.0.1:8000/book?invite=")
    body = client.get(f"/api/v1/invites/{link.split('invite=', 1)[1]}").json()
    assert body["agent"]["id"] == "alice"
    assert (body["subject"], body["meeting_type"]) == ("mortgage", "VIDEO")
    assert body["customer"]["email"] == "ann@example.com"
    assert body["single_use"] is True
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=13, hours=23) < expires - datetime.now(BRUSSELS) <= timedelta(days=14)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--agent", "zoe"], 'no agent "zoe"', id="unknown-agent"),
        pytest.param(["--agent", "alice", "--subject", "boat"], 'no subject "boat"', id="subject"),
        pytest.param(["--agent", "alice", "--office", "paris"], 'no office "paris"', id="office"),
        pytest.param(
            ["--agent", "alice", "--meeting-type", "FAX"], "--meeting-type", id="meeting-type"
        ),
        pytest.param(
            ["--agent", "alice", "--subject", "mortgage", "--meeting-type", "PHONE"],
            "not offered as PHONE",
            id="type-not-offered",
        ),
        pytest.param(
            ["--agent", "alice", "--customer-email", "ann"], "--customer-email", id="email"
        ),
        pytest.param(["--agent", "alice", "--expires", "7y"], "--expires", id="duration"),
        pytest.param(["--agent", "alice", "--expires", "0d"], "--expires", id="zero"),
    ],
)
def test_the_cli_refuses_bad_input_on_stderr_with_exit_code_2(
    environ: None, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    code = cli.main(["invite", *arguments])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert message in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert invites.parse_duration(text) == expected
