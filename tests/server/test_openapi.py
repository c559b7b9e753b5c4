"""GET /api/v1/openapi.json: every /api/v1 route, and nothing that does not exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from server import errors, openapi
from server.booking.requests import MAX_IDEMPOTENCY_KEY, check_idempotency_key

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


# -- the description and the server agree (issue 9, item 9) ---------------------------


def test_the_idempotency_key_is_described_as_the_server_checks_it(
    document: dict[str, Any],
) -> None:
    booking = document["paths"]["/api/v1/appointments"]["post"]
    (key,) = [p for p in booking["parameters"] if p["name"] == "Idempotency-Key"]
    schema = key["schema"]
    assert (schema["minLength"], schema["maxLength"]) == (1, MAX_IDEMPOTENCY_KEY)
    for length in (1, MAX_IDEMPOTENCY_KEY):
        assert check_idempotency_key("k" * length) == "k" * length
    for refused in ("", "k" * (MAX_IDEMPOTENCY_KEY + 1)):
        with pytest.raises(errors.ValidationFailed):
            check_idempotency_key(refused)
    # The pattern admits exactly the characters the server admits.
    for code in range(0x100):
        character = chr(code)
        described = re.fullmatch(schema["pattern"], character) is not None
        try:
            accepted = check_idempotency_key(character) is not None
        except errors.ValidationFailed:
            accepted = False
        assert described == accepted, f"U+{code:04X}"


def test_slots_says_when_subject_and_meeting_type_are_required(
    document: dict[str, Any], client: TestClient
) -> None:
    slots = document["paths"]["/api/v1/slots"]["get"]
    parameters = {p["name"]: p for p in slots["parameters"]}
    for name in ("subject", "meeting_type"):
        assert parameters[name]["required"] is False
        assert parameters[name]["description"].startswith("Required unless `invite` names it")
    assert "VALIDATION_FAILED" in slots["responses"]["422"]["x-error-codes"]
    response = client.get("/api/v1/slots", params={"from": "2026-12-01", "to": "2026-12-01"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "$.query.subject"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/subjects", {"meeting_type": "null"}),
        ("/api/v1/offices", {"subject": "tax", "meeting_type": "null"}),
        (
            "/api/v1/slots",
            {"from": "2026-12-01", "to": "2026-12-01", "subject": "tax", "meeting_type": "null"},
        ),
    ],
)
def test_null_is_not_an_absent_meeting_type(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert [detail["path"] for detail in error["details"]] == ["$.query.meeting_type"]
    assert "null" in error["message"]


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/subjects?lang=en&lang=nl",
        "/api/v1/slots?from=2026-12-01&to=2026-12-01&subject=tax&subject=tax&meeting_type=OFFICE",
        "/api/v1/meeting-types?subject=tax&office=main&office=other",
    ],
)
def test_a_repeated_query_parameter_is_a_bad_request(client: TestClient, query: str) -> None:
    response = client.get(query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST"
    (detail,) = error["details"]
    assert detail["path"].startswith("$.query.")
    assert "is given 2 times; give it once" in detail["message"]


def test_repeated_unknown_parameters_are_still_ignored(client: TestClient) -> None:
    assert client.get("/api/v1/subjects?_=1&_=2").status_code == 200


def test_every_route_with_a_query_describes_the_bad_request(document: dict[str, Any]) -> None:
    for operation in openapi.OPERATIONS:
        answers = document["paths"][operation.path][operation.method.lower()]["responses"]
        if operation.query is None:
            assert "400" not in answers
        else:
            assert answers["400"]["x-error-codes"] == ["BAD_REQUEST"]
