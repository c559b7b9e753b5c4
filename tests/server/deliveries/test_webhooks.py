"""Webhooks through the outbox to a real HTTP receiver, verified with the
`standardwebhooks` package (an independent implementation of the signature)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.testclient import TestClient

from server import cli
from server.app import create_app
from server.settings import Settings
from tests.server._booking import book, offered
from tests.server.deliveries._mail import WebhookReceiver
from tests.server.deliveries.conftest import appointment_body, at, deliveries, send_due

pytestmark = [pytest.mark.organisation("demo"), pytest.mark.both_backends]

SECRET = "whsec_" + base64.b64encode(b"a test key of 32 bytes, not real").decode()
OTHER = "whsec_" + base64.b64encode(b"somebody else's key, 32 bytes!!!").decode()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as found:
        yield found


def with_webhooks(config_path: Path, *tables: str) -> None:
    config_path.write_text(config_path.read_text() + "\n" + "\n".join(tables))


def hook(url: str, events: list[str] | None = None, id: str = "crm") -> str:
    listed = "" if events is None else f"events = {json.dumps(events)}\n"
    return f'[[webhooks]]\nid = "{id}"\nurl = "{url}"\nsecret_env = "CRM_SECRET"\n{listed}'


@pytest.fixture
def client(
    settings: Settings,
    config_path: Path,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    # The receiver checks timestamps against the real clock, as a real one would: the
    # server runs on it here.
    monkeypatch.setenv("CRM_SECRET", SECRET)
    with_webhooks(config_path, hook(receiver.url))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        yield client


def book_one(client: TestClient) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    start = offered(
        client, "car-insurance", "OFFICE", "brussels", first_day=today + timedelta(days=2), days=7
    )[0]
    response = book(client, appointment_body("car-insurance", "OFFICE", start, "brussels"))
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_booking_posts_a_signed_appointment_created_event(
    client: TestClient, receiver: WebhookReceiver
) -> None:
    answer = book_one(client)

    send_due(client)

    (hit,) = receiver.hits
    payload = Webhook(SECRET).verify(hit.body, hit.headers)
    assert payload["type"] == "appointment.created"
    assert payload["data"]["appointment"] == answer["appointment"]
    assert payload["data"]["appointment"]["agent"]["id"] == "farid"
    assert datetime.fromisoformat(payload["timestamp"]) <= datetime.now(UTC)
    row = next(row for row in deliveries(client) if row["channel"] == "webhook")
    assert hit.headers["webhook-id"] == row["id"]
    assert hit.headers["content-type"] == "application/json"
    assert row["status"] == "sent"


def test_a_forged_signature_is_rejected_by_the_receiver(
    client: TestClient, receiver: WebhookReceiver
) -> None:
    book_one(client)
    send_due(client)
    (hit,) = receiver.hits

    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER).verify(hit.body, hit.headers)
    tampered = hit.body.replace(b'"confirmed"', b'"cancelled"')
    assert tampered != hit.body
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, hit.headers)


def test_a_failed_post_is_retried_with_the_same_webhook_id(
    client: TestClient, receiver: WebhookReceiver
) -> None:
    receiver.statuses = [500, 302]
    book_one(client)

    send_due(client)
    row = next(row for row in deliveries(client) if row["channel"] == "webhook")
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTP 500")

    later = datetime.now(UTC) + timedelta(seconds=61)
    at(client, later)  # the receiver still checks its tolerance against the real clock
    send_due(client)
    row = next(row for row in deliveries(client) if row["channel"] == "webhook")
    # A redirect is not followed: it is an answer other than 2xx.
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 2, "HTTP 302")

    at(client, later + timedelta(minutes=6))
    send_due(client)

    assert [hit.headers["webhook-id"] for hit in receiver.hits] == [row["id"]] * 3
    assert len({hit.body for hit in receiver.hits}) == 1
    assert next(r for r in deliveries(client) if r["channel"] == "webhook")["status"] == "sent"


def test_410_gone_is_a_permanent_refusal(client: TestClient, receiver: WebhookReceiver) -> None:
    receiver.statuses = [410]
    book_one(client)

    send_due(client)
    at(client, datetime.now(UTC) + timedelta(days=1))
    send_due(client)

    row = next(row for row in deliveries(client) if row["channel"] == "webhook")
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 1, "HTTP 410")
    assert len(receiver.hits) == 1


def test_a_webhook_gets_only_the_events_it_subscribes_to(
    settings: Settings,
    config_path: Path,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_SECRET", SECRET)
    with_webhooks(config_path, hook(receiver.url, ["appointment.cancelled"]))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        answer = book_one(client)
        send_due(client)
        assert receiver.hits == []
        token = answer["links"]["manage"].split("manage=", 1)[1]

        client.post(f"/api/v1/appointments/{token}/cancel")
        send_due(client)

    (hit,) = receiver.hits
    payload = Webhook(SECRET).verify(hit.body, hit.headers)
    assert payload["type"] == "appointment.cancelled"
    assert payload["data"]["appointment"]["status"] == "cancelled"
    assert payload["data"]["appointment"]["sequence"] == 1


def test_a_missing_secret_waits_for_the_variable_and_is_reported(
    settings: Settings,
    config_path: Path,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CRM_SECRET", raising=False)
    with_webhooks(config_path, hook(receiver.url))

    with pytest.raises(SystemExit) as exited:
        cli.main(["check", str(config_path)])
    assert exited.value.code == 2
    assert "webhooks[0].secret_env: the environment variable CRM_SECRET is not set" in (
        capsys.readouterr().err
    )

    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        assert "the environment variable CRM_SECRET is not set" in caplog.text  # at start
        book_one(client)
        send_due(client)
        row = next(row for row in deliveries(client) if row["channel"] == "webhook")
        assert row["status"] == "pending"
        assert "CRM_SECRET" in row["last_error"]
        assert receiver.hits == []


def test_a_secret_that_is_not_a_whsec_secret_is_reported(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_SECRET", "hunter2")
    with_webhooks(config_path, hook("https://crm.example/hooks"))

    with pytest.raises(SystemExit):
        cli.main(["check", str(config_path)])

    err = capsys.readouterr().err
    assert 'starts with "whsec_"' in err and "hunter2" not in err
