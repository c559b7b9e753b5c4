"""The widget checks input with the server's formats (plugin/rules.js): what the widget
accepts, the server accepts, and the other way round."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server import schemas, vocabulary

RULES = Path(__file__).resolve().parents[2] / "plugin" / "rules.js"
#: `export const NAME = /pattern/;` or `export const NAME = 123;`, one per line.
_CONSTANT = re.compile(r"^export const (?P<name>[A-Z_]+) = (?P<value>.+);$")


def widget_rules() -> dict[str, str | int]:
    """The constants of plugin/rules.js: a regular expression's source, or a number."""
    found: dict[str, str | int] = {}
    for line in RULES.read_text().splitlines():
        if not line.startswith("export const "):
            continue
        match = _CONSTANT.match(line)
        assert match, f"plugin/rules.js: cannot read {line!r}"
        value = match["value"]
        if value.startswith("/"):
            assert value.endswith("/"), f"a regular expression with flags: {line!r}"
            found[match["name"]] = value[1:-1]
        else:
            assert value.isdigit(), f"neither a pattern nor a number: {line!r}"
            found[match["name"]] = int(value)
    return found


def field_constraints(struct: type[msgspec.Struct], field: str) -> dict[str, Any]:
    """`max_length`, `min_length` and `pattern` of one field of a request Struct."""
    schema = msgspec.json.schema(struct)
    definition = schema["$defs"][struct.__name__]["properties"][field]
    for option in definition.get("anyOf", [definition]):
        if option.get("type") == "string":
            return dict(option)
    raise AssertionError(f"{struct.__name__}.{field} is not a string")


def test_email_and_phone_are_checked_exactly_as_the_server_checks_them() -> None:
    rules = widget_rules()
    assert rules["EMAIL_PATTERN"] == vocabulary.EMAIL_PATTERN
    assert rules["EMAIL_MAX_LENGTH"] == vocabulary.EMAIL_MAX_LENGTH
    assert rules["PHONE_PATTERN"] == vocabulary.PHONE_PATTERN
    assert rules["PHONE_MIN_LENGTH"] == vocabulary.PHONE_MIN_LENGTH
    assert rules["PHONE_MAX_LENGTH"] == vocabulary.PHONE_MAX_LENGTH


@pytest.mark.parametrize(
    ("rule", "struct", "field", "constraint"),
    [
        pytest.param("EMAIL_PATTERN", schemas.Customer, "email", "pattern", id="email"),
        pytest.param("EMAIL_MAX_LENGTH", schemas.Customer, "email", "maxLength", id="email-max"),
        pytest.param("PHONE_PATTERN", schemas.Customer, "phone", "pattern", id="phone"),
        pytest.param("PHONE_MIN_LENGTH", schemas.Customer, "phone", "minLength", id="phone-min"),
        pytest.param("PHONE_MAX_LENGTH", schemas.Customer, "phone", "maxLength", id="phone-max"),
        pytest.param("NAME_MAX_LENGTH", schemas.Customer, "first_name", "maxLength", id="first"),
        pytest.param("NAME_MAX_LENGTH", schemas.Customer, "last_name", "maxLength", id="last"),
        pytest.param("STREET_MAX_LENGTH", schemas.Address, "street", "maxLength", id="street"),
        pytest.param(
            "POSTAL_CODE_MAX_LENGTH", schemas.Address, "postal_code", "maxLength", id="postal"
        ),
        pytest.param("CITY_MAX_LENGTH", schemas.Address, "city", "maxLength", id="city"),
    ],
)
def test_each_rule_is_what_the_booking_request_accepts(
    rule: str, struct: type[msgspec.Struct], field: str, constraint: str
) -> None:
    assert widget_rules()[rule] == field_constraints(struct, field)[constraint]


@pytest.mark.parametrize(
    ("phone", "accepted"),
    [
        pytest.param("+32123", True, id="six-characters"),
        pytest.param("12345", False, id="five-characters"),
        pytest.param("+32 (0)2 123.45/67-8", True, id="separators"),
        pytest.param("+" + "1" * 31, True, id="thirty-two-characters"),
        pytest.param("+" + "1" * 32, False, id="thirty-three-characters"),
        pytest.param("call me", False, id="words"),
    ],
)
def test_the_phone_rule_draws_the_line_where_the_server_does(phone: str, accepted: bool) -> None:
    """The widget's isPhone(v): length within the bounds and the pattern (the same
    regular expression in JavaScript and Python: no syntax that differs between them)."""
    rules = widget_rules()
    pattern = rules["PHONE_PATTERN"]
    assert isinstance(pattern, str)
    widget = (
        rules["PHONE_MIN_LENGTH"] <= len(phone) <= rules["PHONE_MAX_LENGTH"]
        and re.search(pattern, phone) is not None
    )
    try:
        msgspec.convert({"phone": phone}, _PhoneOnly)
        server = True
    except msgspec.ValidationError:
        server = False
    assert widget is server is accepted


class _PhoneOnly(msgspec.Struct):
    phone: schemas.Phone
