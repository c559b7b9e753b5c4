"""What a step of /book answers: a page to render (`Page`) or a redirect (`Redirect`), and
the Jinja2 templates that render pages (`server/templates/book/`).

Templates escape everything (autoescape): a subject named `<img onerror=...>` stays
text. Every page shows the organisation's name (and logo), a translated title and
links to the organisation's other languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import jinja2

from server.hosted.state import State
from server.hosted.words import LANGUAGE_NAMES, Words
from server.snapshot import Snapshot

TEMPLATES: Final = Path(__file__).resolve().parent.parent / "templates" / "book"

_ENVIRONMENT: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True, slots=True)
class Page:
    """A page of /book: its template, what it shows, and its status code."""

    template: str
    context: Mapping[str, Any]
    status: int = 200


@dataclass(frozen=True, slots=True)
class Redirect:
    """After a POST that changed something, the page to show (303 See Other): a reload
    then shows the page again instead of sending the form twice."""

    url: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A message above a step: `kind` is "info" or "error"."""

    text: str
    kind: str = "info"


@dataclass(slots=True)
class Frame:
    """What every page of one request shares: the language, the words, the organisation,
    and the widget that replaces the page when JavaScript runs (None: no widget, as on
    the answers to forms, which carry on without it)."""

    snapshot: Snapshot
    lang: str
    state: State
    widget: dict[str, str] | None
    notices: list[Notice] = field(default_factory=list)
    #: The step whose form was sent (`asked`): sent without a choice, it says so.
    asked: str | None = None
    #: Who sent the form (`bots.client_of`): holds and bookings are counted per client.
    client: str | None = None

    @property
    def t(self) -> Words:
        return Words(self.lang)

    def page(self, template: str, title: str, status: int = 200, **context: Any) -> Page:
        settings = self.snapshot.settings
        languages = [
            (code, LANGUAGE_NAMES.get(code, code), self.state.but(lang=code).url(**_keep(context)))
            for code in self.snapshot.languages
        ]
        return Page(
            template,
            {
                "t": self.t,
                "lang": self.lang,
                "title": title,
                "organisation": self.snapshot.text(settings.name, self.lang),
                "logo": settings.logo,
                "languages": languages if len(languages) > 1 else [],
                "widget": self.widget,
                "notices": self.notices,
                "state": self.state,
                **context,
            },
            status,
        )


def _keep(context: Mapping[str, Any]) -> dict[str, str]:
    """Parameters beyond the choices that a language link keeps (a manage link's)."""
    kept = context.get("keep") or {}
    return {str(k): str(v) for k, v in kept.items()}


def render(page: Page) -> str:
    return _ENVIRONMENT.get_template(page.template).render(page.context)
