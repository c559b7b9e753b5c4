from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.tokens import (
    MAX_TOKEN_LENGTH,
    TokenError,
    TokenExpired,
    TokenInvalid,
    Tokens,
    expiry,
    load_or_create_secret,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
tokens = Tokens("test-secret")


def test_a_token_round_trips_with_its_expiry() -> None:
    payload = {"appointment": "abc", "nested": {"n": [1, 2]}, "name": "Éva 日本"}
    token = tokens.dumps("manage", payload, LATER)
    assert tokens.loads("manage", token, NOW) == {**payload, "exp": int(LATER.timestamp())}
    assert expiry(tokens.loads("manage", token, NOW)) == LATER
    assert token.isascii() and "/" not in token and "+" not in token


def test_a_tampered_token_is_invalid() -> None:
    token = tokens.dumps("manage", {"appointment": "abc"}, LATER)
    payload, signature = token.rsplit(".", 1)
    tampered = [
        payload + "." + signature[:-1] + ("A" if signature[-1] != "A" else "B"),
        payload.replace(payload[2], "x" if payload[2] != "x" else "y", 1) + "." + signature,
        payload,
    ]
    for bad in tampered:
        with pytest.raises(TokenInvalid):
            tokens.loads("manage", bad, NOW)


def test_a_token_signed_with_another_secret_is_invalid() -> None:
    token = Tokens("other-secret").dumps("manage", {"appointment": "abc"}, LATER)
    with pytest.raises(TokenInvalid):
        tokens.loads("manage", token, NOW)


@pytest.mark.parametrize(
    ("signed_as", "used_as"),
    [
        pytest.param("hold", "manage", id="hold-as-manage"),
        pytest.param("invite", "manage", id="invite-as-manage"),
        pytest.param("manage", "hold", id="manage-as-hold"),
        pytest.param("manage", "invite", id="manage-as-invite"),
    ],
)
def test_a_token_of_one_kind_is_invalid_as_another(signed_as: str, used_as: str) -> None:
    token = tokens.dumps(signed_as, {"id": "x"}, LATER)  # type: ignore[arg-type]
    with pytest.raises(TokenInvalid):
        tokens.loads(used_as, token, NOW)  # type: ignore[arg-type]


def test_an_old_token_is_expired_not_invalid() -> None:
    token = tokens.dumps("hold", {"hold": "h1"}, LATER)
    assert tokens.loads("hold", token, LATER - timedelta(seconds=1))["hold"] == "h1"
    with pytest.raises(TokenExpired) as caught:
        tokens.loads("hold", token, LATER)
    assert not isinstance(caught.value, TokenInvalid)
    assert isinstance(caught.value, TokenError)


def test_an_old_token_can_be_read_when_its_holder_decides_how_long_it_lives() -> None:
    token = tokens.dumps("manage", {"a": "abc"}, LATER)

    assert tokens.loads_expired_ok("manage", token, NOW) == (
        {"a": "abc", "exp": _unix(LATER)},
        False,
    )
    assert tokens.loads_expired_ok("manage", token, LATER) == (
        {"a": "abc", "exp": _unix(LATER)},
        True,
    )


def test_reading_an_old_token_still_checks_the_signature_and_kind() -> None:
    token = tokens.dumps("manage", {"a": "abc"}, NOW - timedelta(days=400))
    forged = Tokens("other-secret").dumps("manage", {"a": "abc"}, NOW - timedelta(days=400))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad, kind in [(tampered, "manage"), (forged, "manage"), (token, "hold")]:
        with pytest.raises(TokenInvalid):
            tokens.loads_expired_ok(kind, bad, NOW)  # type: ignore[arg-type]


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param("a.b.c.d", id="dots"),
        pytest.param("x" * (MAX_TOKEN_LENGTH + 1), id="too-long"),
        pytest.param("日本.語", id="non-ascii"),
    ],
)
def test_malformed_tokens_are_invalid(token: str) -> None:
    with pytest.raises(TokenInvalid):
        tokens.loads("manage", token, NOW)


def test_exp_is_reserved_and_datetimes_must_be_aware() -> None:
    with pytest.raises(ValueError, match="reserved"):
        tokens.dumps("manage", {"exp": 1}, LATER)
    with pytest.raises(ValueError, match="aware"):
        tokens.dumps("manage", {}, datetime(2026, 3, 2, 9, 0))


def test_the_environment_secret_wins(tmp_path: Path) -> None:
    assert load_or_create_secret(tmp_path / "db.sqlite3", "from-env") == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_a_generated_secret_is_kept_beside_the_database(tmp_path: Path) -> None:
    database = tmp_path / "var" / "rendezvous.sqlite3"
    first = load_or_create_secret(database, None)
    second = load_or_create_secret(database, "")
    path = tmp_path / "var" / "secret_key"
    assert first == second
    assert len(first) >= 64
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == ["secret_key"]  # no temporary files left
    # links signed before a restart still work after it
    token = Tokens(first).dumps("manage", {"a": 1}, LATER)
    assert Tokens(second).loads("manage", token, NOW)["a"] == 1


def test_processes_racing_to_create_the_secret_all_use_one(tmp_path: Path) -> None:
    database = tmp_path / "rendezvous.sqlite3"
    code = (
        "import sys; from pathlib import Path; from server.tokens import load_or_create_secret;"
        "print(load_or_create_secret(Path(sys.argv[1]), None))"
    )
    root = Path(__file__).resolve().parents[2]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(database)], stdout=subprocess.PIPE, text=True, cwd=root
        )
        for _ in range(4)
    ]
    secrets = {child.communicate(timeout=20)[0].strip() for child in children}
    assert secrets == {(tmp_path / "secret_key").read_text().strip()}


def test_an_empty_secret_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="empty"):
        load_or_create_secret(tmp_path / "db.sqlite3", None)
