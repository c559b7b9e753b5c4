"""The organisation file's part of the desk: `[[offices]] managers`, checked by
`rendezvous check`; and the sign-in e-mail, previewed and in the agent's language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from server import cli, config
from server.deliveries import preview
from server.snapshot import Snapshot
from server.tokens import Tokens
from tests.support import DEMO as DEMO_CONFIG

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank


def with_managers(managers: str) -> str:
    text = DEMO_CONFIG.read_text()
    return text.replace('managers = ["jan"]', f"managers = {managers}", 1)


def test_the_demo_names_a_manager_of_brussels() -> None:
    snapshot = Snapshot.build(config.load(DEMO_CONFIG))
    assert snapshot.managed_by == {"jan": frozenset({"brussels"})}


@pytest.mark.parametrize(
    ("managers", "message"),
    [
        ('["zoe"]', 'offices[0].managers[0]: unknown agent "zoe"'),
        ('["jan", "jan"]', 'offices[0].managers[1]: agent "jan" is listed twice'),
        ('"jan"', "offices[0].managers"),
        ('["not an id!"]', "offices[0].managers[0]"),
    ],
)
def test_rendezvous_check_names_a_bad_manager(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], managers: str, message: str
) -> None:
    path = tmp_path / "organisation.toml"
    path.write_text(with_managers(managers))
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", str(path)])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "sign-in link"),
        ("nl", "aanmeldlink"),
        ("fr", "lien de connexion"),
        ("de", "Anmeldelink"),
    ],
)
def test_the_sign_in_email_previews_in_each_language(tmp_path: Path, lang: str, words: str) -> None:
    snapshot = Snapshot.build(config.load(DEMO_CONFIG))
    found = preview.render(
        snapshot,
        Tokens("k" * 32),
        "agent_sign_in",
        lang,
        tmp_path,
        datetime(2026, 11, 24, tzinfo=UTC),
    )
    assert words in found.subject
    html = found.html.read_text()
    assert "/desk/sign-in/" in html and "15" in html
