"""What the routes share: reading query strings, writing JSON, and ETags.

A route reads as decode → one service call → encode; these are the decode and encode
halves that more than one route needs.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from server import errors, schemas
from server.booking import bots
from server.booking.catalog import Listing
from server.runtime import runtime_of

_Q = TypeVar("_Q", bound=schemas.Query)
_ENCODER: Final = msgspec.json.Encoder()

NO_STORE: Final = {"Cache-Control": "no-store"}
CATALOG_HEADERS: Final = {"Cache-Control": "no-cache", "Vary": "Origin, Accept-Language"}


def decode_query(request: Request, type_: type[_Q]) -> _Q:
    """The query string as `type_`; VALIDATION_FAILED with `$.query.<name>` paths.

    A parameter of `type_` given more than once is BAD_REQUEST (which one was meant?);
    unknown parameters are ignored, repeated or not (cache busters). A query string has
    no null: a value that converts to None (msgspec reads `meeting_type=null` as None
    where the type allows it) is refused as the value it is, never taken as absent.
    """
    params = request.query_params
    for name in type_.__struct_encode_fields__:
        values = params.getlist(name)
        if len(values) > 1:
            raise errors.BadRequest.at(
                f"$.query.{name}",
                f"The query parameter {name} is given {len(values)} times; give it once.",
            )
    try:
        query = msgspec.convert(dict(params), type_, strict=False)
    except msgspec.ValidationError as exc:
        raise errors.from_msgspec(exc, query=True) from None
    for field, name in zip(type_.__struct_fields__, type_.__struct_encode_fields__, strict=True):
        if name in params and getattr(query, field) is None:
            value = params[name]
            refused = msgspec.ValidationError(f"Invalid enum value {value!r} - at `$.{name}`")
            raise errors.from_msgspec(refused, query=True)
    return query


def client_of(request: Request) -> str | None:
    """Who sends the request, as the services know clients: the keyed hash of the address
    the rate limiter sees (`bots.client_of`; docs/bots.md)."""
    address = request.client.host if request.client else None
    return bots.client_of(runtime_of(request).tokens, address)


def json_response(body: bytes, status_code: int = 200) -> Response:
    """An answer that must not be cached (bookings, slots, manage links)."""
    return Response(body, status_code=status_code, media_type="application/json", headers=NO_STORE)


def encode(value: Any) -> bytes:
    return _ENCODER.encode(value)


def etag(version: str, key: tuple[Any, ...]) -> str:
    digest = hashlib.blake2b(repr((version, key)).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def etag_matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    candidates = {candidate.strip().removeprefix("W/") for candidate in header.split(",")}
    return tag in candidates or "*" in candidates


def listing_response(request: Request, listing: Listing) -> Response:
    """A catalog answer with a strong ETag of the organisation version and the normalised
    query, `Cache-Control: no-cache`; a matching `If-None-Match` gets a 304 without a
    body, and the answer is not even built ("never stale", SPEC 7)."""
    tag = etag(listing.version, listing.key)
    headers = {**CATALOG_HEADERS, "ETag": tag}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(encode(listing.build()), media_type="application/json", headers=headers)
