"""The body cap and the access log (server/middleware/body.py), around a small ASGI app.

That the app installs both, with the 64 KiB of SPEC 9, is test_app.py's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from server.logs import JsonFormatter
from server.middleware.body import AccessLogMiddleware, BodyLimitMiddleware

CAP = 10


class Counter:
    """An ASGI app that reads the whole body and answers how many bytes it read."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def chunks(*parts: bytes) -> Iterator[bytes]:
    """A body sent in parts, without a Content-Length."""
    yield from parts


def test_a_body_up_to_the_cap_reaches_the_app() -> None:
    app = Counter()

    response = TestClient(BodyLimitMiddleware(app, max_bytes=CAP)).post("/", content=b"x" * CAP)

    assert (response.status_code, response.text) == (200, str(CAP))


def test_a_declared_length_over_the_cap_is_refused_before_the_app_runs() -> None:
    app = Counter()

    response = TestClient(BodyLimitMiddleware(app, max_bytes=CAP)).post(
        "/", content=b"x" * (CAP + 1)
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.json()["error"]["message"] == f"The request body is larger than {CAP} bytes."
    assert response.headers["connection"] == "close"
    assert app.calls == 0


def test_a_streamed_body_is_refused_once_it_passes_the_cap() -> None:
    client = TestClient(BodyLimitMiddleware(Counter(), max_bytes=CAP))

    under = client.post("/", content=chunks(b"x" * 6, b"x" * 4))
    over = client.post("/", content=chunks(b"x" * 6, b"x" * 5))

    assert (under.status_code, under.text) == (200, str(CAP))
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


# -- the access log -----------------------------------------------------------------------


def logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The access lines as the server writes them (server/logs.py)."""
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(r)) for r in caplog.records if r.name == "rendezvous.access"
    ]


def test_each_request_is_one_json_line_without_query_or_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = TestClient(AccessLogMiddleware(Counter()))
    token = "eyJhIjoiMSJ9.c2lnbmF0dXJlLW9mLTI3LWNoYXJhY3RlcnM"

    with caplog.at_level(logging.INFO, logger="rendezvous.access"):
        client.post(f"/api/v1/appointments/{token}/cancel?email=ann@example.com")

    [line] = logged(caplog)
    assert set(line) == {
        *("time", "level", "logger", "message", "pid"),
        *("method", "path", "status", "duration_ms"),
    }
    assert (line["method"], line["path"], line["status"]) == (
        "POST",
        "/api/v1/appointments/{token}/cancel",
        200,
    )
    assert token not in caplog.text
    assert "ann@example.com" not in caplog.text


def test_a_request_that_crashes_is_logged_as_500(caplog: pytest.LogCaptureFixture) -> None:
    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    client = TestClient(AccessLogMiddleware(crash), raise_server_exceptions=False)

    with caplog.at_level(logging.INFO, logger="rendezvous.access"):
        client.get("/healthz")

    assert [line["status"] for line in logged(caplog)] == [500]
