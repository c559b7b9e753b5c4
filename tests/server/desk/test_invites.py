"""Invite links on the desk (SPEC 11) and stored invites: the form offers what the agent
can really be booked for, the link carries only an id (never the customer's e-mail),
a revoked link books nothing, and links made before invites were stored still work."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from server.booking import invites
from tests.server._booking import book, error, runtime
from tests.server.deliveries.conftest import appointment_body
from tests.server.desk._desk import SAME_SITE, form_to, rows, sign_in_as, submit
from tests.support import NOW

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank

BRUSSELS = ZoneInfo("Europe/Brussels")
WEDNESDAY_TEN = datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS)


def make(client: TestClient, **data: str) -> Any:
    return submit(client, "/desk/invites", "/desk/invites", data)


def token_of(link: str) -> str:
    return link.split("invite=", 1)[1]


def link_on(client: TestClient, page: str) -> str:
    html = client.get(page).text
    start = html.index('value="http://127.0.0.1:8000/book?invite=') + len('value="')
    return html[start : html.index('"', start)]


def payload(token: str) -> dict[str, Any]:
    body = token.split(".", 1)[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def test_the_form_offers_only_what_the_agent_can_be_booked_for(client: TestClient) -> None:
    sign_in_as(client, "bob")
    page = client.get("/desk/invites").text
    form = form_to(page, "/desk/invites")
    assert "Estate planning" in page  # hidden from customers, but an invite opens it
    assert "Antwerp Meir" in page and "Brussels Centre" in page
    assert "Saving" not in page and "London City" not in page
    assert form.fields["expires"] == ["7d"]
    assert form.fields["subject"] == [""]  # any subject, unless one is chosen


def test_an_invite_link_carries_only_an_id(client: TestClient) -> None:
    sign_in_as(client, "alice")
    response = make(
        client,
        subject="mortgage",
        meeting_type="VIDEO",
        office="brussels",
        customer_email="ann@example.com",
        expires="30d",
        single_use="1",
    )
    assert response.status_code == 303
    link = link_on(client, response.headers["location"])

    token = token_of(link)
    assert "ann" not in json.dumps(payload(token))
    assert set(payload(token)) == {"i", "exp"}
    body = client.get(f"/api/v1/invites/{token}").json()
    assert body["agent"]["id"] == "alice"
    assert (body["subject"], body["meeting_type"], body["office"]) == (
        "mortgage",
        "VIDEO",
        "brussels",
    )
    assert body["customer"]["email"] == "ann@example.com"
    assert body["single_use"] is True
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(days=30)
    (row,) = rows(client, "SELECT * FROM invites")
    assert (row["agent"], row["created_by"], row["customer_email"]) == (
        "alice",
        "alice",
        "ann@example.com",
    )


def test_a_stored_single_use_invite_books_once_and_leaves_the_list(client: TestClient) -> None:
    sign_in_as(client, "emma")
    response = make(client, subject="new-account", expires="7d", single_use="1")
    token = token_of(link_on(client, response.headers["location"]))
    assert token in client.get("/desk/invites").text

    body = appointment_body("new-account", "OFFICE", WEDNESDAY_TEN, "brussels", invite=token)
    first = book(client, body)
    assert first.status_code == 201
    assert first.json()["appointment"]["agent"]["id"] == "emma"
    second = book(client, {**body, "start": (WEDNESDAY_TEN + timedelta(hours=1)).isoformat()})
    assert error(second)[:2] == (410, "INVITE_USED")
    assert token not in client.get("/desk/invites").text


def test_a_revoked_invite_books_nothing(client: TestClient) -> None:
    sign_in_as(client, "emma")
    response = make(client, subject="new-account", expires="7d")
    invite_page = response.headers["location"]
    token = token_of(link_on(client, invite_page))
    assert client.get(f"/api/v1/invites/{token}").status_code == 200

    revoked = submit(client, invite_page, invite_page + "/revoke")

    assert revoked.status_code == 303
    shown = client.get(f"/api/v1/invites/{token}")
    assert error(shown)[:2] == (410, "TOKEN_EXPIRED")
    assert "withdrawn" in shown.json()["error"]["message"]
    slots = client.get(
        "/api/v1/slots",
        params={
            "invite": token,
            "meeting_type": "OFFICE",
            "office": "brussels",
            "from": "2026-11-25",
            "to": "2026-11-25",
        },
    )
    assert error(slots)[:2] == (410, "TOKEN_EXPIRED")
    body = appointment_body("new-account", "OFFICE", WEDNESDAY_TEN, "brussels", invite=token)
    assert error(book(client, body))[:2] == (410, "TOKEN_EXPIRED")
    assert token not in client.get("/desk/invites").text
    assert "This link is revoked" in client.get(invite_page).text


def test_another_agents_invite_is_not_found(client: TestClient) -> None:
    sign_in_as(client, "emma")
    invite_page = make(client, expires="7d").headers["location"]
    invite_id = invite_page.rsplit("/", 1)[1]

    session = sign_in_as(client, "alice")
    assert client.get(invite_page).status_code == 404
    path = f"/desk/invites/{invite_id}/revoke"
    csrf = runtime(client).tokens.dumps(
        "desk_form", {"s": session.id, "a": path}, session.expires_at
    )
    assert client.post(path, data={"csrf": csrf}, headers=SAME_SITE).status_code == 404
    assert rows(client, "SELECT revoked_at FROM invites")[0]["revoked_at"] is None


def test_bad_input_on_the_invite_form_writes_nothing(client: TestClient) -> None:
    sign_in_as(client, "alice")
    for data, message in [
        ({"subject": "estate-planning", "expires": "7d"}, "Choose one of the options"),
        (
            {"subject": "mortgage", "meeting_type": "PHONE", "expires": "7d"},
            "cannot be booked for this combination",
        ),
        ({"customer_email": "ann at example", "expires": "7d"}, "Enter an e-mail address"),
        ({"expires": "7y"}, "Choose one of the options"),
        ({"expires": ""}, "This is required"),
    ]:
        response = make(client, **data)
        assert response.status_code == 422, data
        assert message in response.text, data
        assert 'aria-invalid="true"' in response.text
    assert rows(client, "SELECT * FROM invites") == []


def test_links_made_before_invites_were_stored_keep_working_until_they_expire(
    client: TestClient,
) -> None:
    token = invites.mint(
        runtime(client).tokens,
        agent="emma",
        customer_email="ann@example.com",
        expires_at=NOW + timedelta(days=3),
    )
    assert client.get(f"/api/v1/invites/{token}").json()["customer"]["email"] == "ann@example.com"
    body = appointment_body("new-account", "OFFICE", WEDNESDAY_TEN, "brussels", invite=token)
    assert book(client, body).status_code == 201
