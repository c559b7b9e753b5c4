"""The agent's desk (SPEC 11; docs/desk.md): pages at /desk.

GET  /desk                                      sign in (or on to the appointments)
POST /desk/sign-in                              send me a link
GET  /desk/sign-in/{token}                      the link: a button that signs in
POST /desk/sign-in/{token}                      sign in
POST /desk/sign-out                             sign out
POST /desk/language                             the desk's language
GET  /desk/appointments?day=YYYY-MM-DD          my appointments
GET  /desk/appointments/{id}                    one appointment, accept / decline
POST /desk/appointments/{id}/accept
GET  /desk/appointments/{id}/{decline|cancel}   the form (a reason)
POST /desk/appointments/{id}/{decline|cancel}
GET  /desk/appointments/{id}/reschedule?week=   the agent's free times
POST /desk/appointments/{id}/reschedule
GET  /desk/appointments/{id}/reassign           co-workers free then
POST /desk/appointments/{id}/reassign
GET  /desk/invites, /desk/invites/{id}          the form, the open invites, one link
POST /desk/invites, /desk/invites/{id}/revoke
GET  /desk/book?subject=&meeting_type=&office=&week=&start=   book for a customer
POST /desk/book
GET  /desk/feed; POST /desk/feed                the calendar feed's address; renew it
GET  /desk/feed/{secret}.ics                    the feed
GET  /desk/desk.js                              the copy button (progressive enhancement)

Each page reads as: who is signed in → decode → one service of `server.desk` → render.
A POST is checked against cross-site requests first (`Origin`, the form's token).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.desk import (
    actions,
    appointments,
    feed,
    invites,
    outbound,
    sessions,
    sign_in,
    timetable,
)
from server.desk.forms import MAX_REASON, Form, parse_day, parse_instant
from server.desk.pages import Pages, redirect
from server.desk.problems import FormProblems, Problem
from server.desk.sessions import Viewer
from server.desk.words import LANGUAGES
from server.routes._http import etag_matches
from server.runtime import runtime_of

_SCRIPT = Path(__file__).resolve().parent.parent / "templates" / "desk" / "desk.js"


def desk_routes() -> list[BaseRoute]:
    pages = Pages()
    limits = sign_in.Limits()

    viewer_of = pages.viewer
    page = pages.signed_in
    posted = pages.posted
    render = pages.show

    # -- signing in and out ----------------------------------------------------------------

    async def desk(request: Request) -> Response:
        if await viewer_of(request) is not None:
            return redirect("/desk/appointments")
        return sign_in_page(request)

    def sign_in_page(
        request: Request, *, email: str = "", problems: FormProblems | None = None
    ) -> Response:
        runtime = runtime_of(request)
        return render(
            request,
            None,
            "sign_in.html",
            {
                "email": email,
                "next": sign_in.safe_next(request.query_params.get("next")) or "",
                "can_mail": runtime.snapshot.settings.notifications is not None,
            },
            status_code=422 if problems else 200,
            problems=problems,
        )

    async def request_link(request: Request) -> Response:
        runtime = runtime_of(request)
        try:
            form = await posted(request, None)
            email = form.email("email", required=True)
            form.check()
            assert email is not None
            client = request.client.host if request.client else "unknown"
            await sign_in.request_link(runtime, limits, email, client, form.raw("next"))
        except FormProblems as problems:
            return sign_in_page(request, email=form.raw("email")[:254], problems=problems)
        except Problem as problem:
            return pages.problem(request, runtime, None, problem)
        return render(request, None, "sign_in_sent.html")

    async def link_page(request: Request) -> Response:
        runtime = runtime_of(request)
        try:
            await sign_in.check_link(runtime, request.path_params["token"])
        except Problem as problem:
            return pages.problem(request, runtime, None, problem)
        return render(request, None, "sign_in_link.html")

    async def use_link(request: Request) -> Response:
        runtime = runtime_of(request)
        try:
            await posted(request, None)
            session, next_path = await sign_in.use_link(runtime, request.path_params["token"])
        except Problem as problem:
            return pages.problem(request, runtime, None, problem)
        response = redirect(next_path or "/desk/appointments")
        sessions.set_cookie(response, runtime.snapshot, runtime.tokens, session)
        return response

    async def sign_out(request: Request, viewer: Viewer) -> Response:
        await posted(request, viewer)
        await sessions.end(runtime_of(request), viewer)
        response = redirect("/desk")
        sessions.clear_cookie(response, runtime_of(request).snapshot)
        return response

    async def language(request: Request, viewer: Viewer) -> Response:
        form = await posted(request, viewer)
        chosen = form.choice("language", list(LANGUAGES), required=True)
        form.check()
        async with runtime_of(request).store.write() as tx:
            await tx.set_session_language(viewer.session.id, chosen)
        back = sign_in.safe_next(form.raw("back")) or "/desk/appointments"
        return redirect(back)

    # -- appointments ----------------------------------------------------------------------

    async def list_appointments(request: Request, viewer: Viewer) -> Response:
        runtime = runtime_of(request)
        raw_day = request.query_params.get("day") or ""
        day = parse_day(raw_day) if raw_day else None
        if raw_day and day is None:
            raise Problem("problems.date", 422)
        rows = await appointments.upcoming(runtime, viewer, day)
        words = pages.words(runtime, request, viewer)
        shown = [appointments.show(runtime.snapshot, words, viewer, row) for row in rows]
        return render(
            request,
            viewer,
            "appointments.html",
            {
                "appointments": shown,
                "done": request.query_params.get("done"),
                "day": day,
                "today": runtime.now()
                .astimezone(appointments.home_zone(runtime.snapshot, viewer.agent))
                .date(),
            },
        )

    async def show_appointment(
        request: Request,
        viewer: Viewer,
        *,
        status_code: int = 200,
        extra: dict[str, object] | None = None,
    ) -> Response:
        runtime = runtime_of(request)
        row = await appointments.visible(runtime.store, viewer, request.path_params["id"])
        words = pages.words(runtime, request, viewer)
        return render(
            request,
            viewer,
            "appointment.html",
            {
                "a": appointments.show(runtime.snapshot, words, viewer, row),
                "now": runtime.now(),
                "done": request.query_params.get("done"),
                **(extra or {}),
            },
            status_code=status_code,
        )

    async def appointment_page(request: Request, viewer: Viewer) -> Response:
        return await show_appointment(request, viewer)

    async def accept(request: Request, viewer: Viewer) -> Response:
        await posted(request, viewer)
        id = request.path_params["id"]
        await actions.accept(runtime_of(request), viewer, id)
        return redirect(f"/desk/appointments/{id}?done=accepted")

    def reason_page(action: str) -> Callable[[Request, Viewer], Awaitable[Response]]:
        async def show_form(
            request: Request,
            viewer: Viewer,
            *,
            problems: FormProblems | None = None,
            reason: str = "",
        ) -> Response:
            runtime = runtime_of(request)
            row = await appointments.visible(runtime.store, viewer, request.path_params["id"])
            words = pages.words(runtime, request, viewer)
            return render(
                request,
                viewer,
                "reason.html",
                {
                    "a": appointments.show(runtime.snapshot, words, viewer, row),
                    "action": action,
                    "reason": reason,
                    "limit": MAX_REASON,
                },
                status_code=422 if problems else 200,
                problems=problems,
            )

        async def handle(request: Request, viewer: Viewer) -> Response:
            if request.method == "GET":
                return await show_form(request, viewer)
            form = await posted(request, viewer)
            id = request.path_params["id"]
            try:
                reason = form.text("reason", limit=MAX_REASON)
                form.check()
            except FormProblems as problems:
                return await show_form(
                    request, viewer, problems=problems, reason=form.raw("reason")[: MAX_REASON * 2]
                )
            if action == "decline":
                await actions.decline(runtime_of(request), viewer, id, reason)
                return redirect(f"/desk/appointments/{id}?done=declined")
            await actions.cancel(runtime_of(request), viewer, id, reason)
            return redirect(f"/desk/appointments/{id}?done=cancelled")

        return handle

    async def reschedule(request: Request, viewer: Viewer) -> Response:
        runtime = runtime_of(request)
        id = request.path_params["id"]
        problems = None
        if request.method == "POST":
            form = await posted(request, viewer)
            try:
                start = form.instant("start")
                form.check()
                assert start is not None
                await actions.reschedule(runtime, viewer, id, start)
                return redirect(f"/desk/appointments/{id}?done=rescheduled")
            except FormProblems as found:
                problems = found
            except Problem as problem:
                if problem.status_code != 409 and problem.key != "problems.same_time":
                    raise
                problems = FormProblems({"start": (problem.key, problem.values)})
        row = await appointments.visible(runtime.store, viewer, id)
        words = pages.words(runtime, request, viewer)
        table = await timetable.week(
            runtime,
            subject=row.subject,
            meeting_type=row.meeting_type,
            office=actions.move_target(row, row.start, row.agent).office,
            agent=row.agent,
            first_day=parse_day(request.query_params.get("week") or ""),
            zone=appointments.zone_of(runtime.snapshot, row.office),
            exclude=row,
        )
        return render(
            request,
            viewer,
            "reschedule.html",
            {"a": appointments.show(runtime.snapshot, words, viewer, row), "table": table},
            status_code=409 if problems else 200,
            problems=problems,
        )

    async def reassign(request: Request, viewer: Viewer) -> Response:
        runtime = runtime_of(request)
        id = request.path_params["id"]
        problems = None
        if request.method == "POST":
            form = await posted(request, viewer)
            try:
                chosen = form.text("agent", limit=64, required=True)
                form.check()
                assert chosen is not None
                changed = await actions.reassign(runtime, viewer, id, chosen)
                if viewer.sees(changed.agent, changed.office):  # a manager still does
                    return redirect(f"/desk/appointments/{id}?done=reassigned")
                return redirect("/desk/appointments?done=reassigned")
            except FormProblems as found:
                problems = found
            except Problem as problem:
                if problem.status_code not in (409, 422):
                    raise
                problems = FormProblems({"agent": (problem.key, problem.values)})
        row = await appointments.visible(runtime.store, viewer, id)
        words = pages.words(runtime, request, viewer)
        return render(
            request,
            viewer,
            "reassign.html",
            {
                "a": appointments.show(runtime.snapshot, words, viewer, row),
                "coworkers": await timetable.coworkers(runtime, row),
            },
            status_code=409 if problems else 200,
            problems=problems,
        )

    # -- invites -----------------------------------------------------------------------

    def invite_words(request: Request, viewer: Viewer) -> dict[str, object]:
        runtime = runtime_of(request)
        words = pages.words(runtime, request, viewer)
        return {
            "describe": lambda row: invites.describe(runtime.snapshot, words, row),
            "zone": appointments.home_zone(runtime.snapshot, viewer.agent),
        }

    async def invites_page(
        request: Request,
        viewer: Viewer,
        *,
        problems: FormProblems | None = None,
        form: Form | None = None,
    ) -> Response:
        runtime = runtime_of(request)
        rows = await invites.open_invites(runtime, viewer)
        return render(
            request,
            viewer,
            "invites.html",
            {
                "choices": invites.choices(runtime, viewer),
                "lifetimes": list(invites.LIFETIMES),
                "default_lifetime": invites.DEFAULT_LIFETIME,
                "invites": [(row, invites.link(runtime, row)) for row in rows],
                "form": form,
                "snapshot": runtime.snapshot,
                **invite_words(request, viewer),
            },
            status_code=422 if problems else 200,
            problems=problems,
        )

    async def invites_handler(request: Request, viewer: Viewer) -> Response:
        if request.method == "GET":
            return await invites_page(request, viewer)
        form = await posted(request, viewer)
        try:
            row = await invites.create(runtime_of(request), viewer, form)
        except FormProblems as problems:
            return await invites_page(request, viewer, problems=problems, form=form)
        return redirect(f"/desk/invites/{row.id}")

    async def invite_page(request: Request, viewer: Viewer) -> Response:
        runtime = runtime_of(request)
        row = await invites.one(runtime, viewer, request.path_params["id"])
        return render(
            request,
            viewer,
            "invite.html",
            {
                "invite": row,
                "link": invites.link(runtime, row),
                "now": runtime.now(),
                "snapshot": runtime.snapshot,
                **invite_words(request, viewer),
            },
        )

    async def revoke_invite(request: Request, viewer: Viewer) -> Response:
        await posted(request, viewer)
        await invites.revoke(runtime_of(request), viewer, request.path_params["id"])
        return redirect("/desk/invites?done=revoked")

    # -- outbound appointments ----------------------------------------------------------

    async def book_page(
        request: Request,
        viewer: Viewer,
        *,
        form: Form | None = None,
        problems: FormProblems | None = None,
    ) -> Response:
        runtime = runtime_of(request)
        snapshot = runtime.snapshot
        asked = form or Form({k: [v] for k, v in request.query_params.items()})
        picked = outbound.chosen(snapshot, viewer, Form(asked.fields))
        start = parse_instant(asked.raw("start")) if picked else None
        table = None
        if picked is not None and start is None:
            table = await timetable.week(
                runtime,
                subject=picked.subject,
                meeting_type=picked.meeting_type,  # type: ignore[arg-type]
                office=picked.office,
                agent=viewer.id,
                first_day=parse_day(asked.raw("week")),
                zone=appointments.zone_of(snapshot, picked.office),
            )
        return render(
            request,
            viewer,
            "book.html",
            {
                "choices": invites.choices(runtime, viewer),
                "picked": picked,
                "start": start,
                "zone": None if picked is None else appointments.zone_of(snapshot, picked.office),
                "table": table,
                "questions": outbound.questions(
                    snapshot, None if picked is None else picked.subject
                ),
                "form": asked,
                "key": asked.raw("key") or outbound.new_key(),
                "snapshot": snapshot,
                "answer_prefix": outbound.ANSWER_PREFIX,
            },
            status_code=(problems.status_code if problems else 200),
            problems=problems,
        )

    async def book_handler(request: Request, viewer: Viewer) -> Response:
        if request.method == "GET":
            return await book_page(request, viewer)
        form = await posted(request, viewer)
        try:
            row = await outbound.book(runtime_of(request), viewer, form)
        except FormProblems as problems:
            return await book_page(request, viewer, form=form, problems=problems)
        except Problem as problem:
            if problem.status_code != 409:
                raise
            return await book_page(
                request, viewer, form=form, problems=_as_form(problem, "start", 409)
            )
        return redirect(f"/desk/appointments/{row.id}?done=booked")

    # -- the calendar feed ---------------------------------------------------------------

    async def feed_page(request: Request, viewer: Viewer) -> Response:
        runtime = runtime_of(request)
        if request.method == "POST":
            await posted(request, viewer)
            await feed.renew(runtime, viewer)
            return redirect("/desk/feed?done=renewed")
        row = await feed.of(runtime, viewer)
        return render(
            request,
            viewer,
            "feed.html",
            {
                "feed": row,
                "address": None if row is None else feed.address(runtime.snapshot, row),
                "webcal": None if row is None else feed.webcal(runtime.snapshot, row),
                "done": request.query_params.get("done"),
            },
        )

    async def feed_file(request: Request) -> Response:
        found = await feed.calendar(runtime_of(request), request.path_params["secret"])
        if found is None:
            return Response(
                "Not found\n",
                status_code=404,
                media_type="text/plain",
                headers={"Cache-Control": "no-store"},
            )
        headers = {
            "ETag": found.etag,
            "Cache-Control": "private, no-cache",
            "Content-Disposition": 'inline; filename="appointments.ics"',
            "X-Robots-Tag": "noindex",
            "Referrer-Policy": "no-referrer",
        }
        if etag_matches(request.headers.get("if-none-match"), found.etag):
            return Response(status_code=304, headers=headers)
        return Response(found.body, media_type="text/calendar; charset=utf-8", headers=headers)

    async def script(request: Request) -> Response:
        return Response(
            _SCRIPT.read_bytes(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    signed = page
    return [
        Route("/desk", desk, methods=["GET"]),
        Route("/desk/sign-in", request_link, methods=["POST"]),
        Route("/desk/sign-in/{token}", link_page, methods=["GET"]),
        Route("/desk/sign-in/{token}", use_link, methods=["POST"]),
        Route("/desk/sign-out", signed(sign_out), methods=["POST"]),
        Route("/desk/language", signed(language), methods=["POST"]),
        Route("/desk/desk.js", script, methods=["GET"]),
        Route("/desk/appointments", signed(list_appointments), methods=["GET"]),
        Route("/desk/appointments/{id}", signed(appointment_page), methods=["GET"]),
        Route("/desk/appointments/{id}/accept", signed(accept), methods=["POST"]),
        Route(
            "/desk/appointments/{id}/decline",
            signed(reason_page("decline")),
            methods=["GET", "POST"],
        ),
        Route(
            "/desk/appointments/{id}/cancel", signed(reason_page("cancel")), methods=["GET", "POST"]
        ),
        Route("/desk/appointments/{id}/reschedule", signed(reschedule), methods=["GET", "POST"]),
        Route("/desk/appointments/{id}/reassign", signed(reassign), methods=["GET", "POST"]),
        Route("/desk/invites", signed(invites_handler), methods=["GET", "POST"]),
        Route("/desk/invites/{id}", signed(invite_page), methods=["GET"]),
        Route("/desk/invites/{id}/revoke", signed(revoke_invite), methods=["POST"]),
        Route("/desk/book", signed(book_handler), methods=["GET", "POST"]),
        Route("/desk/feed", signed(feed_page), methods=["GET", "POST"]),
        Route("/desk/feed/{secret}.ics", feed_file, methods=["GET", "HEAD"]),
    ]


def _as_form(problem: Problem, field: str, status_code: int) -> FormProblems:
    found = FormProblems({field: (problem.key, problem.values)})
    found.status_code = status_code
    return found


__all__ = ["desk_routes"]
