"""The organisation file's checks for agents' own calendars (SPEC 12): what one value
alone cannot tell about `[agents.calendar]`.

Decisions:

- The address is given once: `url` in the file, or `url_env` naming the environment
  variable that holds it (an ICS address is a secret: whoever has it reads the
  calendar). `webcal://` and `webcals://` (what Outlook and iCloud hand out) are read as
  `https://`; otherwise only http(s).
- `username`, `password_env` and `write` belong to `kind = "caldav"`; `username` and
  `password_env` go together.
- Whether the variables are set is not a property of the file:
  `server.calendars.links.secret_problems` reports it when the server starts and in
  `rendezvous check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from server.config.checks import _uri_problem
from server.config.messages import Issue
from server.config.types import Agent

#: Schemes a calendar's address may have; `webcal(s)` is http(s) by another name.
SCHEMES: Final = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
_CALDAV_ONLY: Final = ("username", "password_env", "write")


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a calendar's address (None: it can)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when the port is not a number in range
    except ValueError:
        return "expected an http(s) or webcal address"
    if parts.scheme.lower() not in SCHEMES or not parts.hostname or " " in url:
        return "expected an http(s) or webcal address"
    return _uri_problem(url)


def calendar_issues(agents: Sequence[tuple[int, Agent]]) -> list[Issue]:
    issues: list[Issue] = []
    for i, agent in agents:
        calendar = agent.calendar
        if calendar is None:
            continue
        path = f"agents[{i}].calendar"
        if (calendar.url is None) == (calendar.url_env is None):
            issues.append(
                Issue(
                    path,
                    "expected exactly one of url and url_env (url_env names the environment"
                    " variable that holds the address, which is a secret)",
                )
            )
        if calendar.url is not None and (problem := url_problem(calendar.url)):
            issues.append(Issue(f"{path}.url", f'{problem}, got "{calendar.url}"'))
        if calendar.kind == "ics":
            for key in _CALDAV_ONLY:
                if getattr(calendar, key) is not None:
                    issues.append(Issue(f"{path}.{key}", 'is only for kind = "caldav"'))
        elif (calendar.username is None) != (calendar.password_env is None):
            missing = "password_env" if calendar.password_env is None else "username"
            issues.append(Issue(f"{path}.{missing}", "expected username and password_env together"))
    return issues


__all__ = ["SCHEMES", "calendar_issues", "url_problem"]
