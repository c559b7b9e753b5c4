"""Who is signed in: the session cookie, its row, and the checks of every form.

- The cookie `rendezvous_desk` holds a signed token (kind "desk_session") of the
  session's id and expiry; the row (`desk_sessions`) says whether it still holds. It is
  `HttpOnly`, `SameSite=Strict`, `Path=/desk`, `Secure` when the public URL is https,
  and lives 12 hours (not renewed: after 12 hours the agent signs in again).
- Every request reads the session again and the agent from the organisation now in
  service: an agent made inactive or removed is signed out (the row is ended) on their
  next request; a forged, expired or ended cookie is no session.
- Every POST is checked against cross-site requests three ways: the `SameSite` cookie;
  the `Origin` header (or, without one, `Referer`) must be the public URL's origin; and
  the form carries a token (kind "desk_form") bound to the session and to the form's
  action, so a token taken from one form works for no other form and no other session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from starlette.responses import Response

from server import config
from server.desk.problems import Problem
from server.desk.words import agent_language
from server.origins import origin_of, parse_origin
from server.runtime import Runtime
from server.snapshot import Snapshot
from server.store import SessionRow, Transaction, new_id
from server.tokens import TokenError, Tokens

COOKIE: Final = "rendezvous_desk"
LIFETIME: Final = timedelta(hours=12)
FORM_FIELD: Final = "csrf"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in agent, the offices they manage, and the language of their pages."""

    session: SessionRow
    agent: config.Agent
    managed: frozenset[str]
    language: str

    @property
    def id(self) -> str:
        return self.agent.id

    def sees(self, agent: str, office: str | None) -> bool:
        """Whether an appointment of `agent` at `office` is theirs to see and act on."""
        return agent == self.agent.id or (office is not None and office in self.managed)


def may_sign_in(snapshot: Snapshot, agent_id: str | None) -> config.Agent | None:
    """The agent, while the organisation file keeps them active."""
    agent = None if agent_id is None else snapshot.agents.get(agent_id)
    return agent if agent is not None and agent.active else None


async def start(tx: Transaction, agent: str, now: datetime) -> SessionRow:
    """A new session, written in the sign-in link's transaction."""
    await tx.delete_sessions(now - timedelta(days=1))
    row = SessionRow(id=new_id(), agent=agent, created_at=now, expires_at=now + LIFETIME)
    await tx.insert_session(row)
    return row


def cookie_value(tokens: Tokens, session: SessionRow) -> str:
    return tokens.dumps("desk_session", {"s": session.id}, session.expires_at)


def secure(snapshot: Snapshot) -> bool:
    """Whether the cookie is `Secure`: when the public URL is https."""
    return snapshot.public_url.startswith("https://")


def set_cookie(response: Response, snapshot: Snapshot, tokens: Tokens, session: SessionRow) -> None:
    response.set_cookie(
        COOKIE,
        cookie_value(tokens, session),
        max_age=int(LIFETIME.total_seconds()),
        path="/desk",
        secure=secure(snapshot),
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, snapshot: Snapshot) -> None:
    response.delete_cookie(
        COOKIE, path="/desk", secure=secure(snapshot), httponly=True, samesite="strict"
    )


async def viewer_of(runtime: Runtime, cookie: str | None) -> Viewer | None:
    """The signed-in agent behind a cookie, or None: no cookie, a forged or expired one,
    a session ended, or an agent the organisation file no longer has active (whose
    session is ended now)."""
    if not cookie:
        return None
    now = runtime.now()
    try:
        payload = runtime.tokens.loads("desk_session", cookie, now)
    except TokenError:
        return None
    session_id = payload.get("s")
    if not isinstance(session_id, str):
        return None
    session = await runtime.store.session(session_id)
    if session is None or session.ended_at is not None or session.expires_at <= now:
        return None
    snapshot = runtime.snapshot
    agent = may_sign_in(snapshot, session.agent)
    if agent is None:
        async with runtime.store.write() as tx:
            await tx.end_session(session.id, now)
        return None
    return Viewer(
        session=session,
        agent=agent,
        managed=snapshot.managed_by.get(agent.id, frozenset()),
        language=agent_language(snapshot, agent, session.language),
    )


async def end(runtime: Runtime, viewer: Viewer) -> None:
    async with runtime.store.write() as tx:
        await tx.end_session(viewer.session.id, runtime.now())


# -- cross-site checks -------------------------------------------------------------------


def form_token(tokens: Tokens, viewer: Viewer, action: str) -> str:
    """The token of a form that posts to `action` (a path), for this session."""
    return tokens.dumps(
        "desk_form", {"s": viewer.session.id, "a": action}, viewer.session.expires_at
    )


def check_form(tokens: Tokens, viewer: Viewer, action: str, token: str, now: datetime) -> None:
    """403 unless `token` was made for this session and this form."""
    try:
        payload = tokens.loads("desk_form", token, now)
    except TokenError:
        raise Problem("problems.cross_site", 403) from None
    if payload.get("s") != viewer.session.id or payload.get("a") != action:
        raise Problem("problems.cross_site", 403)


def check_origin(snapshot: Snapshot, headers: Mapping[str, str]) -> None:
    """403 unless the request comes from a page of this site: its `Origin` (else its
    `Referer`'s origin) is the public URL's."""
    own = origin_of(snapshot.public_url)
    origin = headers.get("origin")
    if origin is not None and origin != "null":
        sent = parse_origin(origin)
    else:
        referer = headers.get("referer")
        sent = origin_of(referer) if referer else None
    if own is None or sent != own:
        raise Problem("problems.cross_site", 403)


__all__ = [
    "COOKIE",
    "FORM_FIELD",
    "LIFETIME",
    "Viewer",
    "check_form",
    "check_origin",
    "clear_cookie",
    "cookie_value",
    "end",
    "form_token",
    "may_sign_in",
    "secure",
    "set_cookie",
    "start",
    "viewer_of",
]
