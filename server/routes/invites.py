"""GET /api/v1/invites/{token}: what an invite pre-selects."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import config
from server.booking import invites, presenters
from server.errors import InviteUsed
from server.runtime import runtime_of
from server.schemas import AgentRef, CustomerPrefill, InviteResponse


async def show_invite(request: Request) -> Response:
    runtime = runtime_of(request)
    invite = invites.verify(runtime.tokens, request.path_params["token"], runtime.now())
    root = runtime.organisation.organisation
    invites.check(invite, root)
    if invite.single_use and await runtime.store.invite_used(invite.id):
        raise InviteUsed()
    languages = root.organisation.languages
    lang = request.query_params.get("lang")
    lang = lang if lang in languages else languages[0]
    agent = next(item for item in root.agents if item.id == invite.agent)
    body = InviteResponse(
        agent=AgentRef(
            id=agent.id,
            name=agent.name,
            function=None
            if agent.function is None
            else config.text(agent.function, lang, languages[0]),
        ),
        subject=invite.subject,
        meeting_type=invite.meeting_type,  # type: ignore[arg-type]  # minted from the Literal
        office=invite.office,
        customer=CustomerPrefill(email=invite.email),
        single_use=invite.single_use,
        expires_at=invite.expires_at.isoformat(),
    )
    return Response(
        presenters.encode(body),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


routes: list[BaseRoute] = [Route("/api/v1/invites/{token}", show_invite, methods=["GET"])]
