"""The desk's words (en, nl, fr, de): every language says everything English says,
with the same placeholders, and every key the pages use exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from server.desk import words

pytestmark = pytest.mark.organisation("demo")  # the desk of the demo bank

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "server" / "templates" / "desk"
ENGLISH = words.keys("en")


def placeholders(lang: str, key: str) -> set[str]:
    from server.desk.words import _catalogue

    return {name for _, name, _, _ in string.Formatter().parse(_catalogue(lang)[key]) if name}


@pytest.mark.parametrize("lang", [lang for lang in words.LANGUAGES if lang != "en"])
def test_every_language_has_every_key_with_its_placeholders(lang: str) -> None:
    assert words.keys(lang) == ENGLISH
    for key in ENGLISH:
        assert placeholders(lang, key) == placeholders("en", key), (lang, key)


def test_every_key_the_pages_and_services_name_exists() -> None:
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z_]+\.[a-z_]*[a-z])["']""", path.read_text()))
    for path in (ROOT / "server" / "desk").glob("*.py"):
        used |= set(re.findall(r'"((?:problems|done)\.[a-z_]+)"', path.read_text()))
    assert used
    assert used <= ENGLISH, used - ENGLISH
