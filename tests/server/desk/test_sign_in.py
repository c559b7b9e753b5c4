"""Sign-in by e-mail link (SPEC 11): the same answer for everybody, a link that signs in
once within 15 minutes, a session that ends when the agent leaves or signs out."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.desk import sign_in
from tests.server.deliveries._mail import MailServer
from tests.server.desk._desk import (
    SAME_SITE,
    freeze,
    mail_to,
    rows,
    send_due,
    sign_in_as,
    sign_in_link,
    text_of,
)
from tests.support import NOW

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank

ALICE = "alice@demobank.example"
AGENTS = [
    f"{name}@demobank.example" for name in ("alice", "bob", "chloe", "david", "emma", "farid")
]


def ask(client: TestClient, email: str, **headers: str) -> object:
    return client.post(
        "/desk/sign-in", data={"email": email, "next": ""}, headers={**SAME_SITE, **headers}
    )


def link_for(client: TestClient, smtp: MailServer, address: str = ALICE) -> str:
    response = ask(client, address)
    assert response.status_code == 200  # type: ignore[attr-defined]
    send_due(client)
    return sign_in_link(mail_to(smtp, address)[-1])


def test_the_sign_in_page_asks_for_an_address_and_names_the_organisation(
    client: TestClient,
) -> None:
    page = client.get("/desk")
    assert page.status_code == 200
    assert "Demo Bank" in page.text
    assert 'type="email"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_an_agent_gets_a_link_that_signs_in_once(client: TestClient, smtp: MailServer) -> None:
    link = link_for(client, smtp)
    message = mail_to(smtp, ALICE)[-1]
    assert "Alice Peeters" in message["To"]
    assert "Uw aanmeldlink" in str(message["Subject"])  # Alice's first language
    assert "15" in text_of(message)
    assert link.endswith("?lang=nl")

    shown = client.get(link)  # a mail scanner following the link signs nobody in
    assert shown.status_code == 200
    assert '<html lang="nl"' in shown.text
    assert "set-cookie" not in shown.headers
    assert rows(client, "SELECT * FROM desk_sessions") == []

    signed = client.post(link, headers=SAME_SITE, follow_redirects=False)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/desk/appointments"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/desk" in cookie
    assert "Max-Age=43200" in cookie  # 12 hours
    assert "Secure" not in cookie  # the demo's public URL is http
    assert "Alice Peeters" in client.get("/desk/appointments").text

    client.cookies.clear()  # another browser: no session cookie
    used = client.post(link, headers=SAME_SITE, follow_redirects=False)
    assert used.status_code == 410
    assert "al gebruikt" in used.text  # "used already", in the e-mail's language
    assert "set-cookie" not in used.headers
    assert len(rows(client, "SELECT * FROM desk_sessions")) == 1


def test_a_link_expires_after_15_minutes(client: TestClient, smtp: MailServer) -> None:
    link = link_for(client, smtp)
    freeze(client, NOW + timedelta(minutes=15))

    response = client.post(link, headers=SAME_SITE, follow_redirects=False)

    assert response.status_code == 410
    assert "verlopen" in response.text  # "expired"
    assert rows(client, "SELECT * FROM desk_sessions") == []


def test_a_tampered_link_signs_nobody_in(client: TestClient, smtp: MailServer) -> None:
    link = link_for(client, smtp)
    token_part = link.split("?", 1)[0]
    response = client.post(token_part[:-3] + "AAA", headers=SAME_SITE, follow_redirects=False)
    assert response.status_code == 400
    assert rows(client, "SELECT * FROM desk_sessions") == []


def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    client: TestClient, smtp: MailServer
) -> None:
    answers = [
        ask(client, address)
        for address in (ALICE, "nobody@example.com", "ines@demobank.example")  # inactive
    ]
    send_due(client)

    first = answers[0]
    for other in answers[1:]:
        assert other.status_code == first.status_code == 200  # type: ignore[attr-defined]
        assert other.text == first.text  # type: ignore[attr-defined]
        assert set(other.headers) == set(first.headers)  # type: ignore[attr-defined]
        assert "set-cookie" not in other.headers  # type: ignore[attr-defined]
    assert [r.recipients for r in smtp.received] == [[ALICE]]  # nobody else got mail
    # The same work was done for each: one link row each, one e-mail only for Alice.
    assert [r["agent"] for r in rows(client, "SELECT agent FROM desk_sign_in_links")] == [
        "alice",
        None,
        None,
    ]


def test_the_answer_takes_the_same_time_for_known_and_unknown_addresses(
    client: TestClient,
) -> None:
    def timed(address: str) -> float:
        started = time.perf_counter()
        ask(client, address)
        return time.perf_counter() - started

    known, unknown = [], []
    for round in range(6):
        known.append(timed(AGENTS[round]))
        unknown.append(timed(f"stranger{round}@example.com"))

    # Every answer waits for the same floor; what is left is noise, far below it.
    assert min(known + unknown) >= sign_in.ANSWER_TIME
    assert abs(statistics.median(known) - statistics.median(unknown)) < sign_in.ANSWER_TIME / 2


def test_sign_in_requests_are_limited_per_address(client: TestClient, smtp: MailServer) -> None:
    for _ in range(sign_in.PER_ADDRESS):
        assert ask(client, ALICE).status_code == 200  # type: ignore[attr-defined]

    refused = ask(client, "ALICE@demobank.example ")
    stranger = ask(client, "x@example.com")

    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "Too many" in refused.text  # type: ignore[attr-defined]
    assert stranger.status_code == 200  # type: ignore[attr-defined]
    assert len(rows(client, "SELECT * FROM desk_sign_in_links")) == sign_in.PER_ADDRESS + 1


def test_sign_in_requests_are_limited_per_client(client: TestClient) -> None:
    for n in range(sign_in.PER_CLIENT):
        assert ask(client, f"someone{n}@example.com").status_code == 200  # type: ignore[attr-defined]
    assert ask(client, "one-more@example.com").status_code == 429  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "email", ["", "not an address", "a@b", "x" * 300 + "@example.com"], ids=repr
)
def test_a_bad_address_is_a_clear_message_and_nothing_is_written(
    client: TestClient, email: str
) -> None:
    response = ask(client, email)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert 'aria-invalid="true"' in response.text  # type: ignore[attr-defined]
    assert rows(client, "SELECT * FROM desk_sign_in_links") == []


def test_a_sign_in_from_another_site_is_refused(client: TestClient) -> None:
    response = client.post(
        "/desk/sign-in", data={"email": ALICE}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert rows(client, "SELECT * FROM desk_sign_in_links") == []


def test_an_address_two_agents_share_signs_nobody_in(
    client: TestClient, smtp: MailServer, config_path: Path
) -> None:
    text = config_path.read_text().replace(
        'email = "bob@demobank.example"', 'email = "alice@demobank.example"', 1
    )
    config_path.write_text(text)
    client.app.state.runtime.organisation_file.refresh()  # type: ignore[attr-defined]

    ask(client, ALICE)
    send_due(client)

    assert smtp.received == []


def test_the_link_leads_back_to_the_page_asked_for(client: TestClient, smtp: MailServer) -> None:
    asked = client.get("/desk/appointments/some-id", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/desk?next=/desk/appointments/some-id"
    client.post(
        "/desk/sign-in",
        data={"email": ALICE, "next": "/desk/appointments/some-id"},
        headers=SAME_SITE,
    )
    send_due(client)
    signed = client.post(
        sign_in_link(mail_to(smtp, ALICE)[-1]), headers=SAME_SITE, follow_redirects=False
    )
    assert signed.headers["location"] == "/desk/appointments/some-id"


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example", "/api/v1/subjects", "/desk?x=1"]
)
def test_the_link_never_leads_elsewhere(
    client: TestClient, smtp: MailServer, next_path: str
) -> None:
    client.post("/desk/sign-in", data={"email": ALICE, "next": next_path}, headers=SAME_SITE)
    send_due(client)
    signed = client.post(
        sign_in_link(mail_to(smtp, ALICE)[-1]), headers=SAME_SITE, follow_redirects=False
    )
    assert signed.headers["location"] == "/desk/appointments"


def test_a_page_opened_from_another_site_is_loaded_again_from_this_one(
    client: TestClient,
) -> None:
    # A link in a webmail: the SameSite=Strict cookie is not sent with that request.
    response = client.get(
        "/desk/appointments/abc", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False
    )
    assert response.status_code == 200
    assert 'http-equiv="refresh" content="0;url=/desk/appointments/abc"' in response.text


def test_a_forged_cookie_is_no_session(client: TestClient) -> None:
    session = sign_in_as(client, "alice")
    forged = client.cookies.get("rendezvous_desk")
    assert forged is not None
    client.cookies.set("rendezvous_desk", forged[:-4] + "AAAA", path="/desk")
    assert client.get("/desk/appointments", follow_redirects=False).status_code == 303
    assert session.agent == "alice"


def test_an_expired_session_is_no_session(client: TestClient) -> None:
    sign_in_as(client, "alice")
    assert client.get("/desk/appointments", follow_redirects=False).status_code == 200
    freeze(client, NOW + timedelta(hours=12))
    assert client.get("/desk/appointments", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session(client: TestClient) -> None:
    sign_in_as(client, "alice")
    cookie = client.cookies.get("rendezvous_desk")
    page = client.get("/desk/appointments")
    from tests.server.desk._desk import form_to

    form = form_to(page.text, "/desk/sign-out")
    out = client.post(
        "/desk/sign-out",
        data={k: v[0] for k, v in form.fields.items()},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert out.status_code == 303
    assert rows(client, "SELECT ended_at FROM desk_sessions")[0]["ended_at"] is not None

    assert cookie is not None
    client.cookies.set("rendezvous_desk", cookie, path="/desk")  # the old cookie, kept
    assert client.get("/desk/appointments", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("change", ["active = false", "removed"])
def test_an_agent_made_inactive_is_signed_out_on_the_next_request(
    client: TestClient, config_path: Path, change: str
) -> None:
    sign_in_as(client, "emma")
    assert client.get("/desk/appointments", follow_redirects=False).status_code == 200

    text = config_path.read_text()
    if change == "removed":
        text = text.replace('"emma"', '"farid"').replace('id = "farid"\n', 'id = "farid"\n', 1)
        start = text.index('[[agents]]\nid = "farid"\nexternal_id = "EMP-0071"')
        end = text.index("[[agents]]", start + 1)
        text = text[:start] + text[end:]
    else:
        text = text.replace('name = "Emma Lambert"\n', 'name = "Emma Lambert"\nactive = false\n', 1)
    config_path.write_text(text)
    assert client.app.state.runtime.organisation_file.refresh()  # type: ignore[attr-defined]

    assert client.get("/desk/appointments", follow_redirects=False).status_code == 303
    assert rows(client, "SELECT ended_at FROM desk_sessions")[0]["ended_at"] is not None


def test_the_cookie_is_secure_when_the_public_url_is_https(
    client: TestClient, smtp: MailServer, config_path: Path
) -> None:
    public = "https://book.demobank.example"
    text = config_path.read_text().replace(
        'public_url = "http://127.0.0.1:8000"', f'public_url = "{public}"'
    )
    config_path.write_text(text)
    assert client.app.state.runtime.organisation_file.refresh()  # type: ignore[attr-defined]
    origin = {"Origin": public}
    client.post("/desk/sign-in", data={"email": ALICE}, headers=origin)
    send_due(client)
    found = re.search(
        r"https://book\.demobank\.example(/desk/sign-in/\S+)", text_of(mail_to(smtp, ALICE)[-1])
    )
    assert found is not None

    signed = client.post(found.group(1), headers=origin, follow_redirects=False)

    assert signed.status_code == 303
    assert "Secure" in signed.headers["set-cookie"]
    # and the old origin is now another site's
    assert client.post("/desk/sign-in", data={"email": ALICE}, headers=SAME_SITE).status_code == 403


def test_another_spelling_of_a_link_or_cookie_signs_nobody_in(
    client: TestClient, smtp: MailServer
) -> None:
    """A sign-in link or session cookie with characters added (`é`, a zero-width space,
    `==`) is not ours (issue 9): itsdangerous alone would read it as the original."""
    link = link_for(client, smtp)
    path, query = link.split("?", 1)
    for suffix in ("é", "\u200b", "=="):
        response = client.post(f"{path}{suffix}?{query}", headers=SAME_SITE, follow_redirects=False)
        assert response.status_code == 400, suffix
        assert "set-cookie" not in response.headers
    assert rows(client, "SELECT * FROM desk_sessions") == []

    sign_in_as(client, "alice")
    cookie = client.cookies.get("rendezvous_desk")
    assert cookie is not None
    for suffix in ("==", "A"):
        client.cookies.set("rendezvous_desk", cookie + suffix, path="/desk")
        assert client.get("/desk/appointments", follow_redirects=False).status_code == 303
    client.cookies.set("rendezvous_desk", cookie, path="/desk")
    assert client.get("/desk/appointments", follow_redirects=False).status_code == 200
