"""Which agents link a calendar, and how to reach it (SPEC 12).

A `Link` is what the organisation file says (`[agents.calendar]`), built once per
organisation version (`Snapshot.calendars`). Its `fingerprint` changes when the table or
the agent's zone changes, so the stored busy time of another calendar is never used
for this one. The secrets (`url_env`, `password_env`) are read from the environment only
when the calendar is read or written (`access`); `secret_problems` reports missing ones
at start and in `rendezvous check`, as webhook secrets are.

The agent's zone, in which floating times and all-day events are read, is the zone of
the agent's first office, else the organisation's.

Addresses are secrets (whoever has an ICS address reads the calendar): they are never
logged or shown. `where(url)` gives the host, which is enough to tell Outlook from
Google.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import msgspec

from availability import model
from server import config
from server.calendars.problems import MissingSecret
from server.config.calendar_checks import SCHEMES, url_problem

Kind = Literal["ics", "caldav"]


@dataclass(frozen=True, slots=True)
class Link:
    agent: str
    kind: Kind
    fingerprint: str
    zone: str  # IANA: floating times and all-day events are read in it
    write: bool  # CalDAV: appointments are copied into it
    calendar: config.Calendar


@dataclass(frozen=True, slots=True)
class Access:
    """How to reach a calendar: secrets included. Never log it."""

    url: str  # http(s)
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"Access(url=<{where(self.url)}>, username={self.username!r}, password=<hidden>)"


def links_of(org: config.OrganisationFile) -> dict[str, Link]:
    """Every agent's calendar link, by agent id."""
    offices = {office.id: office for office in org.offices}
    found: dict[str, Link] = {}
    for agent in org.agents:
        calendar = agent.calendar
        if calendar is None:
            continue
        first = offices.get(agent.offices[0]) if agent.offices else None
        zone = first.timezone if first is not None else org.organisation.timezone
        identity = msgspec.json.encode([msgspec.to_builtins(calendar), zone])
        found[agent.id] = Link(
            agent=agent.id,
            kind=calendar.kind,
            fingerprint=hashlib.sha256(identity).hexdigest()[:16],
            zone=zone,
            write=calendar.kind == "caldav" and calendar.write is not False,
            calendar=calendar,
        )
    return found


def horizon_days(engine: model.Organisation) -> int:
    """The longest booking horizon (`latest`, days) of any planning rule."""
    rules = [
        rule for subject in engine.subjects.values() for rule in subject.meeting_types.values()
    ]
    rules += [
        rule
        for office in engine.offices.values()
        for assignment in office.subjects.values()
        for rule in assignment.rules.values()
    ]
    return max((rule.latest for rule in rules), default=60)


def access(link: Link, environ: Mapping[str, str]) -> Access:
    """The address and credentials of a calendar; `MissingSecret` when the environment
    lacks one of them."""
    calendar = link.calendar
    url = calendar.url
    if calendar.url_env is not None:
        url = environ.get(calendar.url_env, "").strip()
        if not url:
            raise MissingSecret(f"the environment variable {calendar.url_env} is not set")
        if url_problem(url):
            raise MissingSecret(
                f"the environment variable {calendar.url_env} does not hold an http(s) or"
                " webcal address"
            )
    assert url is not None, "checked when the organisation file loaded"
    password = None
    if calendar.password_env is not None:
        password = environ.get(calendar.password_env)
        if not password:
            raise MissingSecret(f"the environment variable {calendar.password_env} is not set")
    return Access(url=http_url(url), username=calendar.username, password=password)


def http_url(url: str) -> str:
    """`webcal://` and `webcals://` as `https://`; http(s) as it is."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=SCHEMES.get(parts.scheme.lower(), parts.scheme)))


def where(url: str) -> str:
    """The host of an address: what may be shown of it."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def secret_problems(
    agents: Sequence[config.Agent], environ: Mapping[str, str]
) -> list[config.Issue]:
    """Calendars whose address or password variable is missing or unusable."""
    problems = []
    for i, agent in enumerate(agents):
        calendar = agent.calendar
        if calendar is None:
            continue
        path = f"agents[{i}].calendar"
        if calendar.url_env is not None:
            value = environ.get(calendar.url_env, "").strip()
            if not value:
                problems.append(
                    config.Issue(
                        f"{path}.url_env",
                        f"the environment variable {calendar.url_env} is not set",
                    )
                )
            elif url_problem(value):
                problems.append(
                    config.Issue(
                        f"{path}.url_env",
                        f"the environment variable {calendar.url_env} does not hold an"
                        " http(s) or webcal address",
                    )
                )
        if calendar.password_env is not None and not environ.get(calendar.password_env):
            problems.append(
                config.Issue(
                    f"{path}.password_env",
                    f"the environment variable {calendar.password_env} is not set",
                )
            )
    return problems


__all__ = [
    "Access",
    "Kind",
    "Link",
    "access",
    "horizon_days",
    "http_url",
    "links_of",
    "secret_problems",
    "where",
]
