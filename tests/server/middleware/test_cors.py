"""CORS from the organisation file's allowed origins, applied without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support import edit_file

#: allowed_origins: http://127.0.0.1:8001 and https://www.bank.example.
pytestmark = pytest.mark.organisation("minimal")

ALLOWED = "http://127.0.0.1:8001"
PUBLIC = "http://127.0.0.1:8000"  # the public_url's origin
STRANGER = "https://evil.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def test_requests_without_origin_pass_untouched(client: TestClient) -> None:
    response = client.get("/api/v1/subjects")
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert client.post("/api/v1/holds", content=b"{}").status_code == 422  # reached the handler


@pytest.mark.parametrize("origin", [ALLOWED, PUBLIC, "https://www.bank.example"])
def test_an_allowed_origin_gets_cors_headers(client: TestClient, origin: str) -> None:
    response = client.get("/api/v1/subjects", headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-expose-headers"] == "ETag"
    vary = response.headers["vary"].split(", ")
    assert vary.count("Origin") == 1 and "Accept-Language" in vary  # not "Origin" twice
    assert "access-control-allow-credentials" not in response.headers


def test_cors_headers_also_go_on_errors_and_add_vary(client: TestClient) -> None:
    response = client.get("/api/v1/slots", headers={"Origin": ALLOWED})
    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["vary"] == "Origin"


def test_a_preflight_from_an_allowed_origin_is_answered_204(client: TestClient) -> None:
    response = client.options("/api/v1/appointments", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-methods"] == "GET, POST, DELETE, OPTIONS"
    assert (
        response.headers["access-control-allow-headers"]
        == "Content-Type, Idempotency-Key, If-None-Match"
    )
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("OPTIONS", "/api/v1/appointments", id="preflight"),
        pytest.param("POST", "/api/v1/appointments", id="post"),
        pytest.param("POST", "/api/v1/holds", id="post-holds"),
        pytest.param("PUT", "/api/v1/appointments", id="put"),
        pytest.param("PATCH", "/api/v1/holds", id="patch"),
        pytest.param("DELETE", "/api/v1/appointments/x", id="delete"),
    ],
)
def test_a_stranger_cannot_preflight_or_change_anything(
    client: TestClient, method: str, path: str
) -> None:
    headers = {"Origin": STRANGER, **(PREFLIGHT if method == "OPTIONS" else {})}
    response = client.request(method, path, headers=headers, content=b"{}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ORIGIN_NOT_ALLOWED"
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", [STRANGER, "null", "http://127.0.0.1:8002"])
def test_a_stranger_gets_answers_without_cors_headers(client: TestClient, origin: str) -> None:
    response = client.get("/api/v1/subjects", headers={"Origin": origin})
    assert response.status_code == 200  # the browser hides it from the page
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/healthz", "/embed.js", "/book"])
def test_public_routes_outside_the_api_are_not_enforced(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Origin": STRANGER})
    assert response.status_code == 200


def test_an_edited_allowed_origins_list_applies_without_restart(
    client: TestClient, config_path: Path
) -> None:
    newcomer = "https://partner.example"
    before = client.options("/api/v1/holds", headers={"Origin": newcomer, **PREFLIGHT})
    assert before.status_code == 403
    edit_file(config_path, '  "https://www.bank.example",\n', f'  "{newcomer}",\n')
    assert client.app.state.runtime.organisation_file.refresh()  # type: ignore[attr-defined]
    after = client.options("/api/v1/holds", headers={"Origin": newcomer, **PREFLIGHT})
    assert after.status_code == 204
    gone = client.post("/api/v1/holds", headers={"Origin": "https://www.bank.example"})
    assert gone.status_code == 403


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://www.bank.example:443.evil.example", id="port-then-host"),
        pytest.param("https://www.bank.example.evil.example", id="suffix"),
        pytest.param("https://www.bank.example/", id="trailing-slash"),
        pytest.param("https://user@www.bank.example", id="userinfo"),
        pytest.param("null", id="null"),
    ],
)
def test_an_origin_that_only_resembles_an_allowed_one_is_refused(
    client: TestClient, origin: str
) -> None:
    preflight = client.options("/api/v1/holds", headers={"Origin": origin, **PREFLIGHT})
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    post = client.post("/api/v1/holds", headers={"Origin": origin}, json={})
    assert post.status_code == 403
    assert post.json()["error"]["code"] == "ORIGIN_NOT_ALLOWED"
