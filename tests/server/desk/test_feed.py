"""The agent's calendar feed (SPEC 11): a private address of an RFC 5545 calendar of the
agent's own appointments, read here with `icalendar`, with the invitations' UIDs,
cancelled ones as STATUS:CANCELLED for a while, ETags, and an address that renewing
ends."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from starlette.testclient import TestClient

from server.desk import feed
from tests.server.desk._desk import booked, freeze, sign_in_as, submit
from tests.support import NOW

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BRUSSELS)


def feed_address(client: TestClient) -> str:
    assert submit(client, "/desk/feed", "/desk/feed").status_code == 303
    page = client.get("/desk/feed").text
    start = page.index('value="http://127.0.0.1:8000/desk/feed/') + len('value="')
    address = page[start : page.index('"', start)]
    assert f'href="webcal://{address.split("://", 1)[1]}"' in page
    return address


def events(body: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]).split("@")[0]: event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_the_agents_own_appointments(client: TestClient) -> None:
    confirmed = booked(client, "car-loan", "OFFICE", at(26, 10), "brussels", agent="alice")
    request = booked(client, "mortgage", "VIDEO", at(27, 11), "brussels", agent="alice")
    other = booked(client, "new-account", "OFFICE", at(25, 10), "brussels", agent="emma")
    sign_in_as(client, "alice")
    assert "Make my calendar feed" in client.get("/desk/feed").text
    address = feed_address(client)

    client.cookies.clear()  # a calendar app has no session
    response = client.get(address)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    assert set(found) == {confirmed["id"], request["id"]}
    assert other["id"] not in found
    event = found[confirmed["id"]]
    assert str(event["UID"]) == f"{confirmed['id']}@127.0.0.1"  # the invitations' UID
    assert event.decoded("DTSTART") == at(26, 10)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(found[request["id"]]["STATUS"]) == "TENTATIVE"
    assert "Ann Smith" in str(event["SUMMARY"])
    assert f"/desk/appointments/{confirmed['id']}" in str(event["DESCRIPTION"])
    assert "Demo Bank: Alice Peeters" in str(
        icalendar.Calendar.from_ical(response.content)["X-WR-CALNAME"]
    )


def test_a_cancelled_appointment_shows_as_cancelled_for_a_while(client: TestClient) -> None:
    appointment = booked(client, "car-loan", "OFFICE", at(30, 10), "brussels", agent="alice")
    sign_in_as(client, "alice")
    address = feed_address(client)
    path = f"/desk/appointments/{appointment['id']}/cancel"
    assert submit(client, path, path, {"reason": ""}).status_code == 303

    shown = events(client.get(address).content)[appointment["id"]]
    assert str(shown["STATUS"]) == "CANCELLED"
    assert int(shown["SEQUENCE"]) == 1

    freeze(client, NOW + feed.KEEP_CANCELLED + timedelta(minutes=1))
    assert appointment["id"] not in events(client.get(address).content)


def test_an_unchanged_feed_is_a_304(client: TestClient) -> None:
    booked(client, "car-loan", "OFFICE", at(26, 10), "brussels", agent="alice")
    sign_in_as(client, "alice")
    address = feed_address(client)
    first = client.get(address)
    tag = first.headers["etag"]

    again = client.get(address, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""

    booked(client, "car-loan", "OFFICE", at(26, 11), "brussels", agent="alice")
    changed = client.get(address, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag


def test_renewing_the_address_ends_the_old_one(client: TestClient) -> None:
    sign_in_as(client, "alice")
    old = feed_address(client)
    new = feed_address(client)  # the same button, again: a new address
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/desk/feed/not-a-secret.ics").status_code == 404


def test_the_feed_of_an_agent_made_inactive_is_gone(client: TestClient, config_path: Path) -> None:
    sign_in_as(client, "emma")
    address = feed_address(client)
    text = config_path.read_text().replace(
        'name = "Emma Lambert"\n', 'name = "Emma Lambert"\nactive = false\n', 1
    )
    config_path.write_text(text)
    client.app.state.runtime.organisation_file.refresh()  # type: ignore[attr-defined]
    assert client.get(address).status_code == 404


def test_feed_secrets_and_sign_in_tokens_stay_out_of_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in_as(client, "alice")
    address = feed_address(client)
    secret = address.rsplit("/", 1)[1].removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger="rendezvous.access"):
        client.get(address)
        client.get("/desk/sign-in/eyJsIjoieCJ9.c2lnbmF0dXJlLW9mLTI3LWNoYXJhY3RlcnM")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/desk/feed/{token}" in logged
    assert secret not in logged
    assert "eyJsIjoieCJ9" not in logged
