"""GET /api/v1/subjects, /meeting-types, /offices, /agents: what can be booked (SPEC 5).

`subjects`, `meeting-types` and `offices` also take `agent=` (an extension of SPEC 5):
only what that agent can serve, so an invite or a chosen agent leads only where they work.

Each answer carries a strong `ETag` derived from the organisation version and the
normalised query (the resolved language included), `Cache-Control: no-cache` and
`Vary: Origin, Accept-Language`; a matching `If-None-Match` gets a 304 without a body
("never stale", SPEC 7). Without `lang`, the language comes from `Accept-Language`,
else the organisation's first language.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import catalog as catalog_
from server import errors, schemas
from server.runtime import runtime_of

_Q = TypeVar("_Q", bound=schemas.Query)
_ENCODER = msgspec.json.Encoder()
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")
_KIND_WORDS = {"subject": "subject", "office": "office", "agent": "agent"}

CATALOG_HEADERS = {"Cache-Control": "no-cache", "Vary": "Origin, Accept-Language"}


def decode_query(request: Request, type_: type[_Q]) -> _Q:
    """The query string as `type_`; VALIDATION_FAILED with `$.query.<name>` paths."""
    try:
        return msgspec.convert(dict(request.query_params), type_, strict=False)
    except msgspec.ValidationError as exc:
        raise query_error(exc) from None


def query_error(exc: msgspec.ValidationError) -> errors.ValidationFailed:
    error = errors.from_msgspec(exc)
    detail = error.details[0]
    missing = _MISSING_FIELD.search(detail.message)
    if missing:
        path = f"$.query.{missing.group(1)}"
        message = f"The query parameter {missing.group(1)} is required."
    else:
        path = "$.query" + detail.path.removeprefix("$")
        message = detail.message
    return errors.ValidationFailed(message, [errors.Detail(path, message)])


def resolve(catalog: catalog_.Catalog, kind: str, value: str | None) -> str | None:
    """The id named by the `kind` query parameter; NOT_FOUND at `$.query.<kind>`."""
    if value is None:
        return None
    found = catalog.resolve(kind, value)
    if found is None:
        message = f'There is no {_KIND_WORDS[kind]} "{value}".'
        raise errors.NotFound(message, [errors.Detail(f"$.query.{kind}", message)])
    return found


def parse_near(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    lat_text, _, lon_text = value.partition(",")
    lat, lon = float(lat_text), float(lon_text)  # the pattern has made sure they parse
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise errors.ValidationFailed.at(
            "$.query.near", "Expected LAT,LON with -90 <= LAT <= 90 and -180 <= LON <= 180."
        )
    return (lat, lon)


def etag(version: str, key: tuple[Any, ...]) -> str:
    digest = hashlib.blake2b(repr((version, key)).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def etag_matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    candidates = {candidate.strip().removeprefix("W/") for candidate in header.split(",")}
    return tag in candidates or "*" in candidates


def cached(
    request: Request,
    catalog: catalog_.Catalog,
    key: tuple[Any, ...],
    build: Callable[[], schemas.Out],
) -> Response:
    tag = etag(catalog.version, key)
    headers = {**CATALOG_HEADERS, "ETag": tag}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(_ENCODER.encode(build()), media_type="application/json", headers=headers)


def _context(request: Request) -> catalog_.Catalog:
    return catalog_.catalog_for(runtime_of(request).organisation)


def _language(
    request: Request,
    catalog: catalog_.Catalog,
    requested: str | None,
    also: Collection[str] = (),
) -> str:
    return catalog.language(requested, request.headers.get("accept-language"), also)


async def list_subjects(request: Request) -> Response:
    query = decode_query(request, schemas.SubjectsQuery)
    catalog = _context(request)
    office = resolve(catalog, "office", query.office)
    agent = resolve(catalog, "agent", query.agent)
    lang = _language(request, catalog, query.lang)
    return cached(
        request,
        catalog,
        ("subjects", lang, office, query.meeting_type, agent),
        lambda: catalog_.subjects(
            catalog, lang, office=office, meeting_type=query.meeting_type, agent=agent
        ),
    )


async def list_meeting_types(request: Request) -> Response:
    query = decode_query(request, schemas.MeetingTypesQuery)
    catalog = _context(request)
    subject = resolve(catalog, "subject", query.subject)
    office = resolve(catalog, "office", query.office)
    agent = resolve(catalog, "agent", query.agent)
    # Meeting type names ship in more languages than an organisation may list.
    lang = _language(request, catalog, query.lang, catalog_.MEETING_TYPE_LANGUAGES)
    return cached(
        request,
        catalog,
        ("meeting-types", lang, subject, office, agent),
        lambda: catalog_.meeting_types(catalog, lang, subject=subject, office=office, agent=agent),
    )


async def list_offices(request: Request) -> Response:
    query = decode_query(request, schemas.OfficesQuery)
    catalog = _context(request)
    subject = resolve(catalog, "subject", query.subject)
    agent = resolve(catalog, "agent", query.agent)
    near = parse_near(query.near)
    lang = _language(request, catalog, query.lang)
    return cached(
        request,
        catalog,
        ("offices", lang, subject, query.meeting_type, near, agent),
        lambda: catalog_.offices(
            catalog, lang, subject=subject, meeting_type=query.meeting_type, near=near, agent=agent
        ),
    )


async def list_agents(request: Request) -> Response:
    query = decode_query(request, schemas.AgentsQuery)
    catalog = _context(request)
    subject = resolve(catalog, "subject", query.subject)
    office = resolve(catalog, "office", query.office)
    lang = _language(request, catalog, query.lang)
    return cached(
        request,
        catalog,
        ("agents", lang, subject, query.meeting_type, office),
        lambda: catalog_.agents(
            catalog, lang, subject=subject, meeting_type=query.meeting_type, office=office
        ),
    )


routes: list[BaseRoute] = [
    Route("/api/v1/subjects", list_subjects, methods=["GET"]),
    Route("/api/v1/meeting-types", list_meeting_types, methods=["GET"]),
    Route("/api/v1/offices", list_offices, methods=["GET"]),
    Route("/api/v1/agents", list_agents, methods=["GET"]),
]
