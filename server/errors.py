"""Errors the API answers with, and the one JSON shape they take (SPEC 5).

    RendezvousError
    ├── BadRequest              400 BAD_REQUEST
    ├── ValidationFailed        422 VALIDATION_FAILED
    ├── NotFound                404 NOT_FOUND
    ├── MethodNotAllowed        405 METHOD_NOT_ALLOWED
    ├── NoAvailability          409 APPOINTMENT_NO_AVAILABILITY
    ├── HoldExpired             409 HOLD_EXPIRED
    ├── InvalidToken            401 TOKEN_INVALID
    ├── ExpiredToken            410 TOKEN_EXPIRED
    ├── InviteUsed              410 INVITE_USED
    ├── OriginNotAllowed        403 ORIGIN_NOT_ALLOWED
    ├── PayloadTooLarge         413 PAYLOAD_TOO_LARGE
    ├── RateLimited             429 RATE_LIMITED
    ├── ChallengeRequired       428 CHALLENGE_REQUIRED   (docs/bots.md)
    └── ChallengeFailed         403 CHALLENGE_FAILED

Anything else that escapes a handler is a bug: it is logged and answered with 500
INTERNAL_ERROR in the same shape, never a stack trace.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any, ClassVar

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

logger = logging.getLogger("rendezvous.errors")

# Tokens (manage links, holds, invites) are credentials: they never reach a log. A
# token is the path segment after one of these resources, a query value such as
# `?manage=`, or anything shaped like one of our signed tokens (itsdangerous: a JSON
# payload "eyJ..." or a compressed one ".eJ...", a dot, a 27-character signature).
_TOKEN_PATTERNS = (
    (re.compile(r"(/api/+v1/+(?:appointments|invites|holds)/+)[^/?#\s'\"]+", re.I), r"\1{token}"),
    (re.compile(r"([?&](?:manage|invite|hold|token)=)[^&#\s'\"]+", re.I), r"\1{token}"),
    (re.compile(r"(?<![\w.-])(?:eyJ|\.eJ)[\w-]*\.[\w-]{27}(?![\w-])"), "{token}"),
    # The desk (SPEC 11): a sign-in link's token, a calendar feed's secret.
    (re.compile(r"(/desk/+(?:sign-in|feed)/+)[^/?#\s'\"]+", re.I), r"\1{token}"),
)


def redact(text: str) -> str:
    """`text` with every token in it replaced by `{token}`."""
    for pattern, replacement in _TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_path(path: str) -> str:
    """A request path fit for a log: `/api/v1/holds/{token}`."""
    return redact(path)


def _traceback(exc: BaseException) -> str:
    return redact("".join(traceback.format_exception(exc)).rstrip("\n"))


class RedactTokens(logging.Filter):
    """Redacts the tokens in a record's message and traceback.

    Installed on uvicorn's logger: Starlette re-raises what `handle_unexpected` has
    answered, and uvicorn logs it again, exception message and all.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = _traceback(record.exc_info[1])
        return True


class Detail(msgspec.Struct, frozen=True):
    path: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True):
    code: str
    message: str
    details: list[Detail] = []


class ErrorEnvelope(msgspec.Struct, frozen=True):
    error: ErrorBody


class RendezvousError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"
    default_message: ClassVar[str] = "Something went wrong on our side."

    def __init__(self, message: str | None = None, details: list[Detail] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details or []
        super().__init__(self.message)

    def body(self) -> ErrorEnvelope:
        return ErrorEnvelope(ErrorBody(self.code, self.message, self.details))


class BadRequest(RendezvousError):
    """A request that cannot be read one way only: a query parameter given twice."""

    status_code = 400
    code = "BAD_REQUEST"
    default_message = "The request cannot be read."

    @classmethod
    def at(cls, path: str, message: str) -> BadRequest:
        return cls(message, [Detail(path, message)])


class ValidationFailed(RendezvousError):
    status_code = 422
    code = "VALIDATION_FAILED"
    default_message = "The request is not valid."

    @classmethod
    def at(cls, path: str, message: str) -> ValidationFailed:
        return cls(message, [Detail(path, message)])


class NotFound(RendezvousError):
    status_code = 404
    code = "NOT_FOUND"
    default_message = "Not found."


class MethodNotAllowed(RendezvousError):
    status_code = 405
    code = "METHOD_NOT_ALLOWED"
    default_message = "This method is not allowed here."


class NoAvailability(RendezvousError):
    status_code = 409
    code = "APPOINTMENT_NO_AVAILABILITY"
    default_message = "This time is no longer available. Please choose another one."


class HoldExpired(RendezvousError):
    status_code = 409
    code = "HOLD_EXPIRED"
    default_message = "The reservation of this time has expired. Please choose a time again."


class InvalidToken(RendezvousError):
    status_code = 401
    code = "TOKEN_INVALID"
    default_message = "This link is not valid."


class ExpiredToken(RendezvousError):
    status_code = 410
    code = "TOKEN_EXPIRED"
    default_message = "This link has expired."


class InviteUsed(RendezvousError):
    status_code = 410
    code = "INVITE_USED"
    default_message = "This invitation has already been used."


class OriginNotAllowed(RendezvousError):
    status_code = 403
    code = "ORIGIN_NOT_ALLOWED"
    default_message = "This website is not allowed to make bookings here."


class PayloadTooLarge(RendezvousError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


class RateLimited(RendezvousError):
    status_code = 429
    code = "RATE_LIMITED"
    default_message = "Too many requests. Please wait a moment."


class ChallengeRequired(RendezvousError):
    """A hold or booking without the answer to a proof-of-work challenge (ALTCHA), when
    one is required (`organisation.bots.challenge`; docs/bots.md)."""

    status_code = 428
    code = "CHALLENGE_REQUIRED"
    default_message = (
        "Please confirm you are not a robot: solve the challenge of"
        " GET /api/v1/challenge and send its answer as `altcha`."
    )


class ChallengeFailed(RendezvousError):
    """An answer to a challenge that is wrong, expired, not ours or used before."""

    status_code = 403
    code = "CHALLENGE_FAILED"
    default_message = "The answer to the challenge is not valid. Please solve a new one."


_ENCODER = msgspec.json.Encoder()
_MSGSPEC_PATH = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.DOTALL)
_MISSING_FIELD = re.compile(r"^Object missing required field `([^`]+)`$")


def error_response(error: RendezvousError, headers: dict[str, str] | None = None) -> Response:
    return Response(
        _ENCODER.encode(error.body()),
        status_code=error.status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


#: Plain words for the formats msgspec can only describe by their regular expression,
#: by the last name in the path.
_FORMATS = {
    "email": "an e-mail address such as name@example.com",
    "phone": "a phone number such as +32 2 123 45 67",
    "near": "a position LAT,LON such as 50.85,4.35",
    "country": "a two-letter country code such as BE",
    "language": "a language code such as en or nl-BE",
}


def _plain(message: str, path: str) -> str:
    if message.startswith("Expected `str` matching regex"):
        name = re.split(r"[.\[]", path)[-1]
        return f"Expected {_FORMATS.get(name, 'a value in the expected format')}."
    if message.startswith("Invalid RFC3339 encoded date"):
        return 'Expected a date "YYYY-MM-DD".'
    if message.startswith("Invalid RFC3339 encoded datetime"):
        return 'Expected a date and time with an offset, such as "2026-12-01T10:00:00+01:00".'
    return message


def from_msgspec(
    exc: msgspec.ValidationError | msgspec.DecodeError, *, query: bool = False
) -> ValidationFailed:
    """Turn msgspec's `Expected int >= 1 - at `$.duration`` into a detail with its path.

    With `query`, the value was a query string: paths start at `$.query` and a missing
    field is a missing query parameter. msgspec's wording is pinned by a test
    (tests/server/test_errors.py), so an upgrade that changes it fails loudly.
    """
    match = _MSGSPEC_PATH.match(str(exc))
    message = match.group("message") if match else str(exc)
    path = (match.group("path") if match else None) or "$"
    # ValidationError is a DecodeError too: only a plain DecodeError is malformed JSON.
    if not isinstance(exc, msgspec.ValidationError):
        message = f"The body is not valid JSON: {message}"
    elif query:
        missing = _MISSING_FIELD.match(message)
        if missing is not None:
            path = f"$.query.{missing.group(1)}"
            message = f"The query parameter {missing.group(1)} is required."
        else:
            path = "$.query" + path.removeprefix("$")
            message = _plain(message, path)
    else:
        message = _plain(message, path)
    return ValidationFailed(message, [Detail(path, message)])


async def handle_rendezvous_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RendezvousError)
    return error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: RendezvousError
    if exc.status_code == 404:
        error = NotFound()
    elif exc.status_code == 405:
        error = MethodNotAllowed()
    elif exc.status_code == 413:
        error = PayloadTooLarge()
    elif exc.status_code < 500:
        error = ValidationFailed(str(exc.detail))
    else:
        error = RendezvousError()
    return error_response(error, dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # The traceback is formatted here so that the tokens in it (an exception's message
    # may quote a manage link) can be redacted; the query string is left out.
    logger.error(
        "unhandled %s on %s %s\n%s",
        type(exc).__name__,
        request.method,
        redact_path(request.url.path),
        _traceback(exc),
    )
    return error_response(RendezvousError())


def exception_handlers() -> dict[Any, Any]:
    server_logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RedactTokens) for f in server_logger.filters):
        server_logger.addFilter(RedactTokens())
    return {
        RendezvousError: handle_rendezvous_error,
        HTTPException: handle_http_exception,
        Exception: handle_unexpected,
    }
