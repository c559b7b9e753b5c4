"""The desk reads agents' own calendars too (SPEC 11 with SPEC 12): an appointment is
not moved into busy time of its agent's calendar, nor handed to a colleague who is busy
in theirs, and the colleagues the desk proposes are free in their calendars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.testclient import TestClient

from server.desk import sessions
from tests.server._booking import runtime
from tests.server.calendars._servers import FeedServer, event, feed
from tests.server.calendars.conftest import refresh
from tests.server.desk._desk import SAME_SITE, form_to, rows, sign_in_as
from tests.support import NOW

pytestmark = [pytest.mark.organisation("calendars"), pytest.mark.both_backends]

BRUSSELS = ZoneInfo("Europe/Brussels")
TEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Brussels
TWO = TEN + timedelta(hours=4)


@pytest.fixture
def alice_busy_at_ten(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alice's calendar: busy 10:00-11:00 that Tuesday."""
    url = feeds.serve("/alice.ics", feed(event("m1", TEN, TEN + timedelta(hours=1))))
    monkeypatch.setenv("ALICE_CALENDAR_URL", url)


def book(client: TestClient, agent: str, start: datetime) -> str:
    answer = client.post(
        "/api/v1/appointments",
        json={
            "subject": "mortgage",
            "meeting_type": "OFFICE",
            "office": "brussels",
            "agent": agent,
            "start": start.isoformat(),
            "customer": {"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"},
        },
    )
    assert answer.status_code == 201, answer.text
    found: str = answer.json()["appointment"]["id"]
    return found


def post_form(client: TestClient, action: str, **data: str) -> httpx.Response:
    """Post to `action` as the desk's page would, whether or not the page shows the form."""
    session = rows(client, "SELECT id FROM desk_sessions")[0]
    token = runtime(client).tokens.dumps(
        "desk_form", {"s": session["id"], "a": action}, NOW + timedelta(hours=1)
    )
    return client.post(action, data={sessions.FORM_FIELD: token, **data}, headers=SAME_SITE)


def placed(client: TestClient, id: str) -> tuple[str, int, int]:
    [row] = rows(client, "SELECT agent, start_utc, sequence FROM appointments WHERE id = ?", id)
    return row["agent"], row["start_utc"], row["sequence"]


def test_an_appointment_is_not_moved_into_busy_time_of_its_agent_s_calendar(
    alice_busy_at_ten: None, client: TestClient
) -> None:
    refresh(client)
    id = book(client, "alice", TWO)
    sign_in_as(client, "alice")
    action = f"/desk/appointments/{id}/reschedule"
    offered = form_to(client.get(action).text, action).fields["start"]
    assert (TEN - timedelta(hours=1)).astimezone(BRUSSELS).isoformat() in offered  # 09:00
    assert TEN.astimezone(BRUSSELS).isoformat() not in offered

    response = post_form(client, action, start=TEN.astimezone(BRUSSELS).isoformat())

    assert response.status_code == 409
    assert "no longer free" in response.text
    assert placed(client, id) == ("alice", int(TWO.timestamp()), 0)


def test_an_appointment_is_not_handed_to_a_colleague_busy_in_their_calendar(
    alice_busy_at_ten: None, client: TestClient
) -> None:
    refresh(client)
    at_ten = book(client, "bob", TEN)
    at_two = book(client, "bob", TWO)
    sign_in_as(client, "bob")
    # At two Alice is free: the desk proposes her; at ten her calendar says she is busy.
    action = f"/desk/appointments/{at_two}/reassign"
    assert form_to(client.get(action).text, action).fields["agent"] == ["alice"]
    page = client.get(f"/desk/appointments/{at_ten}/reassign")
    assert "Nobody else can take this appointment" in page.text

    response = post_form(client, f"/desk/appointments/{at_ten}/reassign", agent="alice")

    assert response.status_code == 409
    assert "no longer free" in response.text
    assert placed(client, at_ten) == ("bob", int(TEN.timestamp()), 0)
