"""The application shell: health, the one error shape, the body cap, the access log."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from server.errors import RedactTokens, exception_handlers, handle_unexpected, redact_path

#: The whole app on the demo organisation: a smoke test of what every request goes through.
pytestmark = pytest.mark.organisation("demo")

#: Shaped like a manage token (itsdangerous: payload, dot, 27-character signature).
TOKEN = "eyJhIjoiTWIxMnFtOHhlX0sxTzBxWnlsdnNqdyJ9.dxDg8ORZ_BF7uJUT2SkLrhDQJHc"


def test_healthz_reports_status_and_config_version(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert len(body["config_version"]) == 16
    assert body["config_ok"] is True
    assert response.headers["cache-control"] == "no-store"


def test_unknown_route_answers_not_found_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "NOT_FOUND", "message": "Not found.", "details": []}
    }


def test_wrong_method_answers_405_in_the_error_shape(client: TestClient) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="streamed-without-length"),
        pytest.param({"content-length": str(70 * 1024)}, id="declared-length"),
    ],
)
def test_bodies_over_64_kib_are_refused_with_413(
    client: TestClient, headers: dict[str, str]
) -> None:
    body = b"{" + b" " * (70 * 1024) + b"}"
    response = client.post("/api/v1/appointments", content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        pytest.param("/api/v1/appointments/abc.def", "/api/v1/appointments/{token}", id="manage"),
        pytest.param(
            "/api/v1/appointments/abc/cancel", "/api/v1/appointments/{token}/cancel", id="cancel"
        ),
        pytest.param("/api/v1/invites/xyz", "/api/v1/invites/{token}", id="invite"),
        pytest.param("/api/v1/holds/abc.def", "/api/v1/holds/{token}", id="hold"),
        pytest.param("/api/v1//holds/abc", "/api/v1//holds/{token}", id="doubled-slash"),
        pytest.param("/api/v1/holds", "/api/v1/holds", id="create-hold"),
        pytest.param("/api/v1/slots", "/api/v1/slots", id="no-token"),
    ],
)
def test_tokens_never_reach_the_access_log(path: str, logged: str) -> None:
    assert redact_path(path) == logged


def test_releasing_a_hold_leaves_its_token_out_of_the_access_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rendezvous.access"):
        client.delete(f"/api/v1/holds/{TOKEN}")
    assert TOKEN not in caplog.text
    assert "/api/v1/holds/{token}" in caplog.text


def _raise_with_a_manage_link() -> None:
    raise ValueError(f"not a URI: 'https://book.example/book?manage={TOKEN}'")


def test_an_unexpected_error_is_logged_without_the_tokens_in_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = f"/api/v1/appointments/{TOKEN}/calendar.ics"
    request = Request({"type": "http", "method": "GET", "path": path, "headers": []})
    try:
        _raise_with_a_manage_link()
    except ValueError as exc:
        with caplog.at_level(logging.ERROR, logger="rendezvous.errors"):
            response = asyncio.run(handle_unexpected(request, exc))
    assert response.status_code == 500
    assert TOKEN not in caplog.text
    assert "GET /api/v1/appointments/{token}/calendar.ics" in caplog.text
    assert "ValueError: not a URI: 'https://book.example/book?manage={token}'" in caplog.text
    assert "_raise_with_a_manage_link" in caplog.text  # the traceback is kept


def test_the_servers_own_log_of_an_escaped_error_is_redacted_too() -> None:
    exception_handlers()
    server_logger = logging.getLogger("uvicorn.error")
    assert any(isinstance(f, RedactTokens) for f in server_logger.filters)
    try:
        _raise_with_a_manage_link()
    except ValueError:
        record = server_logger.makeRecord(
            "uvicorn.error", logging.ERROR, __file__, 0, "on %s", (TOKEN,), sys.exc_info()
        )
    assert RedactTokens().filter(record)
    text = logging.Formatter().format(record)
    assert TOKEN not in text
    assert "manage={token}" in text


def test_access_log_is_structured_and_leaves_the_query_out(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rendezvous.access"):
        client.get("/healthz?email=someone@example.com")
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "rendezvous.access"]
    assert records[-1]["path"] == "/healthz"
    assert records[-1]["status"] == 200
    assert "someone@example.com" not in caplog.text
