"""Sending through a real SMTP server: a relay, STARTTLS and implicit TLS with AUTH
(a self-signed certificate made for the test), refusals, and a server that is down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server import cli
from server.deliveries.smtp import SMTPSettings, SMTPTransport
from server.deliveries.worker import DeliveryWorker
from server.settings import Settings
from tests.server._booking import book, offered, runtime
from tests.server.deliveries._mail import (
    PASSWORD,
    USER,
    Certificate,
    MailServer,
    free_port,
    self_signed,
)
from tests.server.deliveries.conftest import appointment_body, at, deliveries, send_due
from tests.support import NOW

TOMORROW = date(2026, 11, 25)
# aiosmtpd only counts STARTTLS as TLS; over implicit TLS its AUTH is encrypted too.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]
ENCODED = f"{USER}:{PASSWORD.replace(' ', '%20').replace('@', '%40')}"


def book_one(client: TestClient) -> dict[str, Any]:
    start = offered(client, "car-insurance", "OFFICE", "brussels", first_day=TOMORROW, days=1)[0]
    response = book(client, appointment_body("car-insurance", "OFFICE", start, "brussels"))
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def send_with(client: TestClient, transport: SMTPTransport) -> int:
    """A round of a worker that sends through `transport`."""
    worker = DeliveryWorker(runtime(client), transport)

    async def round() -> int:
        try:
            return await worker.run_once()
        finally:
            await worker.stop()

    result: int = client.portal.call(round)  # type: ignore[union-attr]
    return result


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "smtp://relay.internal", SMTPSettings("relay.internal", 25, "none"), id="relay"
        ),
        pytest.param(
            "smtp+starttls://u%40x:p%3Ass@mail.example:2525",
            SMTPSettings("mail.example", 2525, "starttls", "u@x", "p:ss"),
            id="starttls-with-login",
        ),
        pytest.param(
            "smtps://user:pw@mail.example",
            SMTPSettings("mail.example", 465, "tls", "user", "pw"),
            id="implicit-tls-default-port",
        ),
    ],
)
def test_the_smtp_url_says_how_mail_leaves(url: str, expected: SMTPSettings) -> None:
    assert SMTPSettings.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        pytest.param("http://mail.example", "expected smtp://", id="scheme"),
        pytest.param("smtp://", "host is missing", id="no-host"),
        pytest.param("smtp://mail.example:port", "port is not a number", id="port"),
        pytest.param("smtps://u:secret@mail.example/x", "no path", id="path"),
    ],
)
def test_a_bad_smtp_url_is_refused_without_showing_the_password(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        SMTPSettings.from_url(url)
    assert "secret" not in str(caught.value)


def test_the_description_of_the_smtp_url_leaves_the_password_out() -> None:
    found = SMTPSettings.from_url("smtps://user:secret@mail.example").describe()
    assert found == "smtps://user@mail.example:465"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_server(certificate: Certificate) -> Iterator[MailServer]:
    with MailServer(starttls=certificate.server_context(), auth=True) as server:
        yield server


@pytest.fixture
def tls_server(certificate: Certificate) -> Iterator[MailServer]:
    with MailServer(implicit_tls=certificate.server_context(), auth=True) as server:
        yield server


def test_mail_goes_out_over_starttls_with_a_login(
    client: TestClient, starttls_server: MailServer, certificate: Certificate
) -> None:
    book_one(client)
    url = f"smtp+starttls://{ENCODED}@localhost:{starttls_server.port}"
    transport = SMTPTransport(SMTPSettings.from_url(url), tls_context=certificate.client_context())

    assert send_with(client, transport) == 2

    received = starttls_server.wait_for(2)
    assert sorted(r.recipients[0] for r in received) == [
        "ann@example.com",
        "farid@demobank.example",
    ]
    assert all(row["status"] == "sent" for row in deliveries(client) if row["attempts"])


def test_mail_goes_out_over_implicit_tls_with_a_login(
    client: TestClient, tls_server: MailServer, certificate: Certificate
) -> None:
    book_one(client)
    url = f"smtps://{ENCODED}@localhost:{tls_server.port}"
    transport = SMTPTransport(SMTPSettings.from_url(url), tls_context=certificate.client_context())

    send_with(client, transport)

    assert len(tls_server.wait_for(2)) == 2


def test_an_untrusted_certificate_is_not_accepted(
    client: TestClient, tls_server: MailServer
) -> None:
    book_one(client)
    url = f"smtps://{ENCODED}@localhost:{tls_server.port}"

    send_with(client, SMTPTransport(SMTPSettings.from_url(url)))  # the system's trust store

    assert tls_server.received == []
    sent = [row for row in deliveries(client) if row["attempts"]]
    assert {row["status"] for row in sent} == {"pending"}
    assert all("CERTIFICATE_VERIFY_FAILED" in row["last_error"] for row in sent)


def test_a_refused_login_is_tried_again_later(
    client: TestClient, starttls_server: MailServer, certificate: Certificate
) -> None:
    book_one(client)
    url = f"smtp+starttls://{USER}:wrong-password@localhost:{starttls_server.port}"
    transport = SMTPTransport(SMTPSettings.from_url(url), tls_context=certificate.client_context())

    send_with(client, transport)

    tried = [row for row in deliveries(client) if row["attempts"]]
    assert {row["status"] for row in tried} == {"pending"}
    assert all("login was refused" in row["last_error"] for row in tried)
    assert all("wrong-password" not in row["last_error"] for row in tried)


def test_a_permanent_refusal_of_the_recipient_is_failed_at_once_and_listed(
    client: TestClient,
    smtp: MailServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    smtp.collector.refused.add("ann@example.com")
    book_one(client)

    send_due(client)
    at(client, NOW + timedelta(days=1))
    send_due(client)

    customer = next(row for row in deliveries(client) if row["kind"] == "customer_confirmation")
    assert customer["status"] == "failed"
    assert customer["attempts"] == 1  # not tried again a day later
    assert customer["last_error"].startswith("the recipient was refused: 550")
    assert "ann@example.com" not in customer["last_error"]  # masked: a***@example.com
    assert [r.recipients for r in smtp.received] == [["farid@demobank.example"]]

    environment(monkeypatch, settings, smtp)
    assert cli.main(["outbox"]) == 0
    listed = capsys.readouterr().out
    assert customer["id"] in listed and "failed" in listed
    assert "customer a***@example.com" in listed
    assert "550" in listed and "ann@example.com" not in listed

    smtp.collector.refused.clear()
    assert cli.main(["outbox", "--retry", customer["id"]]) == 0
    assert "sent" in capsys.readouterr().out
    assert [r.recipients for r in smtp.wait_for(2)][-1] == ["ann@example.com"]


def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings, smtp: MailServer) -> None:
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(settings.config_path))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(settings.database))
    monkeypatch.setenv("RENDEZVOUS_SECRET_KEY", settings.secret_key or "")
    monkeypatch.setenv("RENDEZVOUS_SMTP_URL", f"smtp://127.0.0.1:{smtp.port}")


def test_mail_written_while_the_server_is_down_arrives_once_it_is_up(
    settings: Settings, tmp_path: Path
) -> None:
    import dataclasses

    from server.app import create_app

    port = free_port()  # nothing listens here yet
    settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        at(client, NOW)
        book_one(client)
        send_due(client)
        tried = [row for row in deliveries(client) if row["attempts"]]
        assert len(tried) == 2 and {row["status"] for row in tried} == {"pending"}
        assert all(row["next_attempt_at"] == int(NOW.timestamp()) + 60 for row in tried)

        with MailServer(port=port) as smtp:
            assert send_due(client) == 0  # not due before its minute has passed
            at(client, NOW + timedelta(seconds=61))
            assert send_due(client) == 2

            assert len(smtp.wait_for(2)) == 2
        assert {row["status"] for row in deliveries(client) if row["attempts"]} == {"sent"}


def test_a_retried_message_keeps_its_message_id_and_date(
    client: TestClient, smtp: MailServer
) -> None:
    original = smtp.collector.handle_DATA
    calls = 0

    async def refuse_first(server: Any, session: Any, envelope: Any) -> str:
        nonlocal calls
        calls += 1
        answer = await original(server, session, envelope)
        return "451 4.3.0 Try again later" if calls == 1 else answer

    smtp.collector.handle_DATA = refuse_first  # type: ignore[method-assign]
    book_one(client)
    send_due(client)
    at(client, NOW + timedelta(minutes=2))
    send_due(client)

    first, *others = smtp.wait_for(3)
    again = next(r for r in others if r.recipients == first.recipients)
    one = first.message
    two = again.message
    assert one["Message-ID"] == two["Message-ID"]
    assert one["Date"] == two["Date"]
    delivery = next(
        r
        for r in deliveries(client)
        if r["recipient"] == first.recipients[0] and r["status"] == "sent"
    )
    assert one["Message-ID"] == f"<{delivery['id']}@127.0.0.1>"
    assert delivery["attempts"] == 2
