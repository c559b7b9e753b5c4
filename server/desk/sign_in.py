"""Sign-in by e-mail link (SPEC 11).

`request_link` is the answer to "send me a link": it always answers the same way and
takes the same time, whether the address is an active agent's or not, so nobody can
learn who is an agent. It does the same work either way (one write transaction that
stores a link; only an agent's link gets an e-mail, written to the outbox in that
transaction) and then waits until `ANSWER_TIME` has passed since the request came in.

A link signs in once, within `LINK_LIFETIME`: its token (kind "desk_sign_in") carries
the link's id and expiry; the row says whether it was used. Opening the link shows a
button; only the button's POST signs in (`use_link`), marking the link used in the
transaction that creates the session, so a mail scanner that follows the link signs
nobody in, and a link used twice fails the second time.

Rate limits (per server process; docs/desk.md): `PER_ADDRESS` requests per address and
`PER_CLIENT` per client address in `LIMIT_WINDOW`. A refused request waits as long as
an accepted one and says so the same way whoever the address belongs to.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from server.deliveries import outbox
from server.desk import sessions
from server.desk.limits import Window
from server.desk.problems import Problem
from server.runtime import Runtime
from server.store import SessionRow, SignInLinkRow, new_id
from server.tokens import TokenExpired, TokenInvalid

LINK_LIFETIME: Final = timedelta(minutes=15)
#: Every answer to "send me a link" takes at least this long (seconds).
ANSWER_TIME: Final = 0.4
LIMIT_WINDOW: Final = 15 * 60.0
PER_ADDRESS: Final = 5
PER_CLIENT: Final = 20
#: Links are forgotten a day after they were made.
KEEP_LINKS: Final = timedelta(days=1)
#: Where a link may lead after signing in: a desk page, by ids only.
_NEXT: Final = re.compile(r"^/desk(?:/[A-Za-z0-9_.-]+)*/?$")


@dataclass
class Limits:
    """The rate limits of one server process."""

    per_address: Window = field(default_factory=lambda: Window(PER_ADDRESS, LIMIT_WINDOW))
    per_client: Window = field(default_factory=lambda: Window(PER_CLIENT, LIMIT_WINDOW))


def safe_next(value: str | None) -> str | None:
    """A desk path to open after signing in, or None (never another site, no query)."""
    if value and len(value) <= 200 and _NEXT.match(value) and "//" not in value:
        return value
    return None


async def request_link(
    runtime: Runtime, limits: Limits, email: str, client: str, next: str | None
) -> None:
    """Send a sign-in link if `email` is an active agent's; answer the same either way,
    after `ANSWER_TIME`. Problem 429 when a limit is reached."""
    started = time.monotonic()
    try:
        await _request(runtime, limits, email.strip().lower(), client, safe_next(next))
    finally:
        await asyncio.sleep(max(0.0, ANSWER_TIME - (time.monotonic() - started)))


async def _request(
    runtime: Runtime, limits: Limits, email: str, client: str, next: str | None
) -> None:
    if not limits.per_client.allow(client) or not limits.per_address.allow(email):
        raise Problem("problems.rate_limited", 429)
    snapshot = runtime.snapshot
    now = runtime.now()
    agent = sessions.may_sign_in(snapshot, snapshot.agent_by_email.get(email))
    link = SignInLinkRow(
        id=new_id(),
        agent=None if agent is None else agent.id,
        next=next,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    async with runtime.store.write() as tx:
        await tx.delete_sign_in_links(now - KEEP_LINKS)
        await tx.insert_sign_in_link(link)
        if agent is not None:
            notice = outbox.SignInNotice(
                at=now, agent=agent.id, link=link.id, expires_at=link.expires_at
            )
            await outbox.sign_in_requested(tx, snapshot, notice)
    runtime.outbox_bell.set()


def _link_id(runtime: Runtime, token: str, now: datetime) -> str:
    try:
        payload = runtime.tokens.loads("desk_sign_in", token, now)
    except TokenExpired:
        raise Problem("problems.link_expired", 410) from None
    except TokenInvalid:
        raise Problem("problems.link_invalid", 400) from None
    found = payload.get("l")
    if not isinstance(found, str):
        raise Problem("problems.link_invalid", 400)
    return found


def _usable(runtime: Runtime, link: SignInLinkRow | None, now: datetime) -> SignInLinkRow:
    if link is None or sessions.may_sign_in(runtime.snapshot, link.agent) is None:
        raise Problem("problems.link_invalid", 400)
    if link.used_at is not None:
        raise Problem("problems.link_used", 410)
    if link.expires_at <= now:
        raise Problem("problems.link_expired", 410)
    return link


async def check_link(runtime: Runtime, token: str) -> SignInLinkRow:
    """The link behind a token, while it can sign in (the page with the button)."""
    now = runtime.now()
    link_id = _link_id(runtime, token, now)
    return _usable(runtime, await runtime.store.sign_in_link(link_id), now)


async def use_link(runtime: Runtime, token: str) -> tuple[SessionRow, str | None]:
    """Sign in with a link: used once, in the transaction that starts the session."""
    now = runtime.now()
    link_id = _link_id(runtime, token, now)
    async with runtime.store.write() as tx:
        link = _usable(runtime, await tx.sign_in_link(link_id), now)
        assert link.agent is not None
        if not await tx.use_sign_in_link(link.id, now):
            raise Problem("problems.link_used", 410)
        session = await sessions.start(tx, link.agent, now)
    return session, link.next


__all__ = [
    "ANSWER_TIME",
    "LINK_LIFETIME",
    "Limits",
    "check_link",
    "request_link",
    "safe_next",
    "use_link",
]
