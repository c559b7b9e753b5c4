"""When a failed delivery is tried again, and when it is given up (SPEC 10).

After the n-th failed attempt the next one waits DELAYS[n-1] (1 min, 5 min, 30 min,
2 h, 6 h), then every 6 h; the last attempt is made at the delivery's `expires_at` (48 h
after it was first due, `outbox.GIVE_UP_AFTER`) and a failure then is final: `failed`.
A permanent refusal (an SMTP 5xx for the recipient or the message, a webhook's 410
Gone) is `failed` at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from server.deliveries.kinds import DeliveryStatus
from server.store import DeliveryRow

DELAYS: Final = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
#: The delay after the last of DELAYS, again and again until `expires_at`.
EVERY: Final = timedelta(hours=6)
#: The longest error kept with a delivery.
MAX_ERROR: Final = 500


class SendFailed(Exception):
    """One attempt failed: `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Outcome:
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1-based)."""
    return DELAYS[attempts - 1] if attempts <= len(DELAYS) else EVERY


def sent(row: DeliveryRow, now: datetime) -> Outcome:
    return Outcome("sent", row.attempts + 1, now, None)


def skipped(row: DeliveryRow, now: datetime, reason: str) -> Outcome:
    """Not sent, and never will be: a reminder of an appointment that changed."""
    return Outcome("skipped", row.attempts, now, reason[:MAX_ERROR])


def failed(row: DeliveryRow, now: datetime, error: SendFailed) -> Outcome:
    """The outcome of a failed attempt: tried again later, or given up."""
    attempts = row.attempts + 1
    message = str(error)[:MAX_ERROR] or type(error).__name__
    if error.permanent or now >= row.expires_at:
        return Outcome("failed", attempts, now, message)
    return Outcome("pending", attempts, min(now + delay(attempts), row.expires_at), message)


def released(row: DeliveryRow) -> Outcome:
    """Given back unattempted (the claim's lease ran short): as it was."""
    return Outcome(row.status, row.attempts, row.next_attempt_at or row.due_at, row.last_error)


__all__ = [
    "DELAYS",
    "EVERY",
    "Outcome",
    "SendFailed",
    "delay",
    "failed",
    "released",
    "sent",
    "skipped",
]
