"""Untrusted input never gets a 5xx, and every error comes in the one shape (SPEC 9).

Hypothesis writes query strings, headers and JSON bodies against the real app.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from server import errors
from tests.server import _booking
from tests.support import NOW

#: The whole app on the demo organisation, which has something of everything: a hidden
#: subject, a closed office, an agent who is not active, offices in two time zones.
pytestmark = pytest.mark.organisation("demo")
CODES = {cls.code for cls in errors.RendezvousError.__subclasses__()} | {"INTERNAL_ERROR"}
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GET_PATHS = [
    "/api/v1/subjects",
    "/api/v1/meeting-types",
    "/api/v1/offices",
    "/api/v1/agents",
    "/api/v1/slots",
]
PARAMS = [
    "subject",
    "meeting_type",
    "office",
    "agent",
    "invite",
    "from",
    "to",
    "tz",
    "lang",
    "near",
]

plausible = st.sampled_from(
    [
        "mortgage",
        "savings",
        "estate-planning",
        "brussels",
        "ghent",
        "london",
        "ext:OFF-BXL",
        "ext:",
        "bob",
        "jan",
        "OFFICE",
        "VIDEO",
        "ON_LOCATION",
        "2026-11-25",
        "2026-12-31",
        "2027-03-28",
        "0001-01-01",
        "9999-12-31",
        "Europe/Brussels",
        "America/New_York",
        "UTC",
        "../../etc/passwd",
        "50.85,4.35",
        "-91,0",
        "nl",
        "fr-BE",
        "",
        "null",
        "%00",
    ]
)
anything = st.text(max_size=80)
values = st.one_of(plausible, anything, st.integers().map(str), st.floats().map(str))
queries = st.dictionaries(st.one_of(st.sampled_from(PARAMS), anything), values, max_size=8)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Accept-Language": st.one_of(st.just("nl;q=0.5, fr;q=abc, *"), anything),
        "If-None-Match": st.one_of(st.just("*"), anything),
        "Origin": st.one_of(st.just("http://127.0.0.1:8001"), st.just("null"), anything),
    },
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | plausible
    | anything,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
BODY_FIELDS = ["subject", "meeting_type", "office", "agent", "start", "hold", "invite",
               "customer", "location", "answers", "metadata"]  # fmt: skip
bodies = st.one_of(
    st.dictionaries(st.sampled_from(BODY_FIELDS), json_values, max_size=8),
    json_values,
)


def sendable(value: str) -> bool:
    """What an HTTP client can put in a header: printable ASCII."""
    return value.isascii() and value.isprintable()


def assert_no_crash(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        body: Any = response.json()
        assert set(body) == {"error"}
        error = body["error"]
        assert set(error) == {"code", "message", "details"}
        assert error["code"] in CODES
        assert isinstance(error["message"], str) and error["message"]
        for detail in error["details"]:
            assert set(detail) == {"path", "message"}
            assert detail["path"].startswith("$")


@FUZZ
@given(path=st.sampled_from(GET_PATHS), query=queries, extra=headers)
def test_query_strings_never_crash_the_catalog_or_slots(
    client: TestClient, path: str, query: dict[str, str], extra: dict[str, str]
) -> None:
    sent = {name: value for name, value in extra.items() if sendable(value)}
    assert_no_crash(client.get(path, params=query, headers=sent))


@FUZZ
@given(
    subject=plausible,
    meeting_type=plausible,
    office=plausible,
    first=st.dates(),
    days=st.integers(min_value=-3, max_value=70),
    tz=plausible,
)
def test_any_slots_query_answers_slots_or_one_error(
    client: TestClient,
    subject: str,
    meeting_type: str,
    office: str,
    first: Any,
    days: int,
    tz: str,
) -> None:
    last = first.fromordinal(min(max(first.toordinal() + days, 1), 3652059))
    query = {
        "subject": subject,
        "meeting_type": meeting_type,
        "office": office,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "tz": tz,
    }
    response = client.get("/api/v1/slots", params=query)
    assert_no_crash(response)
    if response.status_code == 200:
        starts = [datetime.fromisoformat(slot["start"]) for slot in response.json()["slots"]]
        assert starts == sorted(starts)


@FUZZ
@given(path=st.sampled_from(["/api/v1/holds", "/api/v1/appointments"]), body=bodies)
def test_json_bodies_never_crash_the_booking_routes(
    client: TestClient, path: str, body: Any
) -> None:
    assert_no_crash(client.post(path, json=body))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_bytes_that_are_not_json_get_validation_failed(client: TestClient, raw: bytes) -> None:
    response = client.post(
        "/api/v1/holds", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_no_crash(response)


# -- starts: any ISO 8601 time with an offset, the far ends of `datetime` included -------

offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
).map(lambda delta: timezone(timedelta(minutes=delta // timedelta(minutes=1))))
offset_times = st.one_of(
    st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=offsets),
    # The corners, where converting to UTC leaves the years `datetime` can hold.
    st.builds(
        lambda moment, offset: moment.replace(tzinfo=offset),
        st.sampled_from([datetime.min, datetime.max, datetime(1970, 1, 1), datetime(2200, 12, 31)]),
        offsets,
    ),
).map(datetime.isoformat)


@pytest.fixture
def manage(client: TestClient) -> str:
    """The manage token of one booked appointment (new account in Brussels, tomorrow)."""
    start = _booking.offered(client, "new-account", "OFFICE", "brussels")[0]
    response = _booking.book(
        client, _booking.appointment_body("new-account", "OFFICE", start, "brussels")
    )
    assert response.status_code == 201, response.text
    return _booking.manage_token(response)


@FUZZ
@given(start=offset_times, route=st.sampled_from(["holds", "appointments", "reschedule"]))
def test_any_start_with_an_offset_is_a_booking_or_one_error(
    client: TestClient, manage: str, start: str, route: str
) -> None:
    body = {**_booking.appointment_body("car-insurance", "VIDEO", NOW), "start": start}
    if route == "holds":
        body = {key: body[key] for key in ("subject", "meeting_type", "start")}
    if route == "reschedule":
        response = client.post(f"/api/v1/appointments/{manage}/reschedule", json={"start": start})
    else:
        response = client.post(f"/api/v1/{route}", json=body)
    assert_no_crash(response)


# -- depth: JSON nested far deeper than any request needs -------------------------------

PLACES = ["metadata", "answers", "customer", "location", "start", "root"]


def nested(depth: int, opener: str) -> str:
    closer = "]" if opener == "[" else "}"
    return (opener if opener == "[" else '{"a":') * depth + "1" + closer * depth


@FUZZ
@given(
    route=st.sampled_from(["holds", "appointments", "reschedule"]),
    place=st.sampled_from(PLACES),
    depth=st.one_of(st.integers(0, 50), st.integers(500, 5000)),
    opener=st.sampled_from(["[", "{"]),
)
def test_deeply_nested_bodies_never_crash_the_booking_routes(
    client: TestClient, manage: str, route: str, place: str, depth: int, opener: str
) -> None:
    deep = nested(depth, opener)
    if place == "root":
        raw = deep
    else:
        body = _booking.appointment_body("new-account", "OFFICE", NOW, "brussels")
        field = {"metadata": '{"campaign": %s}', "answers": '{"q": %s}'}.get(place, "%s")
        raw = json.dumps({**body, place: None}).replace(
            f'"{place}": null', f'"{place}": ' + field % deep
        )
    path = (
        f"/api/v1/appointments/{manage}/reschedule" if route == "reschedule" else f"/api/v1/{route}"
    )
    response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert_no_crash(response)
