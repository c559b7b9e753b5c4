"""What goes wrong on the desk, said in the desk's words.

The desk is pages for people, not the JSON API: a problem is a catalogue key (and its
values) that the route renders in the agent's language, with an HTTP status. A form's
problems name their fields, so each message is shown beside its field.

    Problem                 a page-level message (status as given)
    └── FormProblems        422: one message per field of a form

The services raise these; what the booking core raises (`server.errors`) is turned into
one by `from_error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.errors import (
    ExpiredToken,
    HoldExpired,
    InvalidToken,
    InviteUsed,
    NoAvailability,
    NotFound,
    RendezvousError,
    ValidationFailed,
)


class Problem(Exception):
    def __init__(self, key: str, status_code: int = 400, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.status_code = status_code
        self.values = values


class FormProblems(Problem):
    """Bad input on a form: nothing was written. `fields` maps a field's name to its
    message (a catalogue key and its values)."""

    def __init__(self, fields: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        super().__init__("problems.form", 422)
        self.fields = dict(fields)


def not_found() -> Problem:
    """404: the same whether the thing does not exist or is someone else's."""
    return Problem("problems.not_found", 404)


def from_error(error: RendezvousError) -> Problem:
    """A problem of the booking core (`server.errors`) in the desk's words. A message the
    catalogue has no words for is shown as the core wrote it (`problems.detail`)."""
    if isinstance(error, NoAvailability):
        return Problem("problems.taken", 409)
    if isinstance(error, HoldExpired):
        return Problem("problems.taken", 409)
    if isinstance(error, NotFound):
        return Problem("problems.not_found", 404)
    if isinstance(error, InviteUsed | ExpiredToken | InvalidToken):
        return Problem("problems.detail", error.status_code, detail=error.message)
    if isinstance(error, ValidationFailed):
        return Problem("problems.detail", 422, detail=error.message)
    return Problem("problems.detail", error.status_code, detail=error.message)


__all__ = ["FormProblems", "Problem", "from_error", "not_found"]
