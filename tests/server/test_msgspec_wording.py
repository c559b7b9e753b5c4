"""The wording of msgspec's errors that `server.errors` and `server.config.messages` read.

Both turn msgspec's English messages into plain words with a path. msgspec is pinned
to a minor series in pyproject.toml; this test fails loudly when an upgrade changes a
message we rely on, instead of letting the error answers degrade silently.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
import pytest


class _Inner(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]


class _Shape(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    kind: Literal["a", "b"] = "a"
    count: Annotated[int, msgspec.Meta(ge=1)] = 1
    day: msgspec.UnsetType | Annotated[str, msgspec.Meta(max_length=3)] = msgspec.UNSET
    inner: _Inner | None = None
    table: dict[Annotated[str, msgspec.Meta(pattern=r"^[a-z]+$")], int] = {}


def _message(raw: object) -> str:
    with pytest.raises(msgspec.ValidationError) as excinfo:
        msgspec.convert(raw, _Shape)
    return str(excinfo.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param({}, "Object missing required field `name`", id="missing-field"),
        pytest.param(
            {"name": "x", "count": 0}, "Expected `int` >= 1 - at `$.count`", id="constraint"
        ),
        pytest.param({"name": "x", "kind": "c"}, "Invalid enum value 'c' - at `$.kind`", id="enum"),
        pytest.param(
            {"name": "x", "inner": {"code": "be"}},
            "Expected `str` matching regex '^[A-Z]{2}$' - at `$.inner.code`",
            id="pattern",
        ),
        pytest.param(
            {"name": "x", "extra": 1},
            "Object contains unknown field `extra`",
            id="unknown-field",
        ),
        pytest.param(
            {"name": "x", "table": {"X": 1}},
            "Expected `str` matching regex '^[a-z]+$' - at `key` in `$.table`",
            id="dict-key",
        ),
        pytest.param({"name": 1}, "Expected `str`, got `int` - at `$.name`", id="type"),
    ],
)
def test_msgspec_still_words_errors_as_we_read_them(raw: object, message: str) -> None:
    assert _message(raw) == message


def test_msgspec_still_words_bad_dates_as_we_read_them() -> None:
    import datetime

    with pytest.raises(msgspec.ValidationError) as date_error:
        msgspec.convert("2026-13-01", datetime.date)
    assert str(date_error.value).startswith("Invalid RFC3339 encoded date")
    with pytest.raises(msgspec.ValidationError) as time_error:
        msgspec.convert("tomorrow", datetime.datetime)
    assert str(time_error.value).startswith("Invalid RFC3339 encoded datetime")
