"""The calendar text of an appointment: the templates that write an event's title,
description and location per language and meeting type (SPEC 6).

The templates come from the organisation file, which is untrusted input (SPEC 9), so they
are written in the small subset of Jinja2 that `server.sandbox` accepts, whose
rendering cost is linear in the template. Overrides are compiled and tried on sample
values when `CalendarTemplates` is built, so startup and `rendezvous check` refuse what
the sandbox does not allow with `CalendarTemplateError`, naming the template, the line
and the construct. What can still fail at booking time (an output over the sandbox's
MAX_OUTPUT with a booking's long values) does not fail the booking:
`CalendarTemplates.render` logs a warning, without the booking's values, and uses the
shipped default for that part, as a template problem must not fail or roll back a
booking that is otherwise fine, nor make `calendar.ics` a 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from availability.model import MEETING_TYPES
from server.sandbox import BoundedTemplate, TemplateRejected, compile_template

PARTS = ("title", "description", "location")
DEFAULT_LANGUAGE = "en"
#: The variables every template may use; any left out by the caller are none.
VARIABLES = (
    "customer_name",
    "customer_address",
    "agent_name",
    "subject",
    "office_name",
    "office_address",
    "start_local",
    "timezone",
    "meeting_type",
    "video_url",
    "manage_url",
    "phone",
)
_VARIABLES = frozenset(VARIABLES)
_SAMPLES = {name: name for name in VARIABLES}
_SHIPPED = Path(__file__).parent.parent / "templates" / "calendar"

logger = logging.getLogger("rendezvous.calendar")


class CalendarTemplateError(Exception):
    """A calendar template that the sandbox refuses, or that fails to render. The message
    names it as `[lang][MEETING_TYPE or default][part]`; `problem` is the rest of it."""

    def __init__(self, key: tuple[str, ...], problem: str) -> None:
        super().__init__(f"calendar template {_name(key)}: {problem}")
        self.problem = problem


class CalendarText(NamedTuple):
    title: str
    description: str
    location: str


def compile_override(lang: str, meeting_type: str, part: str, source: str) -> BoundedTemplate:
    """One override from the organisation file, compiled and rendered on sample values
    (each variable's own name) for each meeting type it serves."""
    if meeting_type != "default" and meeting_type not in MEETING_TYPES:
        raise CalendarTemplateError(
            (lang, meeting_type),
            f"expected a meeting type ({', '.join(MEETING_TYPES)}) or 'default'",
        )
    if part not in PARTS:
        raise CalendarTemplateError(
            (lang, meeting_type, part), f"expected one of {', '.join(PARTS)}"
        )
    key = (lang, meeting_type, part)
    template = _compile(source, key)
    for sample_type in MEETING_TYPES if meeting_type == "default" else (meeting_type,):
        _render_part(template, {**_SAMPLES, "meeting_type": sample_type}, key)
    return template


class CalendarTemplates:
    """Title, description and location per language × meeting type.

    `overrides[lang][MEETING_TYPE or "default"][title|description|location]` is template
    source (None: not overridden). For each part the first that exists wins: override
    (lang, meeting type) > override (lang, default) > shipped default for lang > shipped
    default for "en". Templates run with autoescape off: the output is text, so HTML in
    a name stays text. Each is compiled by `compile_override`, so a broken one raises
    `CalendarTemplateError` here, at startup and in `rendezvous check`.
    """

    def __init__(
        self, overrides: Mapping[str, Mapping[str, Mapping[str, str | None]]] | None = None
    ) -> None:
        self._shipped: dict[str, dict[str, BoundedTemplate]] = {
            directory.name: {
                part: _compile(
                    (directory / f"{part}.txt").read_text(encoding="utf-8"),
                    ("shipped", directory.name, part),
                )
                for part in PARTS
            }
            for directory in sorted(_SHIPPED.iterdir())
            if directory.is_dir()
        }
        self._overrides = {
            (lang, meeting_type, part): compile_override(lang, meeting_type, part, source)
            for lang, by_type in (overrides or {}).items()
            for meeting_type, parts in by_type.items()
            for part, source in parts.items()
            if source is not None
        }

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with shipped defaults."""
        return tuple(self._shipped)

    def render(
        self, lang: str, meeting_type: str, variables: Mapping[str, str | None]
    ) -> CalendarText:
        """The calendar text of one appointment. An override that fails on these values
        is logged and replaced by the shipped default for that part."""
        values = {**dict.fromkeys(VARIABLES), **variables, "meeting_type": meeting_type}
        texts = []
        for part in PARTS:
            key, template = self._choose(lang, meeting_type, part)
            try:
                text = _render_part(template, values, key)
            except CalendarTemplateError as exc:
                if key[0] == "shipped":
                    raise
                # The problem is in the sandbox's words, never the booking's values.
                logger.warning(
                    "calendar template %s failed on this booking's values (%s); using the "
                    "shipped default for it instead",
                    _name(key),
                    exc.problem,
                )
                key, template = self._shipped_for(lang, part)
                text = _render_part(template, values, key)
            texts.append(text.strip())
        return CalendarText(*texts)

    def _choose(
        self, lang: str, meeting_type: str, part: str
    ) -> tuple[tuple[str, ...], BoundedTemplate]:
        for key in ((lang, meeting_type, part), (lang, "default", part)):
            if key in self._overrides:
                return key, self._overrides[key]
        return self._shipped_for(lang, part)

    def _shipped_for(self, lang: str, part: str) -> tuple[tuple[str, ...], BoundedTemplate]:
        shipped_lang = lang if lang in self._shipped else DEFAULT_LANGUAGE
        return ("shipped", shipped_lang, part), self._shipped[shipped_lang][part]


def _name(key: tuple[str, ...]) -> str:
    return "".join(f"[{part}]" for part in key)


def _compile(source: str, key: tuple[str, ...]) -> BoundedTemplate:
    try:
        return compile_template(source, variables=_VARIABLES, autoescape=False)
    except TemplateRejected as exc:
        raise CalendarTemplateError(key, str(exc)) from exc


def _render_part(
    template: BoundedTemplate, values: Mapping[str, str | None], key: tuple[str, ...]
) -> str:
    try:
        return template.render(values)
    except TemplateRejected as exc:
        raise CalendarTemplateError(key, str(exc)) from exc


__all__ = [
    "DEFAULT_LANGUAGE",
    "PARTS",
    "VARIABLES",
    "CalendarTemplateError",
    "CalendarTemplates",
    "CalendarText",
    "compile_override",
]
