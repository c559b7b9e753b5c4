"""The one error shape: msgspec's errors become VALIDATION_FAILED details with a path and
plain words; an unexpected error is logged without the tokens in it."""

from __future__ import annotations

import asyncio
import datetime
import logging
import sys

import msgspec
import pytest
from starlette.requests import Request

from server import schemas
from server.errors import (
    RedactTokens,
    exception_handlers,
    from_msgspec,
    handle_unexpected,
    redact_path,
)

#: Shaped like a manage token (itsdangerous: payload, dot, 27-character signature).
TOKEN = "eyJhIjoiTWIxMnFtOHhlX0sxTzBxWnlsdnNqdyJ9.dxDg8ORZ_BF7uJUT2SkLrhDQJHc"


class _Day(msgspec.Struct):
    day: datetime.date


def _error(type_: type, body: bytes) -> msgspec.DecodeError:
    with pytest.raises(msgspec.DecodeError) as excinfo:
        msgspec.json.decode(body, type=type_)
    return excinfo.value


@pytest.mark.parametrize(
    ("type_", "body", "path", "message"),
    [
        pytest.param(
            schemas.Customer,
            b'{"first_name": "A", "last_name": "B", "email": "not-an-email"}',
            "$.email",
            "Expected an e-mail address such as name@example.com.",
            id="email",
        ),
        pytest.param(
            schemas.Customer,
            b'{"first_name": "A", "last_name": "B", "email": "a@b.be", "phone": "call me"}',
            "$.phone",
            "Expected a phone number such as +32 2 123 45 67.",
            id="phone",
        ),
        pytest.param(
            _Day, b'{"day": "2026-13-01"}', "$.day", 'Expected a date "YYYY-MM-DD".', id="date"
        ),
        pytest.param(
            schemas.Customer,
            b'{"first_name": "A"}',
            "$",
            "Object missing required field `last_name`",
            id="missing-field",
        ),
    ],
)
def test_validation_errors_keep_their_path_in_plain_words(
    type_: type, body: bytes, path: str, message: str
) -> None:
    error = from_msgspec(_error(type_, body))
    assert error.code == "VALIDATION_FAILED"
    assert (error.details[0].path, error.details[0].message) == (path, message)


def test_only_malformed_json_is_called_malformed() -> None:
    error = from_msgspec(_error(schemas.Customer, b'{"first_name": '))
    assert error.message.startswith("The body is not valid JSON")
    assert error.details[0].path == "$"


# -- tokens never reach a log ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        pytest.param("/api/v1/appointments/abc.def", "/api/v1/appointments/{token}", id="manage"),
        pytest.param(
            "/api/v1/appointments/abc/cancel", "/api/v1/appointments/{token}/cancel", id="cancel"
        ),
        pytest.param("/api/v1/invites/xyz", "/api/v1/invites/{token}", id="invite"),
        pytest.param("/api/v1/holds/abc.def", "/api/v1/holds/{token}", id="hold"),
        pytest.param("/api/v1//holds/abc", "/api/v1//holds/{token}", id="doubled-slash"),
        pytest.param("/api/v1/holds", "/api/v1/holds", id="create-hold"),
        pytest.param("/api/v1/slots", "/api/v1/slots", id="no-token"),
    ],
)
def test_tokens_never_reach_the_access_log(path: str, logged: str) -> None:
    assert redact_path(path) == logged


def _raise_with_a_manage_link() -> None:
    raise ValueError(f"not a URI: 'https://book.example/book?manage={TOKEN}'")


def test_an_unexpected_error_is_logged_without_the_tokens_in_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = f"/api/v1/appointments/{TOKEN}/calendar.ics"
    request = Request({"type": "http", "method": "GET", "path": path, "headers": []})
    try:
        _raise_with_a_manage_link()
    except ValueError as exc:
        with caplog.at_level(logging.ERROR, logger="rendezvous.errors"):
            response = asyncio.run(handle_unexpected(request, exc))
    assert response.status_code == 500
    assert TOKEN not in caplog.text
    assert "GET /api/v1/appointments/{token}/calendar.ics" in caplog.text
    assert "ValueError: not a URI: 'https://book.example/book?manage={token}'" in caplog.text
    assert "_raise_with_a_manage_link" in caplog.text  # the traceback is kept


def test_the_servers_own_log_of_an_escaped_error_is_redacted_too() -> None:
    exception_handlers()
    server_logger = logging.getLogger("uvicorn.error")
    assert any(isinstance(f, RedactTokens) for f in server_logger.filters)
    try:
        _raise_with_a_manage_link()
    except ValueError:
        record = server_logger.makeRecord(
            "uvicorn.error", logging.ERROR, __file__, 0, "on %s", (TOKEN,), sys.exc_info()
        )
    assert RedactTokens().filter(record)
    text = logging.Formatter().format(record)
    assert TOKEN not in text
    assert "manage={token}" in text
