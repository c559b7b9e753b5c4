"""Tokens are read only in the one form we issue (issue 9, item 5).

itsdangerous on its own accepts many spellings of one token: it drops non-ASCII
characters from a signature, ignores `=` padding and the unused low bits of the last
base64 character. Each such spelling must be TOKEN_INVALID and change nothing.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from server.booking import invites
from server.tokens import KINDS, TokenInvalid, TokenKind, Tokens, well_formed
from tests.server._booking import (
    appointment_body,
    book,
    error,
    iso,
    manage_token,
    offered,
    runtime,
)
from tests.support import NOW

pytestmark = pytest.mark.organisation("manage")

TOMORROW = date(2026, 11, 25)
LATER = NOW + timedelta(days=1)
tokens = Tokens("test-secret")

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

#: Additions that itsdangerous alone ignores (the audit's finds), and others.
SUFFIXES = ["é", "\u200b", "==", "=", "%3D", " ", "\n", "\x00", "\ufeff", ".", "A"]
PREFIXES = ["\u200b", "\ufeff", " ", "é", "="]


def other_unused_bits(token: str) -> list[str]:
    """The spellings of `token` whose signature's last character differs only in the bits
    base64 leaves unused (27 characters carry 162 bits for a 160-bit signature)."""
    index = ALPHABET.index(token[-1])
    return [
        token[:-1] + ALPHABET[(index & ~3) | low]
        for low in range(4)
        if token[-1] != ALPHABET[(index & ~3) | low]
    ]


def malleated(token: str) -> list[str]:
    return (
        [token + suffix for suffix in SUFFIXES]
        + [prefix + token for prefix in PREFIXES]
        + other_unused_bits(token)
        + [token.replace(".", "=.", 1), token.replace(".", "..", 1)]
    )


# -- the token module --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_other_spelling_of_a_token_of_any_kind_is_invalid(kind: TokenKind) -> None:
    token = tokens.dumps(kind, {"id": "abc"}, LATER)
    assert tokens.loads(kind, token, NOW)["id"] == "abc"
    for bad in malleated(token):
        with pytest.raises(TokenInvalid):
            tokens.loads(kind, bad, NOW)
        with pytest.raises(TokenInvalid):
            tokens.loads_expired_ok(kind, bad, NOW)


def test_a_compressed_token_is_read_and_its_other_spellings_are_not() -> None:
    token = tokens.dumps("invite", {"note": "x" * 400}, LATER)
    assert token.startswith(".")  # itsdangerous compressed the payload
    assert tokens.loads("invite", token, NOW)["note"] == "x" * 400
    for bad in [*malleated(token), token[1:], "." + token]:
        with pytest.raises(TokenInvalid):
            tokens.loads("invite", bad, NOW)


@pytest.mark.parametrize(
    "text",
    ["", ".", "a.b", "eyJ.", ".eyJ", "eyJhIjoxfQ", "eyJhIjoxfQ.", "é" * 40, None, 42],
)
def test_shapes_we_never_issue_are_not_well_formed(text: object) -> None:
    assert not well_formed(text, 27)


def test_the_tokens_we_issue_are_well_formed() -> None:
    for kind in KINDS:
        for payload in ({}, {"a": "é" * 30}, {"n": list(range(200))}):
            assert well_formed(tokens.dumps(kind, payload, LATER), 27)


@st.composite
def changed_tokens(draw: st.DrawFn) -> tuple[TokenKind, str, str]:
    """A valid token and a different string made from it by insertions, deletions and
    replacements of any characters (ASCII, the token's alphabet, or any Unicode)."""
    kind = draw(st.sampled_from(KINDS))
    payload = draw(
        st.dictionaries(st.sampled_from(["a", "h", "s", "l"]), st.text(max_size=20), max_size=3)
    )
    token = tokens.dumps(kind, payload, LATER)
    chars = st.one_of(
        st.sampled_from(ALPHABET + ".=+/ "), st.characters(codec="utf-8"), st.just("\u200b")
    )
    changed = list(token)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(changed)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            changed.insert(position, draw(chars))
        elif changed and position < len(changed):
            if action == "delete":
                del changed[position]
            else:
                changed[position] = draw(chars)
    return kind, token, "".join(changed)


@given(changed_tokens())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_any_change_to_a_valid_token_is_refused(case: tuple[TokenKind, str, str]) -> None:
    kind, token, changed = case
    if changed == token:
        assert tokens.loads(kind, changed, NOW)["exp"] == int(LATER.timestamp())
        return
    with pytest.raises(TokenInvalid):
        tokens.loads(kind, changed, NOW)


@given(st.binary(min_size=20, max_size=20), st.binary(min_size=1, max_size=60))
@settings(max_examples=200)
def test_only_canonical_base64_is_well_formed(signature: bytes, payload: bytes) -> None:
    def encode(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    token = f"{encode(payload)}.{encode(signature)}"
    assert well_formed(token, 27)
    for bad in other_unused_bits(token):
        assert not well_formed(bad, 27)


# -- through the HTTP API ----------------------------------------------------------------


def farids_starts(client: TestClient) -> list[datetime]:
    return offered(client, "insurance", "OFFICE", "brussels", first_day=TOMORROW, days=1)


def booked(client: TestClient, start: datetime) -> str:
    response = book(client, appointment_body("insurance", "OFFICE", start, "brussels"))
    assert response.status_code == 201, response.text
    return manage_token(response)


def path_safe(token: str) -> list[str]:
    """The malleated spellings that can travel in a URL path segment as they are (the
    test client percent-encodes the rest, which the server decodes back)."""
    return [bad for bad in malleated(token) if "\n" not in bad and "\x00" not in bad]


def test_a_cancellation_with_a_tampered_manage_token_is_refused_and_the_appointment_stays(
    client: TestClient,
) -> None:
    start = farids_starts(client)[0]
    token = booked(client, start)

    for bad in path_safe(token):
        response = client.post(f"/api/v1/appointments/{bad}/cancel")
        assert error(response) == (401, "TOKEN_INVALID", []), repr(bad)
        assert error(client.get(f"/api/v1/appointments/{bad}"))[:2] == (401, "TOKEN_INVALID")
        moved = client.post(f"/api/v1/appointments/{bad}/reschedule", json={"start": iso(start)})
        assert error(moved)[:2] == (401, "TOKEN_INVALID")

    shown = client.get(f"/api/v1/appointments/{token}").json()["appointment"]
    assert (shown["status"], shown["sequence"]) == ("confirmed", 0)
    assert start not in farids_starts(client)


def test_the_hosted_page_does_not_open_a_tampered_manage_link(client: TestClient) -> None:
    token = booked(client, farids_starts(client)[0])
    shown = client.get("/book", params={"manage": token})
    assert shown.status_code == 200
    assert "action=cancel" in shown.text
    for bad in malleated(token):
        page = client.get("/book", params={"manage": bad})
        # The hosted page's answer to a link it cannot open (as for an unknown one).
        assert page.status_code == 404, repr(bad)
        assert "action=cancel" not in page.text


def test_a_booking_with_a_tampered_hold_token_is_refused_and_books_nothing(
    client: TestClient,
) -> None:
    start = farids_starts(client)[0]
    held = client.post(
        "/api/v1/holds",
        json={
            "subject": "insurance",
            "meeting_type": "OFFICE",
            "office": "brussels",
            "start": iso(start),
        },
    )
    assert held.status_code == 201, held.text
    token = held.json()["hold"]

    for bad in malleated(token):
        body = appointment_body("insurance", "OFFICE", start, "brussels", hold=bad)
        assert error(book(client, body)) == (401, "TOKEN_INVALID", []), repr(bad)
    for bad in path_safe(token):
        assert error(client.delete(f"/api/v1/holds/{bad}"))[:2] == (401, "TOKEN_INVALID")

    assert start not in farids_starts(client)  # the hold was not released
    booked_with_hold = book(
        client, appointment_body("insurance", "OFFICE", start, "brussels", hold=token)
    )
    assert booked_with_hold.status_code == 201, booked_with_hold.text


def test_a_tampered_invite_is_refused_for_showing_holding_and_booking(client: TestClient) -> None:
    token = invites.mint(runtime(client).tokens, agent="farid", expires_at=NOW + timedelta(days=7))
    start = farids_starts(client)[0]
    assert client.get(f"/api/v1/invites/{token}").status_code == 200

    for bad in path_safe(token):
        assert error(client.get(f"/api/v1/invites/{bad}")) == (401, "TOKEN_INVALID", []), repr(bad)
    for bad in malleated(token):
        hold = client.post(
            "/api/v1/holds",
            json={
                "subject": "insurance",
                "meeting_type": "OFFICE",
                "office": "brussels",
                "start": iso(start),
                "invite": bad,
            },
        )
        assert error(hold)[:2] == (401, "TOKEN_INVALID"), repr(bad)
        body = appointment_body("insurance", "OFFICE", start, "brussels", invite=bad)
        assert error(book(client, body))[:2] == (401, "TOKEN_INVALID"), repr(bad)

    assert start in farids_starts(client)  # nothing was held or booked
