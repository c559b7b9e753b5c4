"""Hold squatting and bots (docs/bots.md): a cap on one client's live holds, a
proof-of-work challenge (the open ALTCHA protocol) for holds and bookings, a honeypot.

- A **client** is the address the rate limiter sees (`request.client`), stored only as
  a keyed hash (HMAC-SHA256 with a key derived from the secret): the database never
  holds an address, and nobody without the secret can tell whose hash it is.
- A **challenge** (`GET /api/v1/challenge`) is ALTCHA v1: SHA-256, a salt with its
  expiry, `challenge = SHA-256(salt + number)` for a secret number up to
  `challenge_max_number`, signed with an HMAC. The answer (`altcha` in the body: the
  base64 JSON payload the ALTCHA widgets send) is verified with the `altcha` package,
  its expiry against our clock, and used once (`used_challenges`).
- It is required for every hold and booking when `organisation.bots.challenge` is
  `always`; with `auto`, for a client that placed `challenge_after` holds in the last
  `challenge_window` minutes (bookings are not counted; a booking with a live hold
  needs no answer).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import msgspec
from altcha.v1 import ChallengeOptions, create_challenge, extract_params, verify_solution

from server.config import Bots
from server.errors import ChallengeFailed, ChallengeRequired, ValidationFailed
from server.runtime import Runtime
from server.schemas import ChallengeResponse
from server.store import Transaction
from server.tokens import Tokens
from server.vocabulary import from_unix

#: How long a challenge can be answered after it was given.
CHALLENGE_TTL = timedelta(minutes=10)
#: The longest answer read (a payload is ~300 characters).
MAX_ANSWER_LENGTH = 2000
_ALGORITHM: Final = "SHA-256"


@dataclass(frozen=True, slots=True)
class Proof:
    """A verified answer: its signature is its identity (one use)."""

    signature: str
    expires_at: datetime


def client_of(tokens: Tokens, address: str | None) -> str | None:
    """The keyed hash of a client's address (None: no address, as for the desk)."""
    if not address:
        return None
    key = tokens.derived_key("client")
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def challenge(runtime: Runtime) -> ChallengeResponse:
    """A new challenge, as the ALTCHA widgets read it (GET /api/v1/challenge)."""
    made = create_challenge(
        ChallengeOptions(
            algorithm=_ALGORITHM,
            max_number=runtime.snapshot.settings.bots.challenge_max_number,
            hmac_key=runtime.tokens.derived_key("altcha"),
            expires=runtime.now() + CHALLENGE_TTL,
        )
    )
    return ChallengeResponse(
        algorithm=made.algorithm,
        challenge=made.challenge,
        max_number=made.max_number,
        maxnumber=made.max_number,
        salt=made.salt,
        signature=made.signature,
    )


class _Payload(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    algorithm: str
    challenge: str
    number: int
    salt: str
    signature: str


def proof_of(tokens: Tokens, answer: str | None, now: datetime) -> Proof | None:
    """The verified answer in a request; CHALLENGE_FAILED if it is wrong, not ours or
    expired. None: no answer given."""
    if answer is None:
        return None
    try:
        if len(answer) > MAX_ANSWER_LENGTH:
            raise ValueError("too long")
        payload = msgspec.json.decode(base64.b64decode(answer, validate=True), type=_Payload)
    except (ValueError, binascii.Error, msgspec.DecodeError) as exc:
        raise ChallengeFailed() from exc
    if payload.algorithm != _ALGORITHM or payload.number < 0:
        raise ChallengeFailed()
    fields = msgspec.to_builtins(payload)
    ok, _ = verify_solution(fields, tokens.derived_key("altcha"), check_expires=False)
    expires = extract_params(fields).get("expires")
    if not ok or not expires or not expires[0].isdigit():
        raise ChallengeFailed()
    expires_at = from_unix(int(expires[0]))
    if expires_at <= now:
        raise ChallengeFailed("The challenge has expired. Please solve a new one.")
    return Proof(payload.signature, expires_at)


async def guard(
    tx: Transaction,
    bots: Bots,
    client: str | None,
    proof: Proof | None,
    now: datetime,
    *,
    booking: bool = False,
    held: bool = False,
) -> None:
    """Inside the write transaction of a hold or booking: refuse it without an answer
    when one is required (CHALLENGE_REQUIRED), use the answer (CHALLENGE_FAILED if it
    was used before), and count a hold of the client (bookings are not counted: they
    hold nothing, carry a customer's details and are rate limited). `held`: a booking
    with a live hold, which passed this guard when it was placed, needs no answer."""
    required = not held and (
        bots.challenge == "always"
        or (
            bots.challenge == "auto"
            and client is not None
            and await tx.client_activity(client, now - timedelta(minutes=bots.challenge_window))
            >= bots.challenge_after
        )
    )
    if proof is not None:
        if not await tx.use_challenge(proof.signature, proof.expires_at, now):
            raise ChallengeFailed("This challenge was answered before. Please solve a new one.")
    elif required:
        raise ChallengeRequired()
    if client is not None and not booking:
        window = timedelta(minutes=bots.challenge_window)
        await tx.note_client_activity(client, now, now - window)


def check_honeypot(value: str | None) -> None:
    """A filled honeypot (a field people never see) is refused quietly: the one error
    shape, with nothing that tells a bot which field gave it away."""
    if value:
        raise ValidationFailed.at("$", "The request could not be accepted.")
