"""The application shell: health, the one error shape, the body cap, the access log."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

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


def test_releasing_a_hold_leaves_its_token_out_of_the_access_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rendezvous.access"):
        client.delete(f"/api/v1/holds/{TOKEN}")
    assert TOKEN not in caplog.text
    assert "/api/v1/holds/{token}" in caplog.text


def test_access_log_is_structured_and_leaves_the_query_out(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rendezvous.access"):
        client.get("/healthz?email=someone@example.com")
    records = [r for r in caplog.records if r.name == "rendezvous.access"]
    assert records[-1].path == "/healthz"  # type: ignore[attr-defined]
    assert records[-1].status == 200  # type: ignore[attr-defined]
    assert records[-1].method == "GET"  # type: ignore[attr-defined]
    assert "someone@example.com" not in caplog.text
