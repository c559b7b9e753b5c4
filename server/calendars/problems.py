"""Why a calendar could not be read or written (SPEC 12), as one error tree:

    CalendarProblem            the base: `problem` (a code), a message, `transient`
     ├── MissingSecret         missing_secret  an environment variable is not set
     ├── Unreachable           unreachable     no connection (DNS, refused, TLS)      transient
     ├── TimedOut              timeout         no complete answer within the time    transient
     ├── Refused               refused         401 / 403: the credentials or the link
     ├── NotFound              not_found       404 / 410: the address is gone
     ├── HTTPStatus            http_error      another answer, not 2xx (5xx, 429: transient)
     ├── BadRedirect           bad_redirect    too many redirects, or one to another scheme
     ├── TooLarge              too_large       more than 10 MB
     ├── Unparsable            unparsable      not iCalendar, or an event that cannot be read
     ├── TooComplex            too_complex     too many instances, or reading takes too long
     └── WriteRefused          write_refused   the CalDAV server refused an appointment

The code is stored with the calendar's state, shown by `rendezvous calendars`, and
chooses the advice in the e-mail to the calendar's owner (`agent_calendar_broken`). A
message never holds a secret: no feed address, no password.
"""

from __future__ import annotations

from typing import ClassVar, Final, Literal, get_args

Problem = Literal[
    "missing_secret",
    "unreachable",
    "timeout",
    "refused",
    "not_found",
    "http_error",
    "bad_redirect",
    "too_large",
    "unparsable",
    "too_complex",
    "write_refused",
]
PROBLEMS: Final[tuple[Problem, ...]] = get_args(Problem)


class CalendarProblem(Exception):
    """A calendar could not be read or written; `str()` says what, without secrets."""

    problem: ClassVar[Problem]

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


class MissingSecret(CalendarProblem):
    problem = "missing_secret"


class Unreachable(CalendarProblem):
    problem = "unreachable"

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


class TimedOut(CalendarProblem):
    problem = "timeout"

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


class Refused(CalendarProblem):
    problem = "refused"


class NotFound(CalendarProblem):
    problem = "not_found"


class HTTPStatus(CalendarProblem):
    problem = "http_error"

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(
            message or f"the server answered HTTP {status}",
            transient=status >= 500 or status in (408, 425, 429),
        )
        self.status = status


class BadRedirect(CalendarProblem):
    problem = "bad_redirect"


class TooLarge(CalendarProblem):
    problem = "too_large"


class Unparsable(CalendarProblem):
    problem = "unparsable"


class TooComplex(CalendarProblem):
    problem = "too_complex"


class WriteRefused(CalendarProblem):
    problem = "write_refused"


def for_status(status: int, what: str = "the calendar") -> CalendarProblem:
    """The problem an HTTP status that is not 2xx (nor 304) stands for."""
    if status in (401, 403):
        return Refused(
            f"the server refused access to {what} (HTTP {status}): the link or the"
            " password is no longer valid"
        )
    if status in (404, 410):
        return NotFound(f"the server does not know {what} (HTTP {status})")
    return HTTPStatus(status)


__all__ = [
    "PROBLEMS",
    "BadRedirect",
    "CalendarProblem",
    "HTTPStatus",
    "MissingSecret",
    "NotFound",
    "Problem",
    "Refused",
    "TimedOut",
    "TooComplex",
    "TooLarge",
    "Unparsable",
    "Unreachable",
    "WriteRefused",
    "for_status",
]
