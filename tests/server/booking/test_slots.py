"""GET /api/v1/slots: sorted, unique, inside the dates, in the asked time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from server.booking import invites
from server.store import HoldRow, new_id
from tests.support import NOW, Clock

pytestmark = pytest.mark.organisation("slots")

MORTGAGE_AT_BRUSSELS = "subject=mortgage&meeting_type=OFFICE&office=brussels"


def slots(client: TestClient, query: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/slots?{query}")
    assert response.status_code == 200, response.text
    found: list[dict[str, str]] = response.json()["slots"]
    return found


def invite(client: TestClient, expires_at: datetime | None = None, **fields: Any) -> str:
    tokens = client.app.state.runtime.tokens  # type: ignore[attr-defined]
    return invites.mint(tokens, expires_at=expires_at or NOW + timedelta(days=7), **fields)


def test_slots_are_sorted_unique_and_on_the_asked_dates(client: TestClient) -> None:
    response = client.get(f"/api/v1/slots?{MORTGAGE_AT_BRUSSELS}&from=2026-11-25&to=2026-12-08")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["timezone"] == "Europe/Brussels"  # the office's zone by default
    pairs = [(s["start"], s["end"]) for s in body["slots"]]
    assert pairs
    starts = [datetime.fromisoformat(s) for s, _ in pairs]
    assert starts == sorted(starts)
    assert len(set(pairs)) == len(pairs)
    assert {s.date() for s in starts} <= {date(2026, 11, 25) + timedelta(days=n) for n in range(14)}
    assert all(s.endswith("+01:00") for pair in pairs for s in pair)
    # Mortgage at the office lasts 60 minutes.
    assert all(
        datetime.fromisoformat(e) - datetime.fromisoformat(s) == timedelta(hours=1)
        for s, e in pairs
    )


def test_the_first_mortgage_slots_follow_bobs_wednesday_in_brussels(client: TestClient) -> None:
    found = slots(client, f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-25&to=2026-11-25")
    assert found[:3] == [
        {"start": "2026-11-25T08:30:00+01:00", "end": "2026-11-25T09:30:00+01:00", "duration": 60},
        {"start": "2026-11-25T09:00:00+01:00", "end": "2026-11-25T10:00:00+01:00", "duration": 60},
        {"start": "2026-11-25T09:30:00+01:00", "end": "2026-11-25T10:30:00+01:00", "duration": 60},
    ]


def test_slots_are_rendered_in_the_asked_time_zone(client: TestClient) -> None:
    query = f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-25&to=2026-11-27"
    brussels = slots(client, query)
    response = client.get(f"/api/v1/slots?{query}&tz=America/New_York")
    assert response.json()["timezone"] == "America/New_York"
    new_york = response.json()["slots"]
    assert all(s["start"].endswith("-05:00") for s in new_york)
    # Dates are read in New York: the same instants, minus those that fall on another day.
    instants = {datetime.fromisoformat(s["start"]) for s in brussels}
    assert {datetime.fromisoformat(s["start"]) for s in new_york} <= instants


@pytest.mark.parametrize(
    ("zone", "office", "subject", "before", "after"),
    [
        pytest.param("Europe/Brussels", "brussels", "savings", "+01:00", "+02:00", id="brussels"),
        pytest.param("Europe/London", "london", "savings", "+00:00", "+01:00", id="london"),
    ],
)
def test_offsets_follow_the_daylight_saving_change(
    client: TestClient, clock: Clock, zone: str, office: str, subject: str, before: str, after: str
) -> None:
    clock.set(datetime(2027, 3, 22, 8, 0, tzinfo=UTC))
    found = slots(
        client,
        f"subject={subject}&meeting_type=OFFICE&office={office}"
        f"&from=2027-03-26&to=2027-03-29&tz={zone}",
    )
    by_day: dict[str, set[str]] = {}
    for slot in found:
        by_day.setdefault(slot["start"][:10], set()).add(slot["start"][-6:])
    assert by_day["2027-03-26"] == {before}  # Friday, before the change on Sunday 28 March
    assert by_day["2027-03-29"] == {after}  # Monday, after it
    for slot in found:
        start = datetime.fromisoformat(slot["start"])
        assert start.utcoffset() == start.astimezone(ZoneInfo(zone)).utcoffset()


def test_video_without_an_office_counts_every_office(client: TestClient) -> None:
    query = "subject=mortgage&meeting_type=VIDEO&from=2026-11-25&to=2026-11-25"
    anywhere = {s["start"] for s in slots(client, query)}
    brussels = {s["start"] for s in slots(client, query + "&office=brussels")}
    london = {s["start"] for s in slots(client, query + "&office=london&tz=Europe/Brussels")}
    assert anywhere == brussels | london
    assert london - brussels  # London's afternoon runs past Brussels' hours


def test_an_agent_narrows_the_slots(client: TestClient) -> None:
    query = f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-23&to=2026-11-29"
    everyone = {s["start"] for s in slots(client, query)}
    bob = {s["start"] for s in slots(client, query + "&agent=bob")}
    assert bob == {s["start"] for s in slots(client, query + "&agent=ext:EMP-0043")}
    assert bob and bob < everyone


def test_an_agent_who_is_not_planning_online_has_no_slots(client: TestClient) -> None:
    assert slots(client, f"{MORTGAGE_AT_BRUSSELS}&agent=jan&from=2026-11-26&to=2026-11-26") == []


def test_dates_far_in_the_past_or_future_have_no_slots(client: TestClient) -> None:
    assert slots(client, f"{MORTGAGE_AT_BRUSSELS}&from=2020-01-01&to=2020-01-31") == []
    assert slots(client, f"{MORTGAGE_AT_BRUSSELS}&from=9999-12-01&to=9999-12-31") == []
    assert slots(client, f"{MORTGAGE_AT_BRUSSELS}&from=0001-01-01&to=0001-01-02") == []


def test_a_live_hold_removes_the_slot_it_covers(client: TestClient) -> None:
    query = "subject=savings&meeting_type=OFFICE&office=brussels&from=2026-11-25&to=2026-11-25"
    before = {s["start"] for s in slots(client, query)}
    assert "2026-11-25T09:00:00+01:00" in before
    start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Brussels, Emma only
    row = HoldRow(
        id=new_id(),
        agent="emma",
        subject="savings",
        meeting_type="OFFICE",
        office="brussels",
        start=start,
        end=start + timedelta(minutes=30),
        trailing_buffer=0,
        expires_at=NOW + timedelta(minutes=7),
    )

    async def hold() -> None:
        async with client.app.state.runtime.store.write() as tx:  # type: ignore[attr-defined]
            await tx.insert_hold(row)

    client.portal.call(hold)  # type: ignore[union-attr]
    after = {s["start"] for s in slots(client, query)}
    assert "2026-11-25T09:00:00+01:00" not in after
    assert "2026-11-25T08:45:00+01:00" not in after  # it would run into the hold
    assert after == {s for s in before if not "08:45" <= s[11:16] < "09:30"}


# -- invites ----------------------------------------------------------------------------


def test_an_invite_fixes_the_agent(client: TestClient) -> None:
    token = invite(client, agent="bob")
    query = f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-23&to=2026-11-29"
    assert slots(client, f"{query}&invite={token}") == slots(client, f"{query}&agent=bob")


def test_an_invite_may_stand_for_subject_and_meeting_type(client: TestClient) -> None:
    token = invite(
        client, agent="bob", subject="mortgage", meeting_type="OFFICE", office="brussels"
    )
    via_invite = slots(client, f"invite={token}&from=2026-11-25&to=2026-11-25")
    assert via_invite == slots(
        client, f"{MORTGAGE_AT_BRUSSELS}&agent=bob&from=2026-11-25&to=2026-11-25"
    )


def test_an_invite_opens_a_subject_hidden_from_customers(client: TestClient) -> None:
    query = (
        "subject=estate-planning&meeting_type=OFFICE&office=brussels&from=2026-11-25&to=2026-12-01"
    )
    assert slots(client, query) == []
    token = invite(client, agent="bob", subject="estate-planning")
    found = slots(client, f"{query}&invite={token}")
    assert found
    assert all(
        datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"])
        == timedelta(minutes=90)
        for s in found
    )


def test_a_query_that_contradicts_the_invite_is_refused(client: TestClient) -> None:
    token = invite(client, agent="bob", subject="mortgage")
    response = client.get(f"/api/v1/slots?{MORTGAGE_AT_BRUSSELS}&agent=alice&invite={token}"
                       "&from=2026-11-25&to=2026-11-25")  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "$.query.agent"


def test_a_tampered_invite_is_invalid_and_an_old_one_expired(client: TestClient) -> None:
    dates = "&from=2026-11-25&to=2026-11-25"
    good = invite(client, agent="bob")
    tampered = client.get(f"/api/v1/slots?{MORTGAGE_AT_BRUSSELS}{dates}&invite={good[:-2]}xx")
    assert tampered.status_code == 401
    assert tampered.json()["error"]["code"] == "TOKEN_INVALID"
    assert tampered.json()["error"]["details"][0]["path"] == "$.query.invite"
    old = invite(client, agent="bob", expires_at=NOW - timedelta(minutes=1))
    expired = client.get(f"/api/v1/slots?{MORTGAGE_AT_BRUSSELS}{dates}&invite={old}")
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "TOKEN_EXPIRED"


# -- bad queries ------------------------------------------------------------------------

DATES = "from=2026-11-25&to=2026-11-26"


@pytest.mark.parametrize(
    ("query", "status", "code", "path"),
    [
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&to=2026-11-26", 422, "VALIDATION_FAILED",
                     "$.query.from", id="from-missing"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-25", 422, "VALIDATION_FAILED",
                     "$.query.to", id="to-missing"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-31&to=2026-12-01", 422,
                     "VALIDATION_FAILED", "$.query.from", id="from-not-a-date"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-25&to=tomorrow", 422,
                     "VALIDATION_FAILED", "$.query.to", id="to-not-a-date"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-26&to=2026-11-25", 422,
                     "VALIDATION_FAILED", "$.query.to", id="to-before-from"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-01&to=2027-01-02", 422,
                     "VALIDATION_FAILED", "$.query.to", id="more-than-62-days"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&{DATES}&tz=Mars/Olympus", 422,
                     "VALIDATION_FAILED", "$.query.tz", id="unknown-time-zone"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&{DATES}&tz=../../etc/passwd", 422,
                     "VALIDATION_FAILED", "$.query.tz", id="time-zone-path"),
        pytest.param(f"meeting_type=OFFICE&office=brussels&{DATES}", 422, "VALIDATION_FAILED",
                     "$.query.subject", id="subject-missing"),
        pytest.param(f"subject=mortgage&office=brussels&{DATES}", 422, "VALIDATION_FAILED",
                     "$.query.meeting_type", id="meeting-type-missing"),
        pytest.param(f"subject=mortgage&meeting_type=VIDEOCALL&{DATES}", 422,
                     "VALIDATION_FAILED", "$.query.meeting_type", id="meeting-type-unknown"),
        pytest.param(f"subject=mortgage&meeting_type=OFFICE&{DATES}", 422, "VALIDATION_FAILED",
                     "$.query.office", id="office-missing-for-office"),
        pytest.param(f"subject=mortgage&meeting_type=ON_LOCATION&{DATES}", 422,
                     "VALIDATION_FAILED", "$.query.office", id="office-missing-for-on-location"),
        pytest.param(f"subject=cooking&meeting_type=VIDEO&{DATES}", 404, "NOT_FOUND",
                     "$.query.subject", id="unknown-subject"),
        pytest.param(f"subject=mortgage&meeting_type=OFFICE&office=paris&{DATES}", 404,
                     "NOT_FOUND", "$.query.office", id="unknown-office"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&agent=zoe&{DATES}", 404, "NOT_FOUND",
                     "$.query.agent", id="unknown-agent"),
        pytest.param(f"{MORTGAGE_AT_BRUSSELS}&{DATES}&invite=not-a-token", 401, "TOKEN_INVALID",
                     "$.query.invite", id="invite-not-a-token"),
    ],
)  # fmt: skip
def test_bad_queries_answer_in_the_error_shape(
    client: TestClient, query: str, status: int, code: str, path: str
) -> None:
    response = client.get(f"/api/v1/slots?{query}")
    assert response.status_code == status, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == code
    assert [d["path"] for d in error["details"]] == [path]
    assert response.headers["cache-control"] == "no-store"


def test_sixty_two_days_is_the_most_one_call_asks(client: TestClient) -> None:
    assert slots(client, f"{MORTGAGE_AT_BRUSSELS}&from=2026-11-25&to=2027-01-25")
