"""One organisation version with everything derived from it (server/snapshot.py)."""

from __future__ import annotations

import pytest

import availability
from server import config
from server.snapshot import Kind, Snapshot
from tests.support import organisation_path, organisation_text

#: Four offices (Ghent closed), nine agents (Ines not active, Jan not online), a hidden
#: subject, external ids, categories out of order: tests/server/organisations/catalog.toml.
LOADED = config.load(organisation_path("catalog"))
SNAPSHOT = Snapshot.build(LOADED)
HIDDEN = "estate-planning"


def test_items_are_indexed_by_id_in_the_files_order() -> None:
    file = LOADED.organisation

    assert list(SNAPSHOT.subjects) == [subject.id for subject in file.subjects]
    assert list(SNAPSHOT.offices) == ["brussels", "antwerp", "london", "ghent"]
    assert SNAPSHOT.agents["alice"] is next(a for a in file.agents if a.id == "alice")


def test_categories_come_in_their_order() -> None:
    assert [category.id for category in SNAPSHOT.categories] == ["loans", "savings", "insurance"]


@pytest.mark.parametrize(
    ("kind", "value", "found"),
    [
        pytest.param("subject", "mortgage", "mortgage", id="an-id"),
        pytest.param("subject", "ext:SUB-17", "mortgage", id="an-external-id"),
        pytest.param("office", "ext:OFF-ANR", "antwerp", id="an-offices-external-id"),
        pytest.param("agent", "ext:EMP-0043", "bob", id="an-agents-external-id"),
        pytest.param("agent", "EMP-0043", None, id="an-external-id-without-ext"),
        pytest.param("office", "ext:EMP-0043", None, id="an-external-id-of-another-kind"),
        pytest.param("agent", "ext:", None, id="ext-alone"),
        pytest.param("subject", "boat", None, id="unknown"),
    ],
)
def test_resolve_reads_ids_and_ext_external_ids(kind: Kind, value: str, found: str | None) -> None:
    assert SNAPSHOT.resolve(kind, value) == found


def test_the_pools_are_the_engines_own_rule_and_any_office_merges_them() -> None:
    by_combination = availability.servers(SNAPSHOT.engine)
    anywhere: dict[tuple[str, str], set[str]] = {}
    for (subject, meeting_type, office), able in by_combination.items():
        assert SNAPSHOT.pool(subject, meeting_type, office) == tuple(sorted(able))
        anywhere.setdefault((subject, meeting_type), set()).update(able)
    for (subject, meeting_type), able in anywhere.items():
        assert SNAPSHOT.pool(subject, meeting_type, None) == tuple(sorted(able))
    assert SNAPSHOT.pool("mortgage", "OFFICE", "brussels") == ("alice", "bob")  # not Jan
    assert SNAPSHOT.pool("mortgage", "OFFICE", "antwerp") == ("bob",)
    assert SNAPSHOT.pool("mortgage", "OFFICE", None) == ("alice", "bob", "george")
    assert SNAPSHOT.pool("savings", "OFFICE", "ghent") == ()  # closed
    assert SNAPSHOT.pool("home-insurance", "PHONE", "antwerp") == ()  # David's hours, Ines


def test_customers_book_the_served_combinations_of_subjects_they_see() -> None:
    assert set(SNAPSHOT.combinations) == {
        key for key in SNAPSHOT.servers if key[2] is not None and key[0] != HIDDEN
    }
    assert ("estate-planning", "OFFICE", "brussels") in SNAPSHOT.servers
    assert SNAPSHOT.served_by["chloe"] == {("savings", "OFFICE", "antwerp")}
    assert "bob" in SNAPSHOT.pool(HIDDEN, "OFFICE", "brussels")
    assert all(combination[0] != HIDDEN for combination in SNAPSHOT.served_by["bob"])
    assert "jan" not in SNAPSHOT.served_by
    assert "ines" not in SNAPSHOT.served_by


def test_only_an_invite_opens_a_hidden_subject() -> None:
    opened = SNAPSHOT.engine_for(HIDDEN)

    assert SNAPSHOT.engine_for(None) is SNAPSHOT.engine
    assert SNAPSHOT.engine_for("mortgage") is SNAPSHOT.engine  # not hidden: nothing to open
    assert opened.subjects[HIDDEN].available_for_customers is True
    assert SNAPSHOT.engine.subjects[HIDDEN].available_for_customers is False
    assert opened.subjects["mortgage"] is SNAPSHOT.engine.subjects["mortgage"]
    assert set(SNAPSHOT.opened_engines) == {HIDDEN}


def test_bookable_adds_an_opened_hidden_subject_and_nothing_else() -> None:
    assert SNAPSHOT.bookable() == SNAPSHOT.combinations
    assert SNAPSHOT.bookable("mortgage") == SNAPSHOT.combinations
    extra = set(SNAPSHOT.bookable(HIDDEN)) - set(SNAPSHOT.combinations)
    assert extra == {(HIDDEN, "OFFICE", "brussels"), (HIDDEN, "VIDEO", "brussels")}


def test_allowed_origins_are_the_public_urls_and_the_listed_ones_normalised() -> None:
    text = organisation_text("catalog").replace(
        'public_url = "http://127.0.0.1:8000"',
        'public_url = "https://Book.Bank.example:443/rendezvous/"\n'
        'allowed_origins = ["https://www.bank.example", "http://localhost:8001"]',
    )

    snapshot = Snapshot.build(config.loads(text))

    assert snapshot.allowed_origins == {
        "https://book.bank.example",
        "https://www.bank.example",
        "http://localhost:8001",
    }
    assert snapshot.public_url == "https://Book.Bank.example:443/rendezvous"


@pytest.mark.parametrize(
    ("requested", "header", "language"),
    [
        pytest.param("nl", None, "nl", id="spoken"),
        pytest.param("fr-BE", None, "fr", id="its-primary-language"),
        pytest.param("de", "nl;q=0.5, fr;q=0.9", "fr", id="else-the-header"),
        pytest.param("de", None, "en", id="else-the-first-language"),
    ],
)
def test_the_language_of_an_answer(requested: str, header: str | None, language: str) -> None:
    assert SNAPSHOT.language(requested, header) == language


def test_an_answer_with_its_own_texts_may_speak_more_languages() -> None:
    assert SNAPSHOT.language("de") == "en"
    assert SNAPSHOT.language("de", also=("de",)) == "de"


def test_translatable_text_falls_back_to_the_first_language() -> None:
    mortgage = SNAPSHOT.subjects["mortgage"]

    assert SNAPSHOT.text(mortgage.name, "fr") == "Crédit hypothécaire"
    assert SNAPSHOT.text(mortgage.questions[0].label, "fr") == (
        "How much would you like to borrow (EUR)?"
    )
    assert SNAPSHOT.name == "Test Bank"
