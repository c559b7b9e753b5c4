"""A manage link on /book (`/book?manage=TOKEN`, SPEC 5), without JavaScript: the
appointment with its calendar links, and cancel and reschedule through the same
services as the API (`booking.manage`).

- `done=booked|cancelled|rescheduled` says what just happened (the page a form
  redirects to): the confirmation of a new booking is its manage page;
- `action=cancel` asks "Do you really want to cancel?", `action=reschedule` shows the
  times the appointment can move to (`slots.search_for_move`, as the widget);
- a link that does not work (tampered, expired, an appointment that is gone) says so
  in words, with a way to book afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

from server import schemas, vocabulary
from server.booking import manage, presenters, slots
from server.booking.catalog import meeting_type_name
from server.errors import (
    ExpiredToken,
    InvalidToken,
    NoAvailability,
    NotFound,
    RendezvousError,
)
from server.hosted import times
from server.hosted.guard import check_form, form_token
from server.hosted.pages import Frame, Notice, Page, Redirect
from server.runtime import Runtime
from server.store import AppointmentRow

DONE: Final = {"cancelled": "cancelled", "rescheduled": "rescheduled"}


async def _appointment(runtime: Runtime, frame: Frame, token: str) -> AppointmentRow | Page:
    try:
        return await manage.appointment_of(runtime, token)
    except (InvalidToken, ExpiredToken, NotFound) as exc:
        t = frame.t
        return frame.page(
            "message.html",
            t("manage"),
            status=410 if isinstance(exc, ExpiredToken) else 404,
            text=t("linkInvalid"),
            again=frame.state.but(invite=None).url(),
        )


async def show(
    runtime: Runtime, frame: Frame, token: str, *, action: str | None, done: str | None
) -> Page:
    """GET /book?manage=TOKEN[&action=cancel|reschedule][&done=...]."""
    found = await _appointment(runtime, frame, token)
    if isinstance(found, Page):
        return found
    if action == "reschedule" and found.status not in ("cancelled", "declined"):
        try:
            return await _times(runtime, frame, token, found)
        except RendezvousError:  # it can no longer be moved online (its office is gone)
            frame.notices.append(Notice(frame.t("error"), "error"))
    return _appointment_page(runtime, frame, token, found, asking=action == "cancel", done=done)


def _appointment_page(
    runtime: Runtime,
    frame: Frame,
    token: str,
    row: AppointmentRow,
    *,
    asking: bool,
    done: str | None,
) -> Page:
    t = frame.t
    snapshot = runtime.snapshot
    answer = presenters.appointment_response(snapshot, runtime.tokens, row)
    appointment = answer.appointment
    if done == "booked":
        title = t("requested") if row.status == "requested" else t("confirmed")
        note = t("requestedNote") if row.status == "requested" else t("confirmedNote")
    else:
        title, note = t("manage"), None
    if done in DONE:
        frame.notices.append(Notice(t(DONE[done])))
    zone = vocabulary.time_zone(row.timezone)
    start = row.start.astimezone(zone)
    end = row.end.astimezone(zone)
    when = f"{t.date(start.date())}, {start:%H:%M}–{end:%H:%M} ({row.timezone})"
    meeting = _meeting(frame, appointment.meeting_type)
    rows = [(t("what"), appointment.subject.name), (t("how"), meeting)]
    if appointment.location is not None:
        location = appointment.location
        rows.append((t("where"), f"{location.street}, {location.postal_code} {location.city}"))
    elif appointment.office is not None and appointment.meeting_type == "OFFICE":
        office = appointment.office
        address = f"{office.address.street}, {office.address.postal_code} {office.address.city}"
        rows.append((t("where"), f"{office.name}, {address}"))
    agent = ", ".join(filter(None, (appointment.agent.name, appointment.agent.function)))
    rows += [(t("with"), agent), (t("when"), when)]
    if appointment.meeting_type == "PHONE" and appointment.customer.phone:
        rows.append((t("phone"), appointment.customer.phone))
    active = row.status not in ("cancelled", "declined")
    manage_url = f"/book?manage={token}"
    return frame.page(
        "appointment.html",
        title,
        note=note,
        status_text=t(f"status_{row.status}"),
        status_name=row.status,
        rows=rows,
        links=answer.links,
        video=appointment.video_url if row.status == "confirmed" else None,
        active=active,
        asking=asking and active,
        manage_url=manage_url,
        reschedule_url=f"{manage_url}&action=reschedule&lang={frame.lang}",
        cancel_url=f"{manage_url}&action=cancel&lang={frame.lang}",
        keep_url=f"{manage_url}&lang={frame.lang}",
        form=form_token(runtime.tokens, "cancel", row.id, runtime.now()),
        token=token,
        keep={"manage": token},
        again=frame.state.but(invite=None).url(),
    )


def _meeting(frame: Frame, meeting_type: str) -> str:
    return meeting_type_name(meeting_type, frame.lang, frame.snapshot.default_language)


async def _times(
    runtime: Runtime,
    frame: Frame,
    token: str,
    row: AppointmentRow,
    notice: Notice | None = None,
    status: int = 200,
) -> Page:
    zone = frame.state.timezone or row.timezone

    async def search(first_day: date, last_day: date) -> slots.Found:
        query = schemas.AppointmentSlotsQuery(first_day=first_day, last_day=last_day, tz=zone)
        return await slots.search_for_move(runtime, token, query)

    today = runtime.now().astimezone(vocabulary.time_zone(zone)).date()
    table = await times.timetable(search, frame.state.week, today, frame.t)
    if notice is not None:
        frame.notices.append(notice)
    base = f"/book?manage={token}&action=reschedule&lang={frame.lang}&timezone={zone}"
    return frame.page(
        "times.html",
        frame.t("rescheduleTitle"),
        status=status,
        table=table,
        zones=times.zones(runtime.snapshot, table.zone),
        hidden=[("manage", token), ("lang", frame.lang)],
        week_hidden=[("manage", token), ("action", "reschedule"), ("lang", frame.lang)],
        form=form_token(runtime.tokens, "reschedule", row.id, runtime.now()),
        action="reschedule",
        back=f"/book?manage={token}&lang={frame.lang}",
        summary=[],
        previous=None if table.previous is None else f"{base}&week={table.previous}",
        next=f"{base}&week={table.next}",
        keep={"manage": token, "action": "reschedule"},
    )


# -- the forms --------------------------------------------------------------------------


async def cancel(
    runtime: Runtime, frame: Frame, form: Mapping[str, Sequence[str]]
) -> Page | Redirect:
    token = _one(form, "manage")
    found = await _appointment(runtime, frame, token)
    if isinstance(found, Page):
        return found
    check_form(runtime.tokens, _one(form, "form"), "cancel", found.id, runtime.now())
    await manage.cancel(runtime, token)
    return Redirect(f"/book?manage={token}&done=cancelled&lang={frame.lang}")


async def reschedule(
    runtime: Runtime, frame: Frame, form: Mapping[str, Sequence[str]]
) -> Page | Redirect:
    token = _one(form, "manage")
    found = await _appointment(runtime, frame, token)
    if isinstance(found, Page):
        return found
    check_form(runtime.tokens, _one(form, "form"), "reschedule", found.id, runtime.now())
    frame.widget = None
    chosen = times.parse_slot(_one(form, "slot"))
    if chosen is None:
        return await _times(
            runtime, frame, token, found, Notice(frame.t("chooseOne"), "error"), 422
        )
    start, duration = chosen
    try:
        await manage.reschedule(
            runtime, token, schemas.RescheduleRequest(start=start, duration=duration)
        )
    except NoAvailability:
        return await _times(runtime, frame, token, found, Notice(frame.t("taken"), "error"), 409)
    except RendezvousError:
        return await _times(runtime, frame, token, found, Notice(frame.t("error"), "error"), 422)
    return Redirect(f"/book?manage={token}&done=rescheduled&lang={frame.lang}")


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


__all__ = ["cancel", "reschedule", "show"]
