"""What the signed tokens of holds and manage links say (an invite's: `invites.verify`).

Reading a token is pure (a signature check and the clock): the services read tokens
before they open a write transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from server.errors import HoldExpired, InvalidToken
from server.snapshot import Snapshot
from server.store import AppointmentRow
from server.tokens import TokenExpired, TokenInvalid, Tokens


def manage_until(snapshot: Snapshot, row: AppointmentRow) -> datetime:
    """Until when the appointment's manage links work: `organisation.manage_days_after`
    days after it ends, read from the appointment as it is now (it may have moved)."""
    return row.end + timedelta(days=snapshot.settings.manage_days_after)


def manage_token(snapshot: Snapshot, tokens: Tokens, row: AppointmentRow) -> str:
    """The token of the manage links. Its `exp` is `manage_until` at the time of issue,
    which keeps the links of an unchanged appointment the same; whether a token still
    works is decided by `manage.managed` from the appointment as it is now."""
    return tokens.dumps("manage", {"a": row.id}, manage_until(snapshot, row))


def hold_id(tokens: Tokens, token: str, now: datetime) -> str:
    """The hold id in a hold token; a hold token's expiry is the hold's (HOLD_EXPIRED)."""
    try:
        payload = tokens.loads("hold", token, now)
    except TokenExpired as exc:
        raise HoldExpired() from exc
    except TokenInvalid as exc:
        raise InvalidToken("This reservation is not valid.") from exc
    found = payload.get("h")
    if not isinstance(found, str):
        raise InvalidToken("This reservation is not valid.")
    return found


def appointment_id(tokens: Tokens, token: str, now: datetime) -> tuple[str, bool]:
    """The appointment id in a manage token (401 when tampered), and whether the token is
    past its own `exp`: `manage.managed` decides, from the appointment, whether the link
    still works (a manage link lives as long as its appointment, which can move)."""
    try:
        payload, expired = tokens.loads_expired_ok("manage", token, now)
    except TokenInvalid as exc:
        raise InvalidToken() from exc
    found = payload.get("a")
    if not isinstance(found, str):
        raise InvalidToken()
    return found, expired
