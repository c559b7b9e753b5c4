"""Agents' ICS feeds read by the refresher (SPEC 12), against a real HTTP server: what they
say is busy is never offered, a broken feed keeps its last good data for a while and
then the agent offers nothing, the owner hears once, webhooks hear both ways."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.calendars._servers import FeedServer, event, feed
from tests.server.calendars.conftest import (
    WEBHOOK_SECRET,
    calendar_rows,
    deliveries,
    organisation,
    refresh,
    refresher,
    runtime_of,
    send_due,
    slots,
)
from tests.server.deliveries._mail import MailServer, WebhookReceiver
from tests.support import Clock, eventually

pytestmark = [pytest.mark.organisation("calendars"), pytest.mark.both_backends]

TEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Brussels, that Tuesday
ALL_DAY = [
    datetime(2026, 11, 24, 8, 0, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(6)
] + [datetime(2026, 11, 24, 12, 0, tzinfo=UTC) + timedelta(minutes=30 * i) for i in range(8)]


def signed(body: bytes, headers: dict[str, str]) -> bool:
    """The Standard Webhooks signature, checked by hand (docs/deliveries.md)."""
    key = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
    message = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, signature.partition(",")[2])
        for signature in headers["webhook-signature"].split()
    )


def meeting(start: datetime, minutes: int = 60, uid: str = "m1", extra: str = "") -> str:
    return event(uid, start, start + timedelta(minutes=minutes), extra)


@pytest.fixture
def alice_feed(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Alice's calendar: busy 10:00-11:00 on Tuesday 24 November."""
    url = feeds.serve("/alice.ics", feed(meeting(TEN)), etag='"v1"')
    monkeypatch.setenv("ALICE_CALENDAR_URL", url)
    return "/alice.ics"


def test_a_linked_calendar_that_was_never_read_offers_nothing(client: TestClient) -> None:
    assert slots(client, "alice") == []
    assert slots(client, "bob") == ALL_DAY  # Bob links no calendar


def test_busy_time_in_the_calendar_is_never_offered(alice_feed: str, client: TestClient) -> None:
    assert refresh(client) == 1
    offered = slots(client, "alice")
    assert TEN not in offered and TEN + timedelta(minutes=30) not in offered
    assert offered == [start for start in ALL_DAY if not TEN <= start < TEN + timedelta(hours=1)]
    # Without an agent, Bob is free then: the time is still offered.
    assert TEN in slots(client, None)


def test_a_booking_into_calendar_busy_time_is_refused_in_its_transaction(
    alice_feed: str, client: TestClient
) -> None:
    refresh(client)
    body = {
        "subject": "mortgage",
        "meeting_type": "OFFICE",
        "office": "brussels",
        "agent": "alice",
        "start": TEN.isoformat(),
        "customer": {"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"},
    }
    answer = client.post("/api/v1/appointments", json=body)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "APPOINTMENT_NO_AVAILABILITY"
    # Bob takes it when nobody is named.
    del body["agent"]
    booked = client.post("/api/v1/appointments", json=body)
    assert booked.status_code == 201 and booked.json()["appointment"]["agent"]["id"] == "bob"


def test_a_changed_feed_is_read_again_and_an_unchanged_one_answers_304(
    alice_feed: str, feeds: FeedServer, client: TestClient, clock: Clock
) -> None:
    refresh(client)
    assert feeds.last(alice_feed).headers.get("if-none-match") is None
    revision = calendar_rows(client)["alice"]["revision"]

    clock.advance(minutes=5)
    refresh(client)  # not modified: a 304, the busy time is kept, and it worked
    assert feeds.last(alice_feed).headers.get("if-none-match") == '"v1"'
    row = calendar_rows(client)["alice"]
    assert (row["revision"], row["worked_at"]) == (revision, int(clock.now.timestamp()))
    assert TEN not in slots(client, "alice")

    afternoon = TEN + timedelta(hours=5)
    feeds.serve(alice_feed, feed(meeting(afternoon)), etag='"v2"')
    clock.advance(minutes=5)
    refresh(client)
    offered = slots(client, "alice")
    assert TEN in offered and afternoon not in offered
    assert calendar_rows(client)["alice"]["revision"] not in (0, revision)


def test_what_a_read_finds_is_offered_within_the_same_minute(
    alice_feed: str, feeds: FeedServer, client: TestClient
) -> None:
    # The slot search reuses an answer for the same query, minute and busy time; the
    # calendars count by their stored revisions, so a read changes the answer at once.
    assert slots(client, "alice") == []  # linked, never read
    refresh(client)
    assert TEN not in slots(client, "alice") and slots(client, "alice") != []
    afternoon = TEN + timedelta(hours=5)
    feeds.serve(alice_feed, feed(meeting(afternoon)), etag='"v2"')
    refresh(client)  # the clock has not moved
    offered = slots(client, "alice")
    assert TEN in offered and afternoon not in offered
    feeds.serve(alice_feed, feed(meeting(afternoon)), etag='"v2"')  # the same again
    refresh(client)
    assert slots(client, "alice") == offered


def test_only_start_and_end_are_stored(alice_feed: str, client: TestClient) -> None:
    refresh(client)
    row = calendar_rows(client)["alice"]
    assert b"tax inspector" not in row["busy"] and len(row["busy"]) == 16
    settings = runtime_of(client).settings
    if settings.database_url is None:
        with open(settings.database_path, "rb") as db:
            assert b"tax inspector" not in db.read()
    else:  # the whole database, as pg_dump writes it
        dump = subprocess.run(
            ["pg_dump", "--data-only", settings.database_url],
            capture_output=True,
            check=True,
        ).stdout
        assert b"alice" in dump and b"tax inspector" not in dump


@pytest.mark.parametrize(
    ("behaviour", "problem"),
    [
        pytest.param({"status": 500}, "http_error", id="500"),
        pytest.param({"status": 401}, "refused", id="401"),
        pytest.param({"status": 404}, "not_found", id="404"),
        pytest.param({"body": b"<html>Sign in to Outlook</html>"}, "unparsable", id="garbage"),
        pytest.param({"body": b"x" * (20 * 1024 * 1024)}, "too_large", id="20MB"),
        pytest.param({"endless": True}, "too_large", id="never-ends"),
        pytest.param(
            {"body": feed(meeting(TEN, extra="RRULE:FREQ=SECONDLY"))}, "too_complex", id="secondly"
        ),
    ],
)
def test_a_broken_feed_keeps_the_last_good_data_and_says_why(
    alice_feed: str,
    feeds: FeedServer,
    client: TestClient,
    clock: Clock,
    behaviour: dict[str, object],
    problem: str,
) -> None:
    refresh(client)
    feeds.serve(alice_feed, **behaviour)  # type: ignore[arg-type]
    clock.advance(minutes=5)
    refresh(client)
    row = calendar_rows(client)["alice"]
    assert row["problem"] == problem and row["error"]
    assert feeds.base not in row["error"] and "alice.ics" not in row["error"]  # no address
    offered = slots(client, "alice")  # the last good data, still used
    assert TEN not in offered and TEN - timedelta(minutes=30) in offered


def test_past_the_staleness_limit_the_agent_offers_nothing(
    alice_feed: str, feeds: FeedServer, client: TestClient, clock: Clock
) -> None:
    refresh(client)
    worked = clock.now
    feeds.serve(alice_feed, status=503)
    clock.advance(hours=23)
    refresh(client)
    assert slots(client, "alice", day=(clock.now + timedelta(days=1)).date()) != []
    clock.set(worked + timedelta(hours=24, minutes=1))
    refresh(client)
    assert slots(client, "alice", day=(clock.now + timedelta(days=1)).date()) == []
    # The catalog still lists mortgage: Bob serves it too.
    subjects = client.get("/api/v1/subjects").json()
    assert [s["id"] for c in subjects["categories"] for s in c["subjects"]] == ["mortgage"]
    # Recovery: offered again at once.
    feeds.serve(alice_feed, feed(meeting(TEN)))
    refresh(client)
    assert slots(client, "alice", day=(clock.now + timedelta(days=1)).date()) != []


def test_with_no_staleness_allowed_a_failure_stops_the_agent_at_once(
    config_path: Path, alice_feed: str, feeds: FeedServer, settings: Settings, clock: Clock
) -> None:
    config_path.write_text(organisation(max_stale_hours=0))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = clock
        refresh(client)
        assert slots(client, "alice") != []
        feeds.serve(alice_feed, status=500)
        refresh(client)
        assert slots(client, "alice") == []


def test_when_every_agent_s_calendar_is_unusable_the_catalog_says_why(
    config_path: Path,
    feeds: FeedServer,
    settings: Settings,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bob = '[agents.calendar]\nkind = "ics"\nurl_env = "BOB_CALENDAR_URL"\n'
    config_path.write_text(organisation(bob=bob))
    monkeypatch.setenv("ALICE_CALENDAR_URL", feeds.serve("/a.ics", status=401))
    monkeypatch.setenv("BOB_CALENDAR_URL", feeds.serve("/b.ics", status=401))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = clock
        refresh(client)
        answer = client.get("/api/v1/subjects")
        assert answer.status_code == 200
        assert answer.json() == {"categories": [], "reason": "CALENDAR_UNAVAILABLE"}
        assert client.get("/api/v1/agents").json() == {"agents": []}
        kinds = client.get("/api/v1/meeting-types", params={"subject": "mortgage"})
        assert kinds.json() == {"meeting_types": [], "reason": "CALENDAR_UNAVAILABLE"}
        by_kind = {"subject": "mortgage", "meeting_type": "OFFICE"}
        offices = client.get("/api/v1/offices", params=by_kind)
        assert offices.json() == {"offices": [], "reason": "CALENDAR_UNAVAILABLE"}
        # The page without JavaScript says what the widget says.
        hosted = client.get("/book")
        assert hosted.status_code == 200
        assert "No times can be offered at the moment. Please come back later." in hosted.text
        feeds.serve("/b.ics", feed())
        refresh(client)
        listed = client.get("/api/v1/subjects").json()
        assert "reason" not in listed and listed["categories"]
        assert [a["id"] for a in client.get("/api/v1/agents").json()["agents"]] == ["bob"]
        hosted = client.get("/book")
        assert "How would you like to meet?" in hosted.text
        assert "No times can be offered" not in hosted.text


def test_the_owner_gets_one_e_mail_and_webhooks_hear_both_ways(
    config_path: Path,
    feeds: FeedServer,
    settings: Settings,
    clock: Clock,
    smtp: MailServer,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config_path.write_text(organisation(webhook=receiver.url))
    monkeypatch.setenv("ALICE_CALENDAR_URL", feeds.serve("/alice.ics", feed(meeting(TEN))))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = clock
        refresh(client)
        feeds.serve("/alice.ics", status=401)
        for _ in range(3):  # broken three times in a row: one notice
            clock.advance(minutes=5)
            refresh(client)
            send_due(client)
        [mail] = smtp.wait_for(1)
        assert mail.recipients == ["alice@bank.example"]
        message = mail.message
        # Alice's first language: Dutch.
        assert message["Subject"] == "Uw agenda kan niet gelezen worden door Calendar Bank"
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert "HTTP 401" in text and "Publiceer de agenda opnieuw" in text
        assert "/alice.ics" not in message.as_string()
        assert [json.loads(hit.body)["type"] for hit in receiver.hits] == ["calendar.broken"]

        feeds.serve("/alice.ics", feed(meeting(TEN)))
        clock.advance(minutes=5)
        refresh(client)
        send_due(client)
        hits = receiver.hits
        assert [json.loads(hit.body)["type"] for hit in hits] == [
            "calendar.broken",
            "calendar.restored",
        ]
        for hit in hits:  # signed as every webhook is (at the test's clock, a week ago)
            assert signed(hit.body, hit.headers)
        broken = json.loads(hits[0].body)["data"]["calendar"]
        assert broken["agent"] == {"id": "alice", "name": "Alice Peeters"}
        assert (broken["kind"], broken["host"], broken["problem"]) == (
            "ics",
            "127.0.0.1",
            "refused",
        )
        assert broken["used_until"] is not None
        assert len(smtp.received) == 1  # no e-mail for the recovery

        feeds.serve("/alice.ics", status=404)  # a new breakage: a new e-mail
        clock.advance(minutes=5)
        refresh(client)
        send_due(client)
        assert len(smtp.wait_for(2)) == 2


def test_a_passing_failure_is_told_only_when_it_happens_twice_in_a_row(
    alice_feed: str, feeds: FeedServer, client: TestClient, clock: Clock, smtp: MailServer
) -> None:
    refresh(client)
    feeds.serve(alice_feed, status=503)
    clock.advance(minutes=5)
    refresh(client)
    assert [d["kind"] for d in deliveries(client)] == []
    clock.advance(minutes=5)
    refresh(client)
    assert [d["kind"] for d in deliveries(client)] == ["agent_calendar_broken"]


def test_a_missing_secret_is_a_broken_calendar(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALICE_CALENDAR_URL", raising=False)
    refresh(client)
    row = calendar_rows(client)["alice"]
    assert (row["problem"], row["error"]) == (
        "missing_secret",
        "the environment variable ALICE_CALENDAR_URL is not set",
    )


def test_rendezvous_s_own_appointment_coming_back_is_not_busy_twice(
    alice_feed: str, feeds: FeedServer, client: TestClient
) -> None:
    refresh(client)
    start = TEN + timedelta(hours=4)
    body = {
        "subject": "mortgage",
        "meeting_type": "OFFICE",
        "office": "brussels",
        "agent": "alice",
        "start": start.isoformat(),
        "customer": {"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"},
    }
    booked = client.post("/api/v1/appointments", json=body)
    assert booked.status_code == 201
    uid = f"{booked.json()['appointment']['id']}@127.0.0.1"
    # Alice's calendar now shows it (she accepted the invitation), then it is cancelled.
    feeds.serve(alice_feed, feed(meeting(TEN), meeting(start, 30, uid=uid)))
    refresh(client)
    token = booked.json()["links"]["manage"].split("manage=", 1)[1]
    assert client.post(f"/api/v1/appointments/{token}/cancel").status_code == 200
    assert start in slots(client, "alice")  # free at once, whatever the calendar says


def test_two_processes_never_read_one_calendar_at_once(
    config_path: Path,
    feeds: FeedServer,
    settings: Settings,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bob = '[agents.calendar]\nkind = "ics"\nurl_env = "BOB_CALENDAR_URL"\n'
    config_path.write_text(organisation(bob=bob))
    monkeypatch.setenv("ALICE_CALENDAR_URL", feeds.serve("/a.ics", feed(meeting(TEN)), delay=0.5))
    monkeypatch.setenv("BOB_CALENDAR_URL", feeds.serve("/b.ics", feed(meeting(TEN)), delay=0.5))
    with (
        TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as one,
        TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as two,
    ):
        runtime_of(one).clock = runtime_of(two).clock = clock
        counts: list[int] = []
        threads = [
            threading.Thread(target=lambda c=c: counts.append(refresh(c, everything=False)))
            for c in (one, two)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(counts) in ([0, 2], [1, 1])
        assert (feeds.count("/a.ics"), feeds.count("/b.ics")) == (1, 1)
        assert refresher(one).owner != refresher(two).owner


def test_no_5xx_while_feeds_misbehave(
    alice_feed: str, feeds: FeedServer, client: TestClient, clock: Clock
) -> None:
    refresh(client)
    for behaviour in (
        {"status": 500},
        {"body": b"\x00\x01garbage"},
        {"endless": True},
        {"body": feed(meeting(TEN, extra="DTSTART:99991231T000000Z"))},
        {"body": feed(meeting(TEN).replace("UID:m1\r\n", ""))},
    ):
        feeds.serve(alice_feed, **behaviour)  # type: ignore[arg-type]
        clock.advance(minutes=5)
        refresh(client)
        for path in ("/api/v1/subjects", "/api/v1/agents", "/healthz"):
            assert client.get(path).status_code < 500
        slots(client, "alice")
        slots(client, None)


def test_a_read_never_waits_for_a_calendar(
    alice_feed: str, feeds: FeedServer, client: TestClient
) -> None:
    refresh(client)
    feeds.serve(alice_feed, delay=3)  # slower than any request may be
    started = datetime.now(UTC)
    done = threading.Thread(target=lambda: refresh(client))
    done.start()
    try:
        slots(client, "alice")
        assert datetime.now(UTC) - started < timedelta(seconds=2)
    finally:
        done.join()


def test_the_background_task_reads_a_new_calendar_at_once(
    alice_feed: str, feeds: FeedServer, settings: Settings
) -> None:
    with TestClient(
        create_app(replace(settings, calendar_refresh=300)), base_url="http://127.0.0.1:8000"
    ) as client:
        eventually(
            lambda: calendar_rows(client).get("alice", {}).get("worked_at"),
            lambda worked: worked is not None,
            what="the background task's first read of Alice's calendar",
        )
        row = calendar_rows(client)["alice"]
        assert row["next_check_at"] - row["checked_at"] == 300
        assert feeds.count(alice_feed) == 1


def test_a_calendar_is_due_again_after_the_refresh_interval(
    alice_feed: str, client: TestClient, clock: Clock
) -> None:
    assert refresh(client, everything=False) == 1
    clock.advance(seconds=299)
    assert refresh(client, everything=False) == 0
    clock.advance(seconds=1)
    assert refresh(client, everything=False) == 1
