"""The widget's four language files say the same things: the same keys, and the same
`{placeholders}` in each text (plugin/i18n/*.js)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parents[2] / "plugin" / "i18n"
LANGUAGES = ("en", "nl", "fr", "de")
#: One entry per line: `key: 'text',` or `'key-with-dash': 'text',`.
_ENTRY = re.compile(
    r"^  (?:(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|'(?P<quoted>[^']+)'): '(?P<text>[^']*)',$"
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def words(lang: str) -> dict[str, str]:
    """The texts of plugin/i18n/{lang}.js by key; any line it cannot read fails the test."""
    lines = (I18N / f"{lang}.js").read_text().splitlines()
    assert "export default {" in lines and lines[-1] == "};", f"{lang}.js: not one object"
    body = lines[lines.index("export default {") + 1 : -1]
    found: dict[str, str] = {}
    for number, line in enumerate(body, start=lines.index("export default {") + 2):
        if not line.strip() or line.strip().startswith("//"):
            continue
        match = _ENTRY.match(line)
        assert match, f"{lang}.js line {number}: cannot read {line!r}"
        key = match["bare"] or match["quoted"]
        assert key not in found, f"{lang}.js line {number}: {key!r} twice"
        found[key] = match["text"]
    return found


def test_the_language_files_are_exactly_the_widgets_languages() -> None:
    assert sorted(p.stem for p in I18N.glob("*.js")) == sorted(LANGUAGES)
    widget_languages = (I18N.parent / "format.js").read_text()
    assert "export const LANGUAGES = ['en', 'nl', 'fr', 'de'];" in widget_languages


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_the_same_keys_as_english(lang: str) -> None:
    english, other = words("en"), words(lang)
    assert sorted(set(english) - set(other)) == [], f"missing in {lang}.js"
    assert sorted(set(other) - set(english)) == [], f"only in {lang}.js"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_has_the_placeholders_of_its_english_text(lang: str) -> None:
    english, other = words("en"), words(lang)
    different = {
        key: (sorted(_PLACEHOLDER.findall(text)), sorted(_PLACEHOLDER.findall(other[key])))
        for key, text in english.items()
        if key in other
        and sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(other[key]))
    }
    assert different == {}, f"{lang}.js: placeholders differ from en.js (en, {lang})"


def test_no_text_is_empty() -> None:
    empty = [(lang, key) for lang in LANGUAGES for key, text in words(lang).items() if not text]
    assert empty == []
