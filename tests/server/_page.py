"""Reading /book's HTML in tests: its forms, their fields and the page's texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Form:
    method: str
    action: str
    #: (name, value, type) of every input, select and textarea, in order.
    fields: list[tuple[str, str, str]] = field(default_factory=list)

    def hidden(self) -> dict[str, str]:
        return {name: value for name, value, kind in self.fields if kind == "hidden"}

    def options(self, name: str) -> list[str]:
        """The values of the radio buttons (or checkboxes) called `name`."""
        return [
            value for n, value, kind in self.fields if n == name and kind in ("radio", "checkbox")
        ]

    def has(self, name: str) -> bool:
        return any(n == name for n, _, _ in self.fields)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.text: list[str] = []
        self.ids: dict[str, dict[str, Any]] = {}
        self._form: Form | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "id" in found:
            self.ids[found["id"]] = {"tag": tag, **found}
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "form":
            self._form = Form(found.get("method", "get").lower(), found.get("action", ""))
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form is not None:
            kind = found.get("type", tag)
            self._form.fields.append((found.get("name", ""), found.get("value", ""), kind))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        if tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(" ".join(data.split()))


@dataclass
class Html:
    forms: list[Form]
    text: str
    ids: dict[str, dict[str, Any]]

    def form(self, action_field: str | None = None, method: str = "post") -> Form:
        """The (only) form of `method`; with `action_field`, the one that sends it."""
        found = [
            f
            for f in self.forms
            if f.method == method and (action_field is None or f.has(action_field))
        ]
        assert len(found) == 1, [f.fields for f in self.forms]
        return found[0]


def parse(html: str) -> Html:
    parser = _Parser()
    parser.feed(html)
    return Html(parser.forms, " ".join(parser.text), parser.ids)
