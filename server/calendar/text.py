"""The calendar text of an appointment: the templates that write an event's title,
description and location per language and meeting type (SPEC 6).

The templates come from the organisation file, which is untrusted input (SPEC 9): they
run in `server.calendar.sandbox`, Jinja2's immutable sandbox with what rendering may cost
bounded too, so a template like `{{ customer_name * 999999999 }}` or nested `range` loops
fails fast with `CalendarTemplateError` naming it, instead of holding the event loop or
exhausting memory. Overrides are tried on sample values when `CalendarTemplates` is
built, so `rendezvous check` and startup refuse them. What still fails at booking time
(it depends on the booking's own values) does not fail the booking:
`CalendarTemplates.render` logs a warning and uses the shipped default for that part,
because the calendar text is rendered inside the booking's transaction
(`presenters.appointment_response`) and must not roll back a booking that is otherwise
fine, nor make `calendar.ics` a 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.exceptions import SecurityError

from availability.model import MEETING_TYPES
from server.calendar.sandbox import BoundedSandbox, TemplateTooCostly, render_bounded

PARTS = ("title", "description", "location")
DEFAULT_LANGUAGE = "en"
#: The variables every template may use; any left out by the caller are "".
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
_SHIPPED = Path(__file__).parent.parent / "templates" / "calendar"

logger = logging.getLogger("rendezvous.calendar")


class CalendarTemplateError(Exception):
    """A calendar template that does not compile or render; the message names it as
    `[lang][MEETING_TYPE or default][part]`."""


class CalendarText(NamedTuple):
    title: str
    description: str
    location: str


class CalendarTemplates:
    """Title, description and location per language × meeting type.

    `overrides[lang][MEETING_TYPE or "default"][title|description|location]` is Jinja2
    source (None: not overridden). For each part the first that exists wins: override
    (lang, meeting type) > override (lang, default) > shipped default for lang > shipped
    default for "en".
    Templates run in Jinja2's sandbox with autoescape off: the output is text, and every
    variable is a plain string (None becomes ""), so HTML in a name stays text.

    The organisation file is untrusted (SPEC 9), so rendering is bounded as well as
    sandboxed (see `server.calendar.sandbox`): operators, calls, filters and loops that
    would make a value over MAX_SIZE, take more than MAX_STEPS steps or produce more than
    MAX_PRODUCED characters stop with `TemplateTooCostly`, and a part's output is cut off
    with an error past MAX_OUTPUT characters. Rendering happens on the event loop, so a
    template must never be able to hold it for long.

    Overrides are compiled and tried on sample values here, so a broken or too costly
    one raises `CalendarTemplateError` at startup (and in `rendezvous check`) rather than
    at the first booking. What can still fail later depends on the booking's values (a
    `{{ customer_name * 500 }}` that fits with the sample but not with a long name):
    `render` then logs a warning and uses the shipped default for that part instead, as
    the calendar text is rendered inside the booking's transaction, and a template
    problem must not fail or roll back a booking that is otherwise fine.
    """

    def __init__(
        self, overrides: Mapping[str, Mapping[str, Mapping[str, str | None]]] | None = None
    ) -> None:
        self._env = BoundedSandbox(
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._shipped: dict[str, dict[str, Template]] = {}
        for directory in sorted(_SHIPPED.iterdir()):
            if directory.is_dir():
                self._shipped[directory.name] = {
                    part: self._compile(
                        (directory / f"{part}.txt").read_text(encoding="utf-8"),
                        (directory.name, "default", part),
                    )
                    for part in PARTS
                }
        self._overrides: dict[tuple[str, str, str], Template] = {}
        for lang, by_type in (overrides or {}).items():
            for meeting_type, parts in by_type.items():
                if meeting_type != "default" and meeting_type not in MEETING_TYPES:
                    raise CalendarTemplateError(
                        f"calendar template [{lang}][{meeting_type}]: expected a meeting type "
                        f"({', '.join(MEETING_TYPES)}) or 'default'"
                    )
                for part, source in parts.items():
                    if source is None:  # not overridden
                        continue
                    if part not in PARTS:
                        raise CalendarTemplateError(
                            f"calendar template [{lang}][{meeting_type}][{part}]: expected "
                            f"one of {', '.join(PARTS)}"
                        )
                    key = (lang, meeting_type, part)
                    self._overrides[key] = self._compile(source, key)
        samples = {name: name for name in VARIABLES}
        for lang, meeting_type, _ in self._overrides:
            for sample_type in MEETING_TYPES if meeting_type == "default" else (meeting_type,):
                self._render(lang, sample_type, samples, fallback=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with shipped defaults."""
        return tuple(self._shipped)

    def render(
        self, lang: str, meeting_type: str, variables: Mapping[str, str | None]
    ) -> CalendarText:
        """The calendar text of one appointment. An override that fails on these values
        is logged and replaced by the shipped default for that part."""
        return self._render(lang, meeting_type, variables, fallback=True)

    def _render(
        self,
        lang: str,
        meeting_type: str,
        variables: Mapping[str, str | None],
        *,
        fallback: bool,
    ) -> CalendarText:
        values = dict.fromkeys(VARIABLES, "")
        values.update(
            {name: "" if value is None else str(value) for name, value in variables.items()}
        )
        values["meeting_type"] = meeting_type
        texts = []
        for part in PARTS:
            key, template = self._choose(lang, meeting_type, part)
            try:
                text = _render_part(template, values, key)
            except CalendarTemplateError as exc:
                if not fallback or key[0] == "shipped":
                    raise
                # Not the message: it can hold the booking's values (`int(customer_name)`).
                logger.warning(
                    "calendar template %s failed on this booking's values (%s); using the "
                    "shipped default for it instead",
                    _name(key),
                    type(exc.__cause__ or exc).__name__,
                )
                key, template = self._shipped_for(lang, part)
                text = _render_part(template, values, key)
            texts.append(text.strip())
        return CalendarText(*texts)

    def _choose(self, lang: str, meeting_type: str, part: str) -> tuple[tuple[str, ...], Template]:
        for key in ((lang, meeting_type, part), (lang, "default", part)):
            if key in self._overrides:
                return key, self._overrides[key]
        return self._shipped_for(lang, part)

    def _shipped_for(self, lang: str, part: str) -> tuple[tuple[str, ...], Template]:
        shipped_lang = lang if lang in self._shipped else DEFAULT_LANGUAGE
        return ("shipped", shipped_lang, part), self._shipped[shipped_lang][part]

    def _compile(self, source: str, key: tuple[str, str, str]) -> Template:
        if not isinstance(source, str):
            raise CalendarTemplateError(f"calendar template {_name(key)}: expected a string")
        try:
            return self._env.compile_bounded(source)
        except RecursionError as exc:
            raise CalendarTemplateError(
                f"calendar template {_name(key)} is nested too deeply"
            ) from exc
        except TemplateError as exc:
            raise CalendarTemplateError(f"calendar template {_name(key)}: {exc}") from exc


def _name(key: tuple[str, ...]) -> str:
    return "".join(f"[{part}]" for part in key)


def _render_part(template: Template, values: Mapping[str, str], key: tuple[str, ...]) -> str:
    """Render one part within the sandbox's limits; any failure is a
    `CalendarTemplateError`."""
    try:
        return render_bounded(template, values)
    except TemplateTooCostly as exc:
        raise CalendarTemplateError(
            f"calendar template {_name(key)} is too costly to render: {exc}"
        ) from exc
    except SecurityError as exc:
        raise CalendarTemplateError(
            f"calendar template {_name(key)} is not allowed in the sandbox: {exc}"
        ) from exc
    except TemplateError as exc:
        raise CalendarTemplateError(f"calendar template {_name(key)}: {exc}") from exc
    except RecursionError as exc:
        raise CalendarTemplateError(
            f"calendar template {_name(key)} is too costly to render: it recurses too deeply"
        ) from exc
    except Exception as exc:  # whatever the template's own code raises: 1/0, int("x"), ...
        raise CalendarTemplateError(
            f"calendar template {_name(key)}: {type(exc).__name__}: {exc}"
        ) from exc


__all__ = [
    "DEFAULT_LANGUAGE",
    "PARTS",
    "VARIABLES",
    "CalendarTemplateError",
    "CalendarTemplates",
    "CalendarText",
]
