"""Signed tokens for manage links, holds and invites (SPEC 5).

Each kind is signed with its own salt (`rendezvous.manage`, `rendezvous.hold`,
`rendezvous.invite`, `rendezvous.form`, and the desk's `rendezvous.desk_sign_in`,
`rendezvous.desk_session`, `rendezvous.desk_form`), so a token of one kind is never
accepted as another. Each token carries its own expiry (`exp`, unix seconds, inside the
signed payload), so the verifier needs no max_age and every kind can have its own
lifetime.

A token is read only in the exact form we issue (`well_formed`): ASCII, a payload of
canonical unpadded base64url (JSON, or `.` and zlib-compressed JSON), a dot, and a
signature of canonical base64url of exactly the signer's length. itsdangerous alone
is lenient: it drops non-ASCII characters from a signature (`é`, a zero-width space),
ignores `=` padding, and reads the unused low bits of the last base64 character, so
many strings verify as one token. Anything but the one form we issue is TokenInvalid.

Errors::

    TokenError
    ├── TokenInvalid   bad signature, wrong kind, malformed, too long  → 401 TOKEN_INVALID
    └── TokenExpired   signed by us, but `now` is past its `exp`        → 410 TOKEN_EXPIRED
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeAlias, get_args

from itsdangerous import BadData, URLSafeSerializer

from server.files import private_directory
from server.vocabulary import from_unix, to_unix

TokenKind: TypeAlias = Literal[
    "manage",
    "hold",
    "invite",
    # The hosted page's forms (`server.hosted.guard`), which are not API tokens.
    "form",
    # The desk (SPEC 11): the sign-in link, the session cookie, a form's cross-site token.
    "desk_sign_in",
    "desk_session",
    "desk_form",
]
KINDS: tuple[TokenKind, ...] = get_args(TokenKind)
#: Longer strings are refused before any decoding.
MAX_TOKEN_LENGTH = 2048
SECRET_FILE_NAME = "secret_key"
#: The issued form: an optional `.` (compressed payload), base64url, `.`, base64url.
_SHAPE = re.compile(r"(\.?)([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)", re.ASCII)


class TokenError(Exception):
    pass


class TokenInvalid(TokenError):
    pass


class TokenExpired(TokenError):
    pass


class Tokens:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the secret key is empty")
        self._serializers = {
            kind: URLSafeSerializer(secret, salt=f"rendezvous.{kind}") for kind in KINDS
        }
        self._secret = secret.encode("utf-8")
        # Every kind signs with the same digest: the length of its signature in base64url.
        signer = self._serializers[KINDS[0]].make_signer()
        self._signature_length = len(signer.get_signature(b""))

    def derived_key(self, purpose: str) -> bytes:
        """A key for `purpose` (HMAC-SHA256 of the secret): other uses of the secret
        (the keyed hash of a client's address, ALTCHA challenges) never share a key
        with the tokens or with each other."""
        return hmac.new(self._secret, f"rendezvous.{purpose}".encode(), hashlib.sha256).digest()

    def dumps(self, kind: TokenKind, payload: dict[str, Any], expires_at: datetime) -> str:
        """Sign `payload` (JSON-serialisable; the key `exp` is reserved) until `expires_at`."""
        if "exp" in payload:
            raise ValueError("'exp' is reserved in a token payload")
        token = self._serializer(kind).dumps({**payload, "exp": to_unix(expires_at)})
        assert isinstance(token, str)
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError(f"a {kind} token would be {len(token)} characters long")
        return token

    def loads(self, kind: TokenKind, token: str, now: datetime) -> dict[str, Any]:
        """The payload, with `exp` (unix seconds) added, of a valid, unexpired token."""
        payload, expired = self.loads_expired_ok(kind, token, now)
        if expired:
            raise TokenExpired(f"the {kind} token expired")
        return payload

    def loads_expired_ok(
        self, kind: TokenKind, token: str, now: datetime
    ) -> tuple[dict[str, Any], bool]:
        """The payload of a token signed by us, and whether `now` is past its `exp`.

        For a caller whose own data decides how long a token lives (a manage link lives
        as long as its appointment, which can move): a bad signature is still
        TokenInvalid, but an old token is handed back, flagged, instead of refused.
        """
        serializer = self._serializer(kind)
        if not well_formed(token, self._signature_length):
            raise TokenInvalid("malformed token")
        try:
            payload = serializer.loads(token)
        except BadData as exc:
            raise TokenInvalid("bad signature or malformed token") from exc
        if not isinstance(payload, dict) or type(payload.get("exp")) is not int:
            raise TokenInvalid("malformed token payload")
        return payload, to_unix(now) >= payload["exp"]

    def _serializer(self, kind: TokenKind) -> URLSafeSerializer:
        try:
            return self._serializers[kind]
        except KeyError:
            raise ValueError(f"unknown token kind {kind!r}") from None


def well_formed(token: object, signature_length: int) -> bool:
    """Whether `token` has exactly the form of a token we issue (see the module's notes):
    the check before any signature is verified, so no other spelling of a valid token
    (extra characters, padding, other unused bits) is accepted."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return False
    shape = _SHAPE.fullmatch(token)
    if shape is None:
        return False
    _compressed, payload, signature = shape.groups()
    return (
        len(signature) == signature_length
        and _canonical_base64url(payload)
        and _canonical_base64url(signature)
    )


def _canonical_base64url(text: str) -> bool:
    """Whether `text` (base64url characters) is the unpadded encoding of some bytes that
    encode back to exactly `text`: no impossible length, no set unused bits."""
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(decoded).rstrip(b"=").decode("ascii") == text


def expiry(payload: dict[str, Any]) -> datetime:
    """The expiry of a payload returned by `Tokens.loads`, as an aware UTC datetime."""
    return from_unix(payload["exp"])


def load_or_create_secret(database_path: Path, env_value: str | None) -> str:
    """The signing secret: `env_value` (RENDEZVOUS_SECRET_KEY) if set; else the content of
    `secret_key` beside the database, created once (mode 0600) if it does not exist.

    The file appears atomically with its full content (written to a temporary file, then
    hard-linked into place, which fails if the name exists), so when several processes
    start at once exactly one secret wins and every process reads that one.
    """
    if env_value:
        return env_value
    directory = Path(database_path).parent
    private_directory(directory)  # 0700 when created here
    path = directory / SECRET_FILE_NAME
    if not path.exists():
        _create_secret_file(path)
    secret = path.read_text(encoding="utf-8").strip()
    if not secret:
        raise RuntimeError(f"{path} is empty: delete it to generate a new secret key")
    return secret


def _create_secret_file(path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
            file.flush()
            os.fsync(file.fileno())
        # link, unlike replace, fails if another process created the file first: the
        # first secret wins and nobody ever signs with one that is later overwritten.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


__all__ = [
    "KINDS",
    "MAX_TOKEN_LENGTH",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenKind",
    "Tokens",
    "expiry",
    "load_or_create_secret",
    "well_formed",
]
