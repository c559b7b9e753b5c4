"""msgspec's errors become VALIDATION_FAILED details with a path and plain words."""

from __future__ import annotations

import datetime

import msgspec
import pytest

from server import schemas
from server.errors import from_msgspec


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
