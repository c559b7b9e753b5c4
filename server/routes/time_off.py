"""Time off on the desk (SPEC 11; docs/desk.md#time-off).

GET  /desk/time-off?agent=ID      the entries that have not ended; forms to add days or hours
POST /desk/time-off               add (over appointments: asks first, then `confirm`)
GET  /desk/time-off/{id}          one entry: the appointments inside it, edit, remove
POST /desk/time-off/{id}          change it
POST /desk/time-off/{id}/remove   remove it

Each page: who is signed in → decode → one service of `server.desk.time_off` → render.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.desk import appointments, time_off
from server.desk.forms import MAX_REASON, Form
from server.desk.pages import Pages, redirect
from server.desk.problems import FormProblems
from server.desk.sessions import Viewer
from server.runtime import runtime_of


def time_off_routes() -> list[BaseRoute]:
    pages = Pages()

    async def listing(
        request: Request,
        viewer: Viewer,
        *,
        form: Form | None = None,
        problems: FormProblems | None = None,
        covered: list[object] | None = None,
    ) -> Response:
        runtime = runtime_of(request)
        asked = form.raw("agent") if form else request.query_params.get("agent")
        agent, found = await time_off.entries(runtime, viewer, asked or None)
        status = 422 if problems else (409 if covered else 200)
        return pages.show(
            request,
            viewer,
            "time_off.html",
            {
                "agent": agent,
                "agents": time_off.manageable(runtime.snapshot, viewer),
                "entries": found,
                "form": form,
                "kind": form.raw("kind") if form else None,
                "covered": covered or [],
                "zone": appointments.home_zone(runtime.snapshot, agent),
                "today": runtime.now()
                .astimezone(appointments.home_zone(runtime.snapshot, agent))
                .date(),
                "limit": MAX_REASON,
                "done": request.query_params.get("done"),
            },
            status_code=status,
            problems=problems,
        )

    async def list_or_add(request: Request, viewer: Viewer) -> Response:
        if request.method == "GET":
            return await listing(request, viewer)
        runtime = runtime_of(request)
        form = await pages.posted(request, viewer)
        try:
            asked = time_off.read(runtime.snapshot, viewer, form, runtime.now())
            row = await time_off.save(
                runtime, viewer, asked, id=None, confirmed=form.checked("confirm")
            )
        except FormProblems as problems:
            return await listing(request, viewer, form=form, problems=problems)
        except time_off.NeedsConfirmation as needed:
            words = pages.words(runtime, request, viewer)
            shown = [
                appointments.show(runtime.snapshot, words, viewer, r) for r in needed.appointments
            ]
            return await listing(request, viewer, form=form, covered=list(shown))
        return redirect(f"/desk/time-off/{row.id}?done=saved")

    async def entry_page(
        request: Request,
        viewer: Viewer,
        *,
        form: Form | None = None,
        problems: FormProblems | None = None,
        covered: list[object] | None = None,
    ) -> Response:
        runtime = runtime_of(request)
        entry = await time_off.one(runtime, viewer, request.path_params["id"])
        words = pages.words(runtime, request, viewer)
        inside = [
            appointments.show(runtime.snapshot, words, viewer, row)
            for row in await time_off.inside(runtime, entry)
        ]
        status = 422 if problems else (409 if covered else 200)
        return pages.show(
            request,
            viewer,
            "time_off_entry.html",
            {
                "entry": entry,
                "inside": inside,
                "form": form,
                "covered": covered or [],
                "now": runtime.now(),
                "limit": MAX_REASON,
                "done": request.query_params.get("done"),
            },
            status_code=status,
            problems=problems,
        )

    async def show_or_change(request: Request, viewer: Viewer) -> Response:
        if request.method == "GET":
            return await entry_page(request, viewer)
        runtime = runtime_of(request)
        form = await pages.posted(request, viewer)
        id = request.path_params["id"]
        entry = await time_off.one(runtime, viewer, id)
        try:
            asked = time_off.read(runtime.snapshot, viewer, form, runtime.now())
            await time_off.save(
                runtime, viewer, asked, id=entry.id, confirmed=form.checked("confirm")
            )
        except FormProblems as problems:
            return await entry_page(request, viewer, form=form, problems=problems)
        except time_off.NeedsConfirmation as needed:
            words = pages.words(runtime, request, viewer)
            shown = [
                appointments.show(runtime.snapshot, words, viewer, r) for r in needed.appointments
            ]
            return await entry_page(request, viewer, form=form, covered=list(shown))
        return redirect(f"/desk/time-off/{id}?done=saved")

    async def remove(request: Request, viewer: Viewer) -> Response:
        await pages.posted(request, viewer)
        row = await time_off.remove(runtime_of(request), viewer, request.path_params["id"])
        back = "" if row.agent == viewer.id else f"&agent={row.agent}"
        return redirect(f"/desk/time-off?done=removed{back}")

    signed = pages.signed_in
    return [
        Route("/desk/time-off", signed(list_or_add), methods=["GET", "POST"]),
        Route("/desk/time-off/{id}", signed(show_or_change), methods=["GET", "POST"]),
        Route("/desk/time-off/{id}/remove", signed(remove), methods=["POST"]),
    ]


__all__ = ["time_off_routes"]
