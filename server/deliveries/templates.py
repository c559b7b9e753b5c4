"""The texts of e-mails: per language × kind, a `subject`, a `text` and an `html` part
(SPEC 10), and the words of the frame around them (labels, dates, meeting types).

The shipped texts are `server/templates/email/<lang>.toml` (en, nl, fr, de). The
organisation may override any part in `[organisation.email_templates.<lang>.<kind>]`.
Every template, shipped or not, is compiled by `server.sandbox` (the subset of Jinja2
that calendar templates use, with the same limits), the `html` part with autoescape on,
so HTML in any value stays text. Overrides are compiled and tried on sample values when
the organisation file loads (`rendezvous check` reports them at
`organisation.email_templates.<lang>.<kind>.<part>`); an override that fails later on
one message's long values is logged and replaced by the shipped part, as calendar
templates are.

The parts are the message's own words: the frame (`server.deliveries.email`) adds the
appointment's details, the links (every customer message carries its manage link) and
a footer, so no override can drop them.
"""

from __future__ import annotations

import functools
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from server.deliveries.kinds import EMAIL_KINDS
from server.sandbox import BoundedTemplate, TemplateRejected, compile_template

PARTS: Final = ("subject", "text", "html")
DEFAULT_LANGUAGE: Final = "en"
SHIPPED: Final = Path(__file__).parent.parent / "templates" / "email"

#: The variables every e-mail template may use (each a string, or none when it does
#: not apply: `video_url` without a video link, `reason` when none was given, ...).
VARIABLES: Final = (
    "organisation_name",
    "recipient_name",
    "customer_name",
    "customer_first_name",
    "customer_email",
    "phone",
    "agent_name",
    "agent_function",
    "previous_agent_name",
    "subject",
    "meeting_type",
    "meeting_type_name",
    "office_name",
    "office_address",
    "customer_address",
    "start_local",
    "date_local",
    "time_local",
    "end_time_local",
    "timezone",
    "previous_start_local",
    "video_url",
    "manage_url",
    "desk_url",
    "book_url",
    "reason",
    # The desk's sign-in e-mail (agent_sign_in).
    "sign_in_url",
    "valid_minutes",
    # SPEC 12: the e-mail about an agent's calendar (`agent_calendar_broken`).
    "calendar_kind",
    "calendar_host",
    "calendar_problem",
    "calendar_error",
    "calendar_since",
    "calendar_last_worked",
    "calendar_kept_until",
)
_VARIABLES = frozenset(VARIABLES)
_SAMPLES = {name: name for name in VARIABLES}
#: The words of the frame each language file must have (`[words]`).
WORDS: Final = (
    "details",
    "subject",
    "when",
    "how",
    "where",
    "with",
    "customer",
    "email",
    "phone",
    "answers",
    "reason",
    "video",
    "manage",
    "desk",
    "book",
    "footer",
    "sign_in",
)

logger = logging.getLogger("rendezvous.deliveries")


class EmailTemplateError(Exception):
    """An e-mail template the sandbox refuses or that fails on sample values; the
    message names it `[lang][kind][part]`, `problem` is the rest."""

    def __init__(self, key: tuple[str, ...], problem: str) -> None:
        super().__init__(f"e-mail template {_name(key)}: {problem}")
        self.problem = problem


class EmailText(NamedTuple):
    subject: str
    text: str
    html: str  # a fragment of HTML, its values escaped


@dataclass(frozen=True, slots=True)
class Language:
    """A shipped language file: the frame's words, dates, meeting type names, texts."""

    code: str
    words: Mapping[str, str]
    weekdays: tuple[str, ...]  # Monday first
    months: tuple[str, ...]  # January first
    #: `str.format` patterns (trusted: shipped with the server) of a local date and time.
    date_format: str  # {weekday} {day} {month} {year}
    time_format: str  # {hour} {minute} (24 h, zero-padded)
    datetime_format: str  # {date} {time}
    meeting_types: Mapping[str, str]
    texts: Mapping[tuple[str, str], BoundedTemplate]  # (kind, part) -> template

    def date(self, moment: datetime) -> str:
        return self.date_format.format(
            weekday=self.weekdays[moment.weekday()],
            day=moment.day,
            month=self.months[moment.month - 1],
            year=moment.year,
        )

    def time(self, moment: datetime) -> str:
        return self.time_format.format(hour=f"{moment.hour:02d}", minute=f"{moment.minute:02d}")

    def date_time(self, moment: datetime) -> str:
        return self.datetime_format.format(date=self.date(moment), time=self.time(moment))


def compile_override(lang: str, kind: str, part: str, source: str) -> BoundedTemplate:
    """One override from the organisation file, compiled (autoescape for `html`) and
    rendered on sample values (each variable's own name)."""
    if kind not in EMAIL_KINDS:
        raise EmailTemplateError((lang, kind), f"expected one of {', '.join(EMAIL_KINDS)}")
    if part not in PARTS:
        raise EmailTemplateError((lang, kind, part), f"expected one of {', '.join(PARTS)}")
    key = (lang, kind, part)
    template = _compile(source, key, part)
    _render(template, _SAMPLES, key)
    return template


class EmailTemplates:
    """The texts of every kind in every language, overrides first.

    `overrides[lang][kind][subject|text|html]` is template source (None: not
    overridden). For each part the first that exists wins: the override for (lang,
    kind), the shipped text for lang, the shipped text in English. Built once per
    organisation version (`Snapshot.build`); a broken override raises
    `EmailTemplateError`, so the file is refused at load and by `rendezvous check`.
    """

    def __init__(
        self, overrides: Mapping[str, Mapping[str, Mapping[str, str | None]]] | None = None
    ) -> None:
        self.languages: Mapping[str, Language] = _shipped()
        self._overrides = {
            (lang, kind, part): compile_override(lang, kind, part, source)
            for lang, kinds in (overrides or {}).items()
            for kind, parts in kinds.items()
            for part, source in parts.items()
            if source is not None
        }

    def language(self, lang: str) -> Language:
        """The shipped words of `lang`, else English."""
        return self.languages.get(lang) or self.languages[DEFAULT_LANGUAGE]

    def render(self, lang: str, kind: str, values: Mapping[str, str | None]) -> EmailText:
        """The three parts of one message. An override that fails on these values is
        logged (without them) and replaced by the shipped part."""
        values = {**dict.fromkeys(VARIABLES), **values}
        parts = []
        for part in PARTS:
            key, template = self._choose(lang, kind, part)
            try:
                text = _render(template, values, key)
            except EmailTemplateError as exc:
                if key[0] == "shipped":
                    raise
                logger.warning(
                    "e-mail template %s failed on this message's values (%s); using the "
                    "shipped text for it instead",
                    _name(key),
                    exc.problem,
                )
                key, template = self._shipped_for(lang, kind, part)
                text = _render(template, values, key)
            parts.append(text.strip())
        subject, text, html = parts
        return EmailText(subject=subject, text=text, html=html)

    def _choose(self, lang: str, kind: str, part: str) -> tuple[tuple[str, ...], BoundedTemplate]:
        key = (lang, kind, part)
        if key in self._overrides:
            return key, self._overrides[key]
        return self._shipped_for(lang, kind, part)

    def _shipped_for(
        self, lang: str, kind: str, part: str
    ) -> tuple[tuple[str, ...], BoundedTemplate]:
        language = self.language(lang)
        return ("shipped", language.code, kind, part), language.texts[(kind, part)]


@functools.cache
def _shipped() -> Mapping[str, Language]:
    """Every shipped language file, read and compiled once per process: they are part
    of the server, not of the organisation (about 200 templates: compiling them for
    every organisation version would slow each reload down for nothing)."""
    return MappingProxyType(
        {path.stem: _read_language(path) for path in sorted(SHIPPED.glob("*.toml"))}
    )


def _read_language(path: Path) -> Language:
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    code = path.stem
    words = data["words"]
    missing = [word for word in WORDS if word not in words]
    if missing:
        raise ValueError(f"{path}: [words] lacks {', '.join(missing)}")
    texts: dict[tuple[str, str], BoundedTemplate] = {}
    for kind in EMAIL_KINDS:
        for part in PARTS:
            source = data["kinds"][kind][part]
            texts[(kind, part)] = _compile(source, ("shipped", code, kind, part), part)
    fmt = data["format"]
    return Language(
        code=code,
        words=MappingProxyType(dict(words)),
        weekdays=tuple(fmt["weekdays"]),
        months=tuple(fmt["months"]),
        date_format=fmt["date"],
        time_format=fmt["time"],
        datetime_format=fmt["datetime"],
        meeting_types=MappingProxyType(dict(data["meeting_types"])),
        texts=MappingProxyType(texts),
    )


def _name(key: tuple[str, ...]) -> str:
    return "".join(f"[{part}]" for part in key)


def _compile(source: str, key: tuple[str, ...], part: str) -> BoundedTemplate:
    try:
        return compile_template(source, variables=_VARIABLES, autoescape=part == "html")
    except TemplateRejected as exc:
        raise EmailTemplateError(key, str(exc)) from exc


def _render(
    template: BoundedTemplate, values: Mapping[str, str | None], key: tuple[str, ...]
) -> str:
    try:
        return template.render(values)
    except TemplateRejected as exc:
        raise EmailTemplateError(key, str(exc)) from exc


__all__ = [
    "DEFAULT_LANGUAGE",
    "PARTS",
    "VARIABLES",
    "WORDS",
    "EmailTemplateError",
    "EmailTemplates",
    "EmailText",
    "Language",
    "compile_override",
]
