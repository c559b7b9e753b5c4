"""Plain words for msgspec's errors about the organisation file.

msgspec says `Expected `str` matching regex '^[0-9]{2}:[0-9]{2}$' - at `$.week.monday[0].end``;
an operator should read `agents[3].week.monday[0].end: expected a time "HH:MM", got
"25:00"`. This module turns the first into the second: it resolves msgspec's
`[...]` (some dict key) to the actual key, and words the message by the expected type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec

_ANY_KEY: Final = "[...]"


@dataclass(frozen=True, slots=True)
class Issue:
    path: str  # e.g. "agents[3].week.monday[0].end"; the source name for syntax errors
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def issue_from(
    exc: msgspec.ValidationError,
    raw: Any,
    struct: type[Any],
    prefix: str,
    *,
    pattern_words: Mapping[str, str],
    literal_order: Mapping[Any, int],
) -> Issue:
    """Turn msgspec's `Expected ... - at `$.a[...].b`` into a path and a plain message."""
    full = str(exc)
    message, _, where = full.partition(" - at `")
    # A bad dict key reads "... - at `key` in `$.a`"; "[...]" stands for some dict key.
    key_error = where.startswith("key` in `")
    tokens = _parse_path(where.removeprefix("key` in `").rstrip("`")) if where else []
    if key_error:
        tokens.append(_ANY_KEY)
    tokens = _resolve_any_keys(raw, struct, full, tokens)
    root = msgspec.inspect.type_info(struct)
    type_info = _type_at(root, raw, tokens)
    value = _value_at(raw, tokens)
    if key_error:
        parent = _type_at(root, raw, tokens[:-1])
        if isinstance(parent, msgspec.inspect.DictType):
            type_info = _pick(parent.key_type, tokens[-1])
        value = tokens[-1]
    if match := re.fullmatch(r"Object contains unknown field `(.*)`", message):
        tokens.append(match[1])
        fields = _field_names(type_info)
        expected = f"; expected one of {', '.join(fields)}" if fields else ""
        return Issue(_join(prefix, tokens), f"unknown key{expected}")
    if match := re.fullmatch(r"Object missing required field `(.*)`", message):
        tokens.append(match[1])
        return Issue(_join(prefix, tokens), "required key is missing")
    return Issue(
        _join(prefix, tokens),
        _plain_message(message, type_info, value, pattern_words, literal_order),
    )


def _plain_message(
    message: str,
    type_info: msgspec.inspect.Type | None,
    value: Any,
    pattern_words: Mapping[str, str],
    literal_order: Mapping[Any, int],
) -> str:
    if message.startswith("Expected `str` matching regex"):
        pattern = message.split("'", 1)[1].rsplit("'", 1)[0]
        words = next(
            (words for known, words in pattern_words.items() if repr(known)[1:-1] == pattern),
            f"a string matching {pattern}",
        )
        return f"expected {words}, got {show(value)}"
    if message.startswith("Invalid enum value"):
        values = type_info.values if isinstance(type_info, msgspec.inspect.LiteralType) else ()
        ordered = sorted(values, key=lambda v: literal_order.get(v, len(literal_order)))
        expected = ", ".join(str(v) for v in ordered) or "a known value"
        return f"expected one of {expected}, got {show(value)}"
    if message.startswith("Invalid RFC3339 encoded date"):
        return f'expected a date "YYYY-MM-DD", got {show(value)}'
    if message == "Expected `str | object`, got `" + kind(value, msgspec_words=True) + "`":
        return f"expected a string or a table of language = string, got {kind(value)}"
    plain = message.replace("`object`", "`table`").replace("`", "")
    plain = plain[0].lower() + plain[1:]
    for word, article in (("table", "a"), ("array", "an")):
        plain = re.sub(f"^expected {word}", f"expected {article} {word}", plain)
    if ", got " not in plain:
        if isinstance(value, str) and "length" in plain:
            plain += f", got {len(value)} characters"
        elif isinstance(value, list) and "length" in plain:
            plain += f", got {len(value)} items"
        else:
            plain += f", got {show(value)}"
    return plain


# Path tokens: a str is a key, an int an index, _ANY_KEY msgspec's "[...]" (a dict key).
_Token = str | int


def _parse_path(where: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in re.finditer(r"\.([^.\[]+)|\[(\d+)\]|(\[\.\.\.\])", where.removeprefix("$")):
        key, index, _ = match.groups()
        tokens.append(key if key is not None else int(index) if index is not None else _ANY_KEY)
    return tokens


def _resolve_any_keys(raw: Any, struct: type[Any], full: str, tokens: list[_Token]) -> list[_Token]:
    """Replace each "[...]" by the key that reproduces the error when it is alone."""
    tokens = list(tokens)
    for i, token in enumerate(tokens):
        if token != _ANY_KEY:
            continue
        node = _value_at(raw, tokens[:i])
        if not isinstance(node, dict):
            break
        for key, value in node.items():
            trial = _replaced(raw, tokens[:i], {key: value})
            try:
                msgspec.convert(trial, struct)
            except msgspec.ValidationError as exc:
                if str(exc) == full:
                    tokens[i] = key
                    break
    return tokens


def _replaced(raw: Any, tokens: Sequence[_Token], new: Any) -> Any:
    if not tokens:
        return new
    head, rest = tokens[0], tokens[1:]
    if isinstance(raw, dict) and isinstance(head, str):
        return {**raw, head: _replaced(raw[head], rest, new)}
    if isinstance(raw, list) and isinstance(head, int):
        return [*raw[:head], _replaced(raw[head], rest, new), *raw[head + 1 :]]
    return raw


def _value_at(raw: Any, tokens: Iterable[_Token]) -> Any:
    for token in tokens:
        if isinstance(raw, dict) and isinstance(token, str):
            raw = raw.get(token)
        elif isinstance(raw, list) and isinstance(token, int):
            raw = raw[token] if token < len(raw) else None
        else:
            return None
    return raw


def _type_at(
    type_info: msgspec.inspect.Type, raw: Any, tokens: Sequence[_Token]
) -> msgspec.inspect.Type | None:
    """The msgspec type at `tokens`, choosing union members by the shape of `raw`."""
    current: msgspec.inspect.Type | None = _pick(type_info, raw)
    for token in tokens:
        raw = _value_at(raw, [token])
        if isinstance(current, msgspec.inspect.StructType) and isinstance(token, str):
            fields = {field.encode_name: field.type for field in current.fields}
            current = fields.get(token)
        elif isinstance(current, msgspec.inspect.DictType):
            current = current.value_type
        elif isinstance(current, msgspec.inspect.VarTupleType | msgspec.inspect.ListType):
            current = current.item_type
        else:
            return None
        current = _pick(current, raw) if current is not None else None
    return current


def _pick(type_info: msgspec.inspect.Type, raw: Any) -> msgspec.inspect.Type:
    while isinstance(type_info, msgspec.inspect.Metadata):
        type_info = type_info.type
    if not isinstance(type_info, msgspec.inspect.UnionType):
        return type_info
    members = [t for t in type_info.types if not isinstance(t, msgspec.inspect.NoneType)]
    shapes: dict[type, tuple[type, ...]] = {
        dict: (msgspec.inspect.StructType, msgspec.inspect.DictType),
        list: (msgspec.inspect.VarTupleType, msgspec.inspect.ListType),
    }
    wanted = shapes.get(type(raw), (msgspec.inspect.LiteralType,))
    for member in members:
        if isinstance(member, wanted):
            return member
    return members[0] if members else type_info


def _field_names(type_info: msgspec.inspect.Type | None) -> list[str]:
    if isinstance(type_info, msgspec.inspect.StructType):
        return [field.encode_name for field in type_info.fields]
    return []


def _join(prefix: str, tokens: Iterable[_Token]) -> str:
    path = prefix
    for token in tokens:
        if isinstance(token, int):
            path += f"[{token}]"
        else:
            path += token if token == _ANY_KEY else key_path(token)
    return path


def key_path(key: str) -> str:
    return f".{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else f'["{key}"]'


def kind(value: Any, *, msgspec_words: bool = False) -> str:
    if isinstance(value, dict):
        return "object" if msgspec_words else "table"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, dict | list):
        return f"a {kind(value)}"
    return str(value).lower() if isinstance(value, bool) else str(value)
