"""GET /api/v1/subjects, /meeting-types, /offices, /agents: what can be booked (SPEC 5).

`subjects`, `meeting-types` and `offices` also take `agent=` (an extension of SPEC 5):
only what that agent can serve, so an invite or a chosen agent leads only where they work.

All four take `invite=TOKEN` (an extension of SPEC 5), checked as the slots route checks
it (`apply_invite`, shared with it): the answer is what the invite allows — its agent's
combinations, narrowed to the subject, meeting type and office it names — and the
subject of the request (the invite's, else the query's) counts even when it is hidden
from customers, as `invites.open_subject` has it for slots and bookings. Without an
invite a hidden subject never appears. A used single-use invite is not refused here (a
read would need the write connection); the booking refuses it with INVITE_USED.

Each answer carries a strong `ETag` derived from the organisation version and the
normalised query (the resolved language and the invite's scope included),
`Cache-Control: no-cache` and
`Vary: Origin, Accept-Language`; a matching `If-None-Match` gets a 304 without a body
("never stale", SPEC 7). Without `lang`, the language comes from `Accept-Language`,
else the organisation's first language.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from availability import model
from server import errors, schemas
from server.booking import catalog as catalog_
from server.booking import invites
from server.runtime import Runtime, runtime_of

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


@dataclasses.dataclass(slots=True)
class Wanted:
    """What a query asks for (resolved ids); an invite fixes some of it."""

    subject: str | None = None
    meeting_type: str | None = None
    office: str | None = None
    agent: str | None = None


#: An invite's scope in a cache key: (agent, subject, meeting type, office).
InviteScope = tuple[str, str | None, str | None, str | None]


def apply_invite(
    runtime: Runtime,
    catalog: catalog_.Catalog,
    token: str,
    wanted: Wanted,
    now: datetime,
) -> tuple[Wanted, InviteScope]:
    """What the invite fixes, checked against what the query asks, and its scope.

    TOKEN_INVALID (401) or TOKEN_EXPIRED (410) at `$.query.invite`; a parameter that
    contradicts the invite is VALIDATION_FAILED at `$.query.<name>`; an invite naming
    what the organisation no longer has is NOT_FOUND at `$.query.invite`. Whether a
    single-use invite was used is the booking's business (INVITE_USED).
    """
    try:
        invite = invites.verify(runtime.tokens, token, now)
    except errors.RendezvousError as exc:  # TOKEN_INVALID or TOKEN_EXPIRED
        exc.details = [errors.Detail("$.query.invite", exc.message)]
        raise
    if invite.meeting_type is not None and invite.meeting_type not in model.MEETING_TYPES:
        raise errors.InvalidToken(
            "This invitation link is not valid.",
            [errors.Detail("$.query.invite", "The invitation names an unknown meeting type.")],
        )
    fixed = dataclasses.replace(wanted)
    for name in ("subject", "meeting_type", "office", "agent"):
        value = getattr(invite, name)
        if value is None:
            continue
        asked = getattr(wanted, name)
        if asked is not None and asked != value:
            message = f'The invitation is for {name} "{value}", not "{asked}".'
            raise errors.ValidationFailed(message, [errors.Detail(f"$.query.{name}", message)])
        setattr(fixed, name, value)
    for name in ("subject", "office", "agent"):
        value = getattr(fixed, name)
        if value is not None and value not in getattr(catalog, name + "s"):
            message = f"The {name} of this invitation no longer exists."
            raise errors.NotFound(message, [errors.Detail("$.query.invite", message)])
    return fixed, (invite.agent, invite.subject, invite.meeting_type, invite.office)


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


def _scoped(
    request: Request, catalog: catalog_.Catalog, token: str | None, wanted: Wanted
) -> tuple[Wanted, str | None, InviteScope | None]:
    """The filters after the invite, the subject it opens, and its scope for the ETag.

    With an invite, the subject of the request (the invite's, else the query's) counts
    even when hidden from customers, as for slots and bookings; without one, nothing is
    opened."""
    if token is None:
        return wanted, None, None
    runtime = runtime_of(request)
    fixed, scope = apply_invite(runtime, catalog, token, wanted, runtime.now())
    return fixed, fixed.subject, scope


async def list_subjects(request: Request) -> Response:
    query = decode_query(request, schemas.SubjectsQuery)
    catalog = _context(request)
    asked = Wanted(
        meeting_type=query.meeting_type,
        office=resolve(catalog, "office", query.office),
        agent=resolve(catalog, "agent", query.agent),
    )
    w, opened, scope = _scoped(request, catalog, query.invite, asked)
    lang = _language(request, catalog, query.lang)
    return cached(
        request,
        catalog,
        ("subjects", lang, w.office, w.meeting_type, w.agent, w.subject, opened, scope),
        lambda: catalog_.subjects(
            catalog,
            lang,
            office=w.office,
            meeting_type=w.meeting_type,
            agent=w.agent,
            subject=w.subject,
            opened=opened,
        ),
    )


async def list_meeting_types(request: Request) -> Response:
    query = decode_query(request, schemas.MeetingTypesQuery)
    catalog = _context(request)
    asked = Wanted(
        subject=resolve(catalog, "subject", query.subject),
        office=resolve(catalog, "office", query.office),
        agent=resolve(catalog, "agent", query.agent),
    )
    w, opened, scope = _scoped(request, catalog, query.invite, asked)
    # Meeting type names ship in more languages than an organisation may list.
    lang = _language(request, catalog, query.lang, catalog_.MEETING_TYPE_LANGUAGES)
    return cached(
        request,
        catalog,
        ("meeting-types", lang, w.subject, w.office, w.agent, w.meeting_type, opened, scope),
        lambda: catalog_.meeting_types(
            catalog,
            lang,
            subject=w.subject,
            office=w.office,
            agent=w.agent,
            meeting_type=w.meeting_type,
            opened=opened,
        ),
    )


async def list_offices(request: Request) -> Response:
    query = decode_query(request, schemas.OfficesQuery)
    catalog = _context(request)
    asked = Wanted(
        subject=resolve(catalog, "subject", query.subject),
        meeting_type=query.meeting_type,
        agent=resolve(catalog, "agent", query.agent),
    )
    w, opened, scope = _scoped(request, catalog, query.invite, asked)
    near = parse_near(query.near)
    lang = _language(request, catalog, query.lang)
    return cached(
        request,
        catalog,
        ("offices", lang, w.subject, w.meeting_type, near, w.agent, w.office, opened, scope),
        lambda: catalog_.offices(
            catalog,
            lang,
            subject=w.subject,
            meeting_type=w.meeting_type,
            near=near,
            agent=w.agent,
            office=w.office,
            opened=opened,
        ),
    )


async def list_agents(request: Request) -> Response:
    query = decode_query(request, schemas.AgentsQuery)
    catalog = _context(request)
    asked = Wanted(
        subject=resolve(catalog, "subject", query.subject),
        meeting_type=query.meeting_type,
        office=resolve(catalog, "office", query.office),
    )
    w, opened, scope = _scoped(request, catalog, query.invite, asked)
    lang = _language(request, catalog, query.lang)
    return cached(
        request,
        catalog,
        ("agents", lang, w.subject, w.meeting_type, w.office, w.agent, opened, scope),
        lambda: catalog_.agents(
            catalog,
            lang,
            subject=w.subject,
            meeting_type=w.meeting_type,
            office=w.office,
            agent=w.agent,
            opened=opened,
        ),
    )


routes: list[BaseRoute] = [
    Route("/api/v1/subjects", list_subjects, methods=["GET"]),
    Route("/api/v1/meeting-types", list_meeting_types, methods=["GET"]),
    Route("/api/v1/offices", list_offices, methods=["GET"]),
    Route("/api/v1/agents", list_agents, methods=["GET"]),
]
