"""The desk's words: a message catalogue per language, and which language a page uses.

The catalogue is `server/templates/desk/words/<lang>.toml` (en, nl, fr, de: the widget's
languages), tables of keys, read once per process. A key is `table.name`; its text is a
`str.format` pattern (trusted: shipped with the server) filled with named values. Every
language has every key of English (a test says so); a key a language lacks falls back to
English all the same, so a page never breaks.

Which language a page speaks (SPEC 10's rule for agents, switchable on the desk):

- signed in: the one the agent chose on the desk, else the agent's first language that
  the organisation speaks, if the desk has it, else English;
- not signed in: `?lang=`, else the browser's `Accept-Language`, else the organisation's
  first language, among the desk's.

Dates and times use the e-mails' words of the same language (weekday and month names).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from server import config, vocabulary
from server.deliveries.templates import Language
from server.snapshot import Snapshot

LANGUAGES: Final = ("en", "nl", "fr", "de")
DEFAULT: Final = "en"
#: Each language's own name, for the switcher.
NAMES: Final = {"en": "English", "nl": "Nederlands", "fr": "Français", "de": "Deutsch"}
_DIRECTORY: Final = Path(__file__).resolve().parent.parent / "templates" / "desk" / "words"


class Words:
    """The catalogue of one language, and its dates: `words("nav.invites")`,
    `words("problems.too_long", limit=500)`."""

    def __init__(self, lang: str, texts: Mapping[str, str], dates: Language) -> None:
        self.lang = lang
        self._texts = texts
        self._fallback = _catalogue(DEFAULT)
        self._dates = dates

    def __call__(self, key: str, **values: Any) -> str:
        pattern = self._texts.get(key) or self._fallback.get(key)
        if pattern is None:
            raise KeyError(f"the desk has no words for {key!r}")
        return pattern.format(**values) if values else pattern

    def date(self, moment: datetime) -> str:
        return self._dates.date(moment)

    def time(self, moment: datetime) -> str:
        return self._dates.time(moment)

    def date_time(self, moment: datetime) -> str:
        return self._dates.date_time(moment)

    def weekday(self, moment: datetime) -> str:
        return self._dates.weekdays[moment.weekday()]

    def meeting_type(self, meeting_type: str) -> str:
        return self._dates.meeting_types.get(meeting_type, meeting_type)


def words_for(snapshot: Snapshot, lang: str) -> Words:
    lang = lang if lang in LANGUAGES else DEFAULT
    return Words(lang, _catalogue(lang), snapshot.email_templates.language(lang))


def agent_language(snapshot: Snapshot, agent: config.Agent, chosen: str | None) -> str:
    if chosen in LANGUAGES:
        return chosen
    for lang in agent.languages:
        if lang in snapshot.languages and lang in LANGUAGES:
            return lang
    return visitor_language(snapshot, None, None)


def visitor_language(snapshot: Snapshot, asked: str | None, accept_language: str | None) -> str:
    found = vocabulary.choose_language(LANGUAGES, asked, accept_language)
    if found is not None:
        return found
    return next((lang for lang in snapshot.languages if lang in LANGUAGES), DEFAULT)


def keys(lang: str) -> frozenset[str]:
    """Every key of a language's catalogue (for the test that they are complete)."""
    return frozenset(_catalogue(lang))


@functools.cache
def _catalogue(lang: str) -> Mapping[str, str]:
    data: dict[str, Any] = tomllib.loads((_DIRECTORY / f"{lang}.toml").read_text("utf-8"))
    flat = {
        f"{table}.{name}": text for table, entries in data.items() for name, text in entries.items()
    }
    return MappingProxyType(flat)


__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "NAMES",
    "Words",
    "agent_language",
    "visitor_language",
    "words_for",
]
