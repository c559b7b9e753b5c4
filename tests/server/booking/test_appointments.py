"""POST /api/v1/appointments: validation, status, idempotency, and what is written."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from starlette.testclient import TestClient

from server.errors import ValidationFailed
from server.schemas import decode_body
from tests.server._booking import (
    appointment_body,
    book,
    count_rows,
    error,
    iso,
    manage_token,
    offered,
    runtime,
)
from tests.support import Clock

pytestmark = [pytest.mark.organisation("appointments"), pytest.mark.both_backends]

BRUSSELS = ZoneInfo("Europe/Brussels")
#: The answers a mortgage's required questions need.
LOAN = {"amount": 250000, "property": "buy"}


def first(
    client: TestClient, subject: str, meeting_type: str, office: str | None = None
) -> datetime:
    starts = offered(client, subject, meeting_type, office)
    assert starts, f"nothing offered for {subject} {meeting_type} {office}"
    return starts[0]


@pytest.mark.parametrize(
    ("subject", "meeting_type", "office", "extra"),
    [
        pytest.param("insurance", "OFFICE", "brussels", {}, id="office"),
        pytest.param("insurance", "VIDEO", "brussels", {}, id="video"),
        pytest.param("insurance", "PHONE", None, {}, id="phone-without-office"),
        pytest.param(
            "insurance",
            "ON_LOCATION",
            "brussels",
            {
                "location": {
                    "street": "Avenue Louise 200",
                    "postal_code": "1050",
                    "city": "Ixelles",
                    "country": "BE",
                }
            },
            id="on-location",
        ),
    ],
)
def test_a_booking_of_each_meeting_type_is_confirmed_and_shown_back(
    client: TestClient, subject: str, meeting_type: str, office: str | None, extra: dict[str, Any]
) -> None:
    start = first(client, subject, meeting_type, office)
    response = book(client, appointment_body(subject, meeting_type, start, office, **extra))

    assert response.status_code == 201, response.text
    appointment = response.json()["appointment"]
    assert appointment["status"] == "confirmed"
    assert appointment["sequence"] == 0
    assert appointment["meeting_type"] == meeting_type
    assert appointment["subject"]["id"] == subject
    assert datetime.fromisoformat(appointment["start"]) == start
    assert appointment["timezone"] == "Europe/Brussels"
    assert appointment["customer"]["email"] == "ann@example.com"
    assert appointment["location"] == extra.get("location")
    if office is not None:
        assert appointment["office"]["id"] == office
    if meeting_type == "VIDEO":
        assert appointment["video_url"] == f"https://meet.bank.example/r/{appointment['id']}"
    else:
        assert appointment["video_url"] is None
    assert count_rows(client) == 1


def test_the_links_point_at_the_manage_page_the_ics_file_and_the_web_calendars(
    client: TestClient,
) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    response = book(client, appointment_body("account", "OFFICE", start, "brussels"))

    links = response.json()["links"]
    token = manage_token(response)
    assert links["manage"] == f"http://127.0.0.1:8000/book?manage={token}"
    assert links["ics"] == f"http://127.0.0.1:8000/api/v1/appointments/{token}/calendar.ics"
    assert links["google"].startswith("https://calendar.google.com/calendar/render?")
    utc = start.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    assert f"dates={utc}/" in links["google"]
    assert links["outlook"].startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    assert response.headers["cache-control"] == "no-store"


def test_times_are_shown_in_the_customers_time_zone(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    body = appointment_body("account", "OFFICE", start, "brussels")
    body["customer"]["timezone"] = "America/New_York"

    appointment = book(client, body).json()["appointment"]

    assert appointment["timezone"] == "America/New_York"
    assert appointment["start"] == start.astimezone(ZoneInfo("America/New_York")).isoformat()
    assert appointment["start"].endswith("-05:00")


def test_without_a_customer_time_zone_times_are_in_the_offices(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "london")
    body = appointment_body("account", "OFFICE", start, "london")
    del body["customer"]["timezone"]

    appointment = book(client, body).json()["appointment"]

    assert appointment["timezone"] == "Europe/London"
    assert appointment["start"].endswith("+00:00")


def test_a_video_booking_of_a_rule_without_auto_accept_is_a_request(client: TestClient) -> None:
    start = first(client, "mortgage", "VIDEO", "brussels")

    response = book(client, appointment_body("mortgage", "VIDEO", start, "brussels", answers=LOAN))

    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["status"] == "requested"


def test_a_booking_in_a_confirm_manually_block_is_a_request(client: TestClient) -> None:
    # Farid's Friday afternoon block is confirm_manually.
    friday_afternoon = [
        start
        for start in offered(client, "insurance", "VIDEO", "brussels", "farid")
        if start.astimezone(BRUSSELS).date().isoformat() == "2026-11-27"
        and start.astimezone(BRUSSELS).hour >= 13
    ]
    body = appointment_body("insurance", "VIDEO", friday_afternoon[0], "brussels", agent="farid")

    response = book(client, body)

    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["agent"]["id"] == "farid"
    assert response.json()["appointment"]["status"] == "requested"


def test_the_same_start_in_a_morning_block_is_confirmed(client: TestClient) -> None:
    friday_morning = [
        start
        for start in offered(client, "insurance", "VIDEO", "brussels", "farid")
        if start.astimezone(BRUSSELS).date().isoformat() == "2026-11-27"
        and start.astimezone(BRUSSELS).hour < 12
    ]
    body = appointment_body("insurance", "VIDEO", friday_morning[0], "brussels", agent="farid")

    assert book(client, body).json()["appointment"]["status"] == "confirmed"


def test_html_in_a_customers_name_stays_text(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    body = appointment_body("account", "OFFICE", start, "brussels")
    body["customer"]["first_name"] = "<script>alert(1)</script>"
    body["customer"]["last_name"] = "O'Brien & <b>Sons</b>"

    response = book(client, body)

    assert '"first_name":"<script>alert(1)</script>"' in response.text
    assert response.json()["appointment"]["customer"]["last_name"] == "O'Brien & <b>Sons</b>"


def test_numbers_in_answers_are_kept_as_given(client: TestClient) -> None:
    start = first(client, "mortgage", "OFFICE", "brussels")
    body = appointment_body("mortgage", "OFFICE", start, "brussels")
    body["answers"] = {"amount": 250000, "property": "renovate"}

    answers = book(client, body).json()["appointment"]["answers"]

    assert answers == {"amount": 250000, "property": "renovate"}


# -- bad input: one table of (what is wrong, status, code, path) --------------------------


def _change(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value


_DELETE = object()


INVALID = (422, "VALIDATION_FAILED")
MISSING = (404, "NOT_FOUND")
FORGED = (401, "TOKEN_INVALID")
AN_ADDRESS = {"street": "x", "postal_code": "1", "city": "y", "country": "BE"}


def _case(
    id: str,
    change: dict[str, Any],
    expected: tuple[int, str],
    path: str | None,
    subject: str = "mortgage",
    meeting_type: str = "OFFICE",
) -> Any:
    return pytest.param(subject, meeting_type, change, *expected, path, id=id)


BAD_INPUT = [
    _case("unknown-subject", {"subject": "boat"}, MISSING, "$.subject"),
    _case("unknown-office", {"office": "paris"}, MISSING, "$.office"),
    _case("unknown-agent", {"agent": "zoe"}, MISSING, "$.agent"),
    _case("meeting-type-not-offered", {"meeting_type": "PHONE"}, INVALID, "$.meeting_type"),
    _case("no-such-meeting-type", {"meeting_type": "TELEPATHY"}, INVALID, "$.meeting_type"),
    _case("office-missing", {"office": _DELETE}, INVALID, "$.office"),
    _case("start-without-offset", {"start": "2026-11-25T10:00:00"}, INVALID, "$.start"),
    _case("start-not-a-time", {"start": "next tuesday"}, INVALID, "$.start"),
    # The far ends of `datetime`: converting them to UTC overflows (was a 500).
    _case("start-in-year-1", {"start": "0001-01-01T00:00:00+01:00"}, INVALID, "$.start"),
    _case("start-in-year-9999", {"start": "9999-12-31T23:59:59-23:59"}, INVALID, "$.start"),
    _case("start-before-1970", {"start": "1969-12-31T10:00:00+01:00"}, INVALID, "$.start"),
    _case("start-after-2200", {"start": "2201-01-01T10:00:00+01:00"}, INVALID, "$.start"),
    _case("bad-email", {"customer.email": "ann@"}, INVALID, "$.customer.email"),
    _case("first-name-missing", {"customer.first_name": _DELETE}, INVALID, "$.customer"),
    _case(
        "unknown-time-zone", {"customer.timezone": "Mars/Olympus"}, INVALID, "$.customer.timezone"
    ),
    _case("bad-phone", {"customer.phone": "call me"}, INVALID, "$.customer.phone"),
    _case(
        "phone-missing-for-phone",
        {"customer.phone": _DELETE},
        INVALID,
        "$.customer.phone",
        subject="insurance",
        meeting_type="PHONE",
    ),
    _case(
        "location-missing",
        {},
        INVALID,
        "$.location",
        subject="insurance",
        meeting_type="ON_LOCATION",
    ),
    _case("location-not-for-office", {"location": AN_ADDRESS}, INVALID, "$.location"),
    _case("unknown-field", {"hobby": "chess"}, INVALID, "$"),
    _case("unknown-question", {"answers.colour": "blue"}, INVALID, "$.answers.colour"),
    _case("required-answer-missing", {"answers.amount": _DELETE}, INVALID, "$.answers.amount"),
    _case("number-below-min", {"answers.amount": 5}, INVALID, "$.answers.amount"),
    _case("number-above-max", {"answers.amount": 9e9}, INVALID, "$.answers.amount"),
    _case("number-as-text", {"answers.amount": "lots"}, INVALID, "$.answers.amount"),
    _case("select-not-an-option", {"answers.property": "steal"}, INVALID, "$.answers.property"),
    _case("multi-select-twice", {"answers.goals": ["home", "home"]}, INVALID, "$.answers.goals"),
    _case(
        "multi-select-not-an-option",
        {"answers.goals": ["home", "yacht"]},
        INVALID,
        "$.answers.goals",
    ),
    _case("multi-select-not-a-list", {"answers.goals": "home"}, INVALID, "$.answers.goals"),
    _case("text-too-long", {"answers.notes": "x" * 121}, INVALID, "$.answers.notes"),
    _case("forged-hold", {"hold": "forged"}, FORGED, None),
    _case("metadata-nested", {"metadata": {"campaign": {"id": 7}}}, INVALID, "$.metadata[...]"),
    _case("metadata-list", {"metadata": {"tags": ["a"]}}, INVALID, "$.metadata[...]"),
    _case("metadata-text-too-long", {"metadata": {"note": "x" * 501}}, INVALID, "$.metadata[...]"),
    # msgspec names a bad key "`key` in `$.metadata`": its path is left to server.errors.
    _case("metadata-key-too-long", {"metadata": {"k" * 65: 1}}, INVALID, None),
    _case(
        "metadata-too-many-keys",
        {"metadata": {f"k{i}": i for i in range(51)}},
        INVALID,
        "$.metadata",
    ),
    _case("forged-invite", {"invite": "forged"}, FORGED, None),
]


@pytest.mark.parametrize(("subject", "meeting_type", "change", "status", "code", "path"), BAD_INPUT)
def test_bad_input_is_refused_with_its_path_and_writes_nothing(
    client: TestClient,
    subject: str,
    meeting_type: str,
    change: dict[str, Any],
    status: int,
    code: str,
    path: str | None,
) -> None:
    start = datetime(2026, 12, 2, 14, 0, tzinfo=BRUSSELS)  # a Wednesday afternoon
    office = "brussels"
    answers = dict(LOAN) if subject == "mortgage" else {}
    body = appointment_body(subject, meeting_type, start, office, answers=answers)
    for key, value in change.items():
        _change(body, key, value)

    response = book(client, body)

    assert error(response)[:2] == (status, code), response.text
    if path is not None:
        assert path in error(response)[2]
    assert count_rows(client) == 0


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/appointments", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert error(response)[:2] == (422, "VALIDATION_FAILED")


def test_a_start_that_is_not_offered_is_no_availability(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    off_grid = start + timedelta(minutes=3)

    response = book(client, appointment_body("account", "OFFICE", off_grid, "brussels"))

    assert error(response) == (409, "APPOINTMENT_NO_AVAILABILITY", [])
    assert count_rows(client) == 0


def test_a_subject_hidden_from_customers_cannot_be_booked_without_an_invite(
    client: TestClient,
) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS)
    body = appointment_body("estate-planning", "OFFICE", start, "brussels")
    assert error(book(client, body))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")


def test_a_taken_start_is_no_longer_available(client: TestClient) -> None:
    start = first(client, "insurance", "OFFICE", "brussels")  # Farid alone
    body = appointment_body("insurance", "OFFICE", start, "brussels")
    assert book(client, body).status_code == 201

    assert error(book(client, body))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")
    assert start not in offered(client, "insurance", "OFFICE", "brussels")
    assert count_rows(client) == 1


def test_free_agents_share_a_start_until_none_is_left(client: TestClient) -> None:
    # Alice and Emma both open accounts in Brussels on Wednesdays.
    start = datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS)
    body = appointment_body("account", "OFFICE", start, "brussels")

    agents = {book(client, body).json()["appointment"]["agent"]["id"] for _ in range(2)}

    assert agents == {"alice", "emma"}
    assert error(book(client, body))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")


def test_a_named_agent_gets_the_booking(client: TestClient) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS)
    body = appointment_body("account", "OFFICE", start, "brussels", agent="emma")

    assert book(client, body).json()["appointment"]["agent"]["id"] == "emma"
    assert error(book(client, body))[:2] == (409, "APPOINTMENT_NO_AVAILABILITY")


# -- Idempotency-Key ----------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(
    client: TestClient,
) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    body = appointment_body("account", "OFFICE", start, "brussels")
    headers = {"Idempotency-Key": "order-7f3a"}

    first_answer = book(client, body, headers=headers)
    retry = book(client, body, headers=headers)

    assert first_answer.status_code == retry.status_code == 201
    assert retry.content == first_answer.content
    assert count_rows(client) == 1


def test_an_idempotency_key_reused_for_another_body_is_refused(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    body = appointment_body("account", "OFFICE", start, "brussels")
    headers = {"Idempotency-Key": "order-7f3a"}
    assert book(client, body, headers=headers).status_code == 201

    body["customer"]["first_name"] = "Bea"
    response = book(client, body, headers=headers)

    assert error(response) == (422, "VALIDATION_FAILED", ["$.headers.Idempotency-Key"])
    assert count_rows(client) == 1


def test_an_absurd_idempotency_key_is_refused(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    body = appointment_body("account", "OFFICE", start, "brussels")

    response = book(client, body, headers={"Idempotency-Key": "k" * 300})

    assert error(response) == (422, "VALIDATION_FAILED", ["$.headers.Idempotency-Key"])


def test_without_a_key_the_same_body_books_again_if_there_is_room(client: TestClient) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS)
    body = appointment_body("account", "OFFICE", start, "brussels")

    assert [book(client, body).status_code for _ in range(2)] == [201, 201]
    assert count_rows(client) == 2


def test_start_is_read_with_its_offset(client: TestClient) -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS)
    body = appointment_body("account", "OFFICE", start, "brussels")
    body["start"] = iso(start.astimezone(ZoneInfo("UTC"))).replace("+00:00", "Z")

    appointment = book(client, body).json()["appointment"]

    assert appointment["start"] == "2026-11-25T09:00:00+01:00"


def test_the_same_request_formatted_differently_is_the_same_request(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    body = appointment_body("account", "OFFICE", start, "brussels")
    headers = {"Idempotency-Key": "order-7f3a", "Content-Type": "application/json"}
    first_answer = client.post("/api/v1/appointments", content=json.dumps(body), headers=headers)

    reordered = dict(reversed(body.items()))
    retry = client.post(
        "/api/v1/appointments", content=json.dumps(reordered, indent=2), headers=headers
    )

    assert first_answer.status_code == retry.status_code == 201, retry.text
    assert retry.content == first_answer.content
    assert count_rows(client) == 1


def test_an_idempotency_key_older_than_a_day_is_forgotten(client: TestClient, clock: Clock) -> None:
    start = datetime(2026, 12, 2, 9, 0, tzinfo=BRUSSELS)  # a Wednesday, a week ahead
    body = appointment_body("account", "OFFICE", start, "brussels")
    headers = {"Idempotency-Key": "order-7f3a"}
    assert book(client, body, headers=headers).status_code == 201

    clock.advance(hours=24, minutes=1)
    body["customer"]["first_name"] = "Bea"  # another request under the same key
    response = book(client, body, headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["appointment"]["customer"]["first_name"] == "Bea"
    assert count_rows(client) == 2


def test_metadata_is_a_flat_table_of_scalars_kept_as_given(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    metadata = {"campaign": "winter", "visits": 3, "score": 0.5, "returning": True, "ref": None}
    body = appointment_body("account", "OFFICE", start, "brussels", metadata=metadata)

    response = book(client, body)

    assert response.status_code == 201, response.text
    id = response.json()["appointment"]["id"]
    row = client.portal.call(runtime(client).store.appointment, id)  # type: ignore[union-attr]
    assert row is not None and row.metadata == metadata


def test_deeply_nested_json_is_refused_not_a_crash(client: TestClient) -> None:
    start = first(client, "account", "OFFICE", "brussels")
    body = json.dumps(appointment_body("account", "OFFICE", start, "brussels"))
    deep = body[:-1] + ', "metadata": {"x": ' + "[" * 1000 + "]" * 1000 + "}}"

    response = client.post(
        "/api/v1/appointments", content=deep, headers={"Content-Type": "application/json"}
    )

    assert error(response)[:2] == (422, "VALIDATION_FAILED")
    assert count_rows(client) == 0


def test_a_body_nested_beyond_the_recursion_limit_is_validation_failed_at_the_root() -> None:
    # With the request types no body nests that deep; an untyped decoder shows the guard.
    with pytest.raises(ValidationFailed) as raised:
        decode_body(msgspec.json.Decoder(Any), b"[" * 100_000 + b"]" * 100_000)

    assert [detail.path for detail in raised.value.details] == ["$"]
