"""Webhooks (SPEC 10): a JSON POST per event to each `[[webhooks]]` that subscribes to
it, signed as the Standard Webhooks specification says.

    webhook-id:         the delivery's id: the same on every attempt (receivers dedupe on it)
    webhook-timestamp:  unix seconds of this attempt
    webhook-signature:  v1,<base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}")>

The secret is `whsec_` + base64 of the key, read from the environment variable the
webhook names (`secret_env`); `secret_problems` reports a missing or malformed one at
start and in `rendezvous check`. The body is
`{"type", "timestamp", "data": {"appointment": {...}}}`: the appointment object of
SPEC 5 (its `agent.id` included) as of the change, and the time of the change.

A 2xx answer is success; 410 Gone is a permanent refusal (`failed` at once); any other
answer, a redirect (never followed), or no answer within 10 s is tried again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

import httpx
import msgspec

from server import config
from server.booking.presenters import appointment_out, encode
from server.deliveries.outbox import Change
from server.deliveries.retries import SendFailed
from server.schemas import AppointmentOut
from server.snapshot import Snapshot
from server.store import DeliveryRow
from server.vocabulary import to_unix

TIMEOUT: Final = 10.0
SECRET_PREFIX: Final = "whsec_"


class WebhookData(msgspec.Struct):
    appointment: AppointmentOut


class WebhookBody(msgspec.Struct):
    type: str
    timestamp: str
    data: WebhookData


def body(snapshot: Snapshot, row: DeliveryRow, change: Change) -> bytes:
    return encode(
        WebhookBody(
            type=row.kind,
            timestamp=change.at.isoformat().replace("+00:00", "Z"),
            data=WebhookData(appointment=appointment_out(snapshot, change.appointment)),
        )
    )


def key_of(secret: str) -> bytes:
    """The HMAC key of a `whsec_...` secret; ValueError when it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f'expected a secret that starts with "{SECRET_PREFIX}"')
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f'expected "{SECRET_PREFIX}" followed by base64') from None
    if len(key) < 16:
        raise ValueError("expected a key of at least 16 bytes (24 base64 characters)")
    return key


def signature(key: bytes, webhook_id: str, timestamp: int, payload: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + payload
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode('ascii')}"


def headers(key: bytes, webhook_id: str, now: datetime, payload: bytes) -> dict[str, str]:
    timestamp = to_unix(now)
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, webhook_id, timestamp, payload),
        "user-agent": "Rendezvous-Webhooks/1",
    }


def secret_problems(
    webhooks: Sequence[config.Webhook], environ: Mapping[str, str]
) -> list[config.Issue]:
    """A webhook whose secret variable is missing or not a `whsec_` secret."""
    problems = []
    for i, webhook in enumerate(webhooks):
        path = f"webhooks[{i}].secret_env"
        value = environ.get(webhook.secret_env)
        if not value:
            problems.append(
                config.Issue(path, f"the environment variable {webhook.secret_env} is not set")
            )
            continue
        try:
            key_of(value)
        except ValueError as exc:
            problems.append(
                config.Issue(path, f"the environment variable {webhook.secret_env}: {exc}")
            )
    return problems


async def send(
    client: httpx.AsyncClient,
    snapshot: Snapshot,
    row: DeliveryRow,
    change: Change,
    environ: Mapping[str, str],
    now: datetime,
) -> None:
    """POST one delivery; raises SendFailed (permanent for 410 and a removed webhook)."""
    await post(client, snapshot, row, body(snapshot, row, change), environ, now)


async def post(
    client: httpx.AsyncClient,
    snapshot: Snapshot,
    row: DeliveryRow,
    payload: bytes,
    environ: Mapping[str, str],
    now: datetime,
) -> None:
    """POST `payload` as the delivery `row` to its webhook, signed; raises SendFailed as
    `send` does (calendar events use it with their own body: `server.calendars.notices`)."""
    webhook = next((w for w in snapshot.file.webhooks if w.id == row.recipient), None)
    if webhook is None:
        raise SendFailed(f'no webhook "{row.recipient}" in the organisation file', permanent=True)
    try:
        key = key_of(environ.get(webhook.secret_env, ""))
    except ValueError as exc:
        raise SendFailed(f"the secret in {webhook.secret_env}: {exc}") from None
    try:
        response = await client.post(
            webhook.url, content=payload, headers=headers(key, row.id, now, payload)
        )
    except httpx.TimeoutException:
        raise SendFailed(f"no answer within {TIMEOUT:g} s") from None
    except httpx.HTTPError as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from None
    if 200 <= response.status_code < 300:
        return
    raise SendFailed(f"HTTP {response.status_code}", permanent=response.status_code == 410)


def client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The worker's HTTP client: 10 s timeout, redirects not followed, no proxies or
    credentials from the environment."""
    return httpx.AsyncClient(
        timeout=TIMEOUT, follow_redirects=False, trust_env=False, transport=transport
    )


__all__ = [
    "SECRET_PREFIX",
    "TIMEOUT",
    "body",
    "client",
    "headers",
    "key_of",
    "post",
    "secret_problems",
    "send",
    "signature",
]
