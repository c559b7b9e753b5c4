"""GET /api/v1/openapi.json: every /api/v1 route, and nothing that does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from server import errors, openapi

pytestmark = pytest.mark.organisation("minimal")

#: SPEC section 5: every one of these must be documented, mounted or not yet.
SPEC_OPERATIONS = {
    ("GET", "/api/v1/subjects"),
    ("GET", "/api/v1/meeting-types"),
    ("GET", "/api/v1/offices"),
    ("GET", "/api/v1/agents"),
    ("GET", "/api/v1/slots"),
    ("POST", "/api/v1/holds"),
    ("POST", "/api/v1/appointments"),
    ("GET", "/api/v1/appointments/{token}"),
    ("POST", "/api/v1/appointments/{token}/cancel"),
    ("POST", "/api/v1/appointments/{token}/reschedule"),
    ("GET", "/api/v1/appointments/{token}/calendar.ics"),
    ("GET", "/api/v1/invites/{token}"),
    ("GET", "/api/v1/openapi.json"),
}


def api_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route under /api/v1 that the app mounts."""
    for route in routes:
        if isinstance(route, Mount):
            yield from api_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and (prefix + route.path).startswith("/api/v1/"):
            for method in route.methods or ():
                if method != "HEAD":
                    yield method, prefix + route.path


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def test_it_is_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]


def test_every_mounted_api_route_is_documented(
    client: TestClient, document: dict[str, Any]
) -> None:
    mounted = set(api_routes(list(client.app.routes)))  # type: ignore[attr-defined]
    assert mounted, "no /api/v1 route is mounted"
    assert mounted <= documented(document)


def test_everything_documented_is_mounted_or_a_spec_route(
    client: TestClient, document: dict[str, Any]
) -> None:
    mounted = set(api_routes(list(client.app.routes)))  # type: ignore[attr-defined]
    assert documented(document) - mounted <= SPEC_OPERATIONS


def test_every_route_of_the_spec_is_documented(document: dict[str, Any]) -> None:
    assert documented(document) >= SPEC_OPERATIONS


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    found = set(refs(document))
    assert "#/components/schemas/ErrorEnvelope" in found
    for ref in found:
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas


def test_slots_parameters_carry_types_and_requiredness(document: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/slots"]["get"]["parameters"]}
    assert set(parameters) == {
        "from",
        "to",
        "subject",
        "meeting_type",
        "office",
        "agent",
        "invite",
        "tz",
    }
    assert parameters["from"]["required"] is True
    assert parameters["from"]["schema"]["format"] == "date"
    assert parameters["office"]["required"] is False
    assert set(parameters["meeting_type"]["schema"]["enum"]) == {
        "OFFICE",
        "VIDEO",
        "PHONE",
        "ON_LOCATION",
    }
    assert "pattern" in parameters["subject"]["schema"]


def test_bodies_answers_and_error_codes_are_described(document: dict[str, Any]) -> None:
    booking = document["paths"]["/api/v1/appointments"]["post"]
    schema = booking["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/AppointmentRequest"}
    assert "201" in booking["responses"]
    assert booking["responses"]["409"]["x-error-codes"] == [
        "APPOINTMENT_NO_AVAILABILITY",
        "HOLD_EXPIRED",
    ]
    assert "Idempotency-Key" in {p["name"] for p in booking["parameters"]}
    ics = document["paths"]["/api/v1/appointments/{token}/calendar.ics"]["get"]
    assert "text/calendar" in ics["responses"]["200"]["content"]
    token = ics["parameters"][0]
    assert (token["name"], token["in"], token["required"]) == ("token", "path", True)


def test_every_error_status_matches_the_error_hierarchy() -> None:
    statuses = {cls.code: cls.status_code for cls in errors.RendezvousError.__subclasses__()}
    for operation in openapi.OPERATIONS:
        for error in operation.errors:
            assert statuses[error.code] == error.status_code


def test_the_description_revalidates(client: TestClient) -> None:
    first = client.get("/api/v1/openapi.json")
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
