"""The OpenAPI 3.1 description of /api/v1 (SPEC 5), generated.

Schemas come from the Structs of `server.schemas` (and the error envelope of
`server.errors`) through `msgspec.json.schema_components`, so the description and
the code cannot drift. Paths come from `OPERATIONS`, one row per route: its query
parameters are the fields of a `schemas.Query` Struct, its body a request Struct,
its answers response Structs, and the error codes it can return. A test checks
that every /api/v1 route of the app is in this table and the other way round.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from server import errors, schemas
from server.booking.requests import MAX_IDEMPOTENCY_KEY

API_VERSION: Final = "1.0.0"
REF: Final = "#/components/schemas/{name}"

JSON: Final = "application/json"
CALENDAR: Final = "text/calendar"


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    description: str
    #: The schema of the value: exactly what the server accepts.
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    #: Answers by status: a response Struct, a media type without a schema, or None (no body).
    responses: Mapping[int, type | str | None]
    query: type[schemas.Query] | None = None
    body: type | None = None
    headers: tuple[Header, ...] = ()
    errors: tuple[type[errors.RendezvousError], ...] = ()
    description: str = ""
    #: Response headers worth naming (all statuses).
    response_headers: Mapping[str, str] = field(default_factory=dict)


_CATALOG_ERRORS = (errors.ValidationFailed, errors.NotFound)
_TOKEN_ERRORS = (errors.InvalidToken, errors.ExpiredToken)
_LISTING_ERRORS = (*_CATALOG_ERRORS, *_TOKEN_ERRORS)
_WRITE_ERRORS = (errors.OriginNotAllowed, errors.PayloadTooLarge, errors.RateLimited)
_CHALLENGE_ERRORS = (errors.ChallengeRequired, errors.ChallengeFailed)
_STATUS_TEXT = {204: "No content", 304: "Not modified"}
_IF_NONE_MATCH = Header("If-None-Match", "An ETag of an earlier answer: 304 if unchanged.")
_IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "Retries with the same key get the first answer again, never a second booking.",
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_IDEMPOTENCY_KEY,
        "pattern": "^[\\x20-\\x7e]+$",
        "description": f"1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters",
    },
)
_CATALOG_HEADERS = {
    "ETag": "Strong; changes with the organisation file and the query.",
    "Cache-Control": "no-cache",
}
_CATALOG_NOTE = (
    "Only what can really be booked now. Without `lang`, the language comes from "
    "Accept-Language, else the organisation's first language; an unknown language "
    "falls back. Ids may also be given as `ext:` followed by an external id. An empty "
    "answer of subjects, meeting-types or offices carries `reason`: why nothing is "
    "listed, as a reason code of SPEC 4 (or NO_SUBJECTS, NO_OFFICES)."
)
_AGENT_NOTE = (
    " With `agent`, only what that agent can serve: assigned there, with the expertise, "
    "active, planning online and with hours (an unknown agent is NOT_FOUND at "
    "`$.query.agent`)."
)
_INVITE_NOTE = (
    " With `invite`, only what the invite allows: its agent, and the subject, meeting type "
    "and office it names; the request's subject (the invite's, else the query's) counts "
    "even when hidden from customers, which is how an invite for a hidden subject is "
    "booked. A parameter that contradicts the invite is VALIDATION_FAILED at its path; a "
    "tampered invite is TOKEN_INVALID, an old one TOKEN_EXPIRED (at `$.query.invite`); a "
    "used single-use invite is refused only when booking (INVITE_USED). The invite's "
    "scope is part of the ETag."
)

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "GET",
        "/api/v1/subjects",
        "Categories with their bookable subjects",
        "catalog",
        {200: schemas.SubjectsResponse, 304: None},
        query=schemas.SubjectsQuery,
        headers=(_IF_NONE_MATCH,),
        errors=_LISTING_ERRORS,
        description=_CATALOG_NOTE + _AGENT_NOTE + _INVITE_NOTE,
        response_headers=_CATALOG_HEADERS,
    ),
    Operation(
        "GET",
        "/api/v1/meeting-types",
        "Bookable meeting types",
        "catalog",
        {200: schemas.MeetingTypesResponse, 304: None},
        query=schemas.MeetingTypesQuery,
        headers=(_IF_NONE_MATCH,),
        errors=_LISTING_ERRORS,
        description=_CATALOG_NOTE + _AGENT_NOTE + _INVITE_NOTE,
        response_headers=_CATALOG_HEADERS,
    ),
    Operation(
        "GET",
        "/api/v1/offices",
        "Active offices where the subject can be booked",
        "catalog",
        {200: schemas.OfficesResponse, 304: None},
        query=schemas.OfficesQuery,
        headers=(_IF_NONE_MATCH,),
        errors=_LISTING_ERRORS,
        description=_CATALOG_NOTE
        + _AGENT_NOTE
        + _INVITE_NOTE
        + " With `near`, offices come nearest first with `distance_km`; offices without"
        " geo last.",
        response_headers=_CATALOG_HEADERS,
    ),
    Operation(
        "GET",
        "/api/v1/agents",
        "Agents a customer may pick",
        "catalog",
        {200: schemas.AgentsResponse, 304: None},
        query=schemas.AgentsQuery,
        headers=(_IF_NONE_MATCH,),
        errors=_LISTING_ERRORS,
        description=_CATALOG_NOTE + _INVITE_NOTE + " Never e-mail addresses.",
        response_headers=_CATALOG_HEADERS,
    ),
    Operation(
        "GET",
        "/api/v1/organisation",
        "The organisation's name, languages, time zone and country",
        "catalog",
        {200: schemas.OrganisationResponse, 304: None},
        query=schemas.OrganisationQuery,
        headers=(_IF_NONE_MATCH,),
        errors=(errors.ValidationFailed,),
        description=(
            "An extension of SPEC 5, for the widget: it speaks only the organisation's "
            "`languages` (falling back to the first) and defaults a customer's address to "
            "`country`, the country of most active offices (a tie: the office listed "
            "first; null without active offices). `name` is in `lang` (or "
            "Accept-Language), else the organisation's first language."
        ),
        response_headers=_CATALOG_HEADERS,
    ),
    Operation(
        "GET",
        "/api/v1/slots",
        "Free start times",
        "slots",
        {200: schemas.SlotsResponse},
        query=schemas.SlotsQuery,
        errors=(*_CATALOG_ERRORS, *_TOKEN_ERRORS),
        description=(
            "The slots whose start falls on a date from `from` to `to` (both included, "
            "at most 62 days) in `tz` (default: the office's zone, else the "
            "organisation's), sorted, unique, with the offset of `tz`. Each start is "
            "listed once, with its `duration` in minutes: where offices' rules give one "
            "start different durations, the shortest. `office` is "
            "required for OFFICE and ON_LOCATION. `invite` fixes the agent and whatever "
            "else the invite names. Cache-Control: no-store."
        ),
    ),
    Operation(
        "POST",
        "/api/v1/holds",
        "Hold a slot while the customer fills in the form",
        "booking",
        {201: schemas.HoldResponse},
        body=schemas.HoldRequest,
        description=(
            "With `duration` (the slot's, as GET /api/v1/slots showed it), only agents "
            "whose rule gives exactly that duration are considered; without it, those of "
            "the duration the slots answer offers for the start."
        ),
        errors=(
            errors.ValidationFailed,
            errors.NotFound,
            errors.NoAvailability,
            *_TOKEN_ERRORS,
            errors.InviteUsed,
            *_CHALLENGE_ERRORS,
            *_WRITE_ERRORS,
        ),
    ),
    Operation(
        "GET",
        "/api/v1/challenge",
        "A proof-of-work challenge (ALTCHA) for a hold or booking",
        "booking",
        {200: schemas.ChallengeResponse},
        description=(
            "Asked for only when a hold or booking answered CHALLENGE_REQUIRED (the "
            "organisation requires one, or this client placed many holds "
            "lately): find `number`, send the answer as `altcha` in the body of the "
            "retried request. Each answer works once, within 10 minutes. See docs/bots.md. "
            "Cache-Control: no-store."
        ),
    ),
    Operation(
        "DELETE",
        "/api/v1/holds/{token}",
        "Release a hold: its time is free again at once",
        "booking",
        {204: None},
        errors=(errors.InvalidToken, *_WRITE_ERRORS),
        description=(
            "An extension of SPEC 5, for a customer who goes back or picks another time. "
            "Idempotent: an unknown, released or expired hold (an expired token included) "
            "answers 204 too. A hold already used by a booking is kept, and the "
            "appointment stands (204, nothing changes). A tampered token is TOKEN_INVALID."
        ),
    ),
    Operation(
        "POST",
        "/api/v1/appointments",
        "Book an appointment",
        "booking",
        {201: schemas.AppointmentResponse},
        body=schemas.AppointmentRequest,
        headers=(_IDEMPOTENCY_KEY,),
        errors=(
            errors.ValidationFailed,
            errors.NotFound,
            errors.NoAvailability,
            errors.HoldExpired,
            *_TOKEN_ERRORS,
            errors.InviteUsed,
            *_CHALLENGE_ERRORS,
            *_WRITE_ERRORS,
        ),
        description=(
            "Atomic: the slot is checked again in the transaction that writes. With "
            "`duration`, only agents whose rule gives exactly that duration are "
            "considered; without it, the hold's duration, else the one the slots answer "
            "offers for the start."
        ),
    ),
    Operation(
        "GET",
        "/api/v1/appointments/{token}",
        "The appointment behind a manage token",
        "manage",
        {200: schemas.AppointmentResponse},
        errors=(errors.NotFound, *_TOKEN_ERRORS),
    ),
    Operation(
        "POST",
        "/api/v1/appointments/{token}/cancel",
        "Cancel; the time is free again at once",
        "manage",
        {200: schemas.AppointmentResponse},
        errors=(errors.NotFound, *_TOKEN_ERRORS, *_WRITE_ERRORS),
    ),
    Operation(
        "POST",
        "/api/v1/appointments/{token}/reschedule",
        "Move to a new time (sequence + 1)",
        "manage",
        {200: schemas.AppointmentResponse},
        body=schemas.RescheduleRequest,
        errors=(
            errors.ValidationFailed,
            errors.NotFound,
            errors.NoAvailability,
            errors.HoldExpired,
            *_TOKEN_ERRORS,
            *_WRITE_ERRORS,
        ),
    ),
    Operation(
        "GET",
        "/api/v1/appointments/{token}/slots",
        "Free start times to move this appointment to",
        "manage",
        {200: schemas.SlotsResponse},
        query=schemas.AppointmentSlotsQuery,
        errors=(errors.ValidationFailed, errors.NotFound, errors.NoAvailability, *_TOKEN_ERRORS),
        description=(
            "An extension of SPEC 5: the times the reschedule route accepts, for the "
            "appointment's subject and meeting type, at its office for OFFICE and "
            "ON_LOCATION, with its agent if it was booked through an invite (a subject "
            "hidden from customers included). The appointment itself does not count as "
            "busy, so times that overlap it are offered; its own start is left out. "
            "`from`, `to` (at most 62 days) and `tz` (default: the appointment's zone) "
            "as for /api/v1/slots. A cancelled or declined appointment is "
            "VALIDATION_FAILED at `$`. Cache-Control: no-store."
        ),
    ),
    Operation(
        "GET",
        "/api/v1/appointments/{token}/calendar.ics",
        "Add-to-calendar file (RFC 5545)",
        "manage",
        {200: CALENDAR},
        errors=(errors.NotFound, *_TOKEN_ERRORS),
    ),
    Operation(
        "GET",
        "/api/v1/invites/{token}",
        "What an invite pre-selects",
        "invites",
        {200: schemas.InviteResponse},
        errors=(errors.NotFound, *_TOKEN_ERRORS, errors.InviteUsed),
    ),
    Operation(
        "GET",
        "/api/v1/openapi.json",
        "This description",
        "meta",
        {200: JSON},
    ),
)


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "maxLength": 2048},
            "description": "A signed token: from a link, or the `hold` of POST /api/v1/holds",
        }
        for name in names
    ]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    schema = {key: value for key, value in schema.items() if key != "default"}
    options = schema.get("anyOf")
    if options is not None:
        rest = [option for option in options if option != {"type": "null"}]
        if len(rest) == 1:
            schema.pop("anyOf")
            schema.update(rest[0])
    return schema


def _query_parameters(query: type[schemas.Query]) -> list[dict[str, Any]]:
    _, components = msgspec.json.schema_components([query], ref_template=REF)
    struct = components[query.__name__]
    required = set(struct.get("required", ()))
    parameters = []
    for name, prop in struct["properties"].items():
        schema = _without_null(prop)
        parameter = {"name": name, "in": "query", "required": name in required}
        if "description" in schema:
            parameter["description"] = schema["description"]
        parameters.append({**parameter, "schema": schema})
    return parameters


def _error_responses(operation: Operation) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    # A query parameter given twice is BAD_REQUEST on every route that reads a query.
    query_errors = (errors.BadRequest,) if operation.query is not None else ()
    for error in (*query_errors, *operation.errors):
        by_status.setdefault(error.status_code, []).append(error.code)
    answers: dict[str, Any] = {}
    for status, codes in sorted(by_status.items()):
        answers[str(status)] = {
            "description": " or ".join(codes),
            "content": {JSON: {"schema": {"$ref": REF.format(name="ErrorEnvelope")}}},
            "x-error-codes": codes,
        }
    return answers


def _operation(operation: Operation) -> dict[str, Any]:
    parameters = _path_parameters(operation.path)
    if operation.query is not None:
        parameters += _query_parameters(operation.query)
    parameters += [
        {
            "name": header.name,
            "in": "header",
            "required": False,
            "description": header.description,
            "schema": dict(header.schema),
        }
        for header in operation.headers
    ]
    responses: dict[str, Any] = {}
    for status, answer in operation.responses.items():
        described: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "OK")}
        if isinstance(answer, str):
            described["content"] = {answer: {"schema": {"type": "string"}}}
        elif answer is not None:
            described["content"] = {JSON: {"schema": {"$ref": REF.format(name=answer.__name__)}}}
        if operation.response_headers and status < 300:
            described["headers"] = {
                name: {"description": text, "schema": {"type": "string"}}
                for name, text in operation.response_headers.items()
            }
        responses[str(status)] = described
    responses.update(_error_responses(operation))
    document: dict[str, Any] = {
        "operationId": _operation_id(operation),
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if operation.description:
        document["description"] = operation.description
    if operation.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": {"$ref": REF.format(name=operation.body.__name__)}}},
        }
    return document


def _operation_id(operation: Operation) -> str:
    words = [
        part.replace("-", "_").replace(".", "_")
        for part in operation.path.removeprefix("/api/v1/").split("/")
        if not part.startswith("{")
    ]
    return operation.method.lower() + "_" + "_".join(words)


def _structs() -> list[type]:
    found: list[type] = [errors.ErrorEnvelope]
    for operation in OPERATIONS:
        if operation.body is not None:
            found.append(operation.body)
        found += [answer for answer in operation.responses.values() if isinstance(answer, type)]
    return list(dict.fromkeys(found))


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document, built once per process."""
    _, components = msgspec.json.schema_components(_structs(), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rendezvous booking API",
            "version": API_VERSION,
            "description": (
                "Appointment booking for organisations that meet customers through agents "
                "in offices. Times are ISO 8601 with offset. Every error has one shape: "
                '{"error": {"code", "message", "details": [{"path", "message"}]}}.'
            ),
        },
        "paths": paths,
        "components": {"schemas": components},
    }


@functools.cache
def document_bytes() -> bytes:
    return msgspec.json.encode(document())
