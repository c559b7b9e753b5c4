"""Appointments: book, and manage through the token of the manage link.

POST /api/v1/appointments                         book (Idempotency-Key optional)
GET  /api/v1/appointments/{token}                 the appointment
POST /api/v1/appointments/{token}/cancel          cancel
POST /api/v1/appointments/{token}/reschedule      {start, hold?}: move
GET  /api/v1/appointments/{token}/slots           free times to move it to (an extension)
GET  /api/v1/appointments/{token}/calendar.ics    the add-to-calendar file
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from availability import model
from server import schemas
from server.booking import appointments as booking
from server.booking import catalog as catalog_
from server.booking import presenters
from server.routes import slots
from server.routes.catalog import decode_query
from server.runtime import runtime_of
from server.schemas import AppointmentRequest, RescheduleRequest, decode_body
from server.store import AppointmentRow

_BOOKING = msgspec.json.Decoder(AppointmentRequest)
_RESCHEDULE = msgspec.json.Decoder(RescheduleRequest)
_NO_STORE = {"Cache-Control": "no-store"}


def _json(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json", headers=_NO_STORE)


def _answer(request: Request, row: AppointmentRow) -> Response:
    runtime = runtime_of(request)
    response = presenters.appointment_response(runtime.organisation, runtime.tokens, row)
    return _json(presenters.encode(response))


async def create_appointment(request: Request) -> Response:
    key = booking.check_idempotency_key(request.headers.get("idempotency-key"))
    body = decode_body(_BOOKING, await request.body())
    answer = await booking.book(
        runtime_of(request), body, idempotency_key=key, digest=booking.request_hash(body)
    )
    return _json(answer.body, answer.status_code)


async def show_appointment(request: Request) -> Response:
    row = await booking.appointment_of(runtime_of(request), request.path_params["token"])
    return _answer(request, row)


async def cancel_appointment(request: Request) -> Response:
    row = await booking.cancel(runtime_of(request), request.path_params["token"])
    return _answer(request, row)


async def reschedule_appointment(request: Request) -> Response:
    token = request.path_params["token"]
    runtime = runtime_of(request)
    # The token first: a stranger learns nothing about the body's shape.
    await booking.appointment_of(runtime, token)
    body = decode_body(_RESCHEDULE, await request.body())
    row = await booking.reschedule(runtime, token, body)
    return _answer(request, row)


async def appointment_slots(request: Request) -> Response:
    """The free times to move this appointment to: `reschedule`'s rules, as slots.

    The same target as a reschedule (subject, meeting type, the office for OFFICE and
    ON_LOCATION, the invite's agent and hidden subject), the appointment itself left out
    of the busy time, and its own start left out of the answer (not a move). `from`,
    `to` and `tz` as for GET /api/v1/slots; `tz` defaults to the appointment's zone.
    """
    runtime = runtime_of(request)
    # The token first, as for reschedule.
    row, target = await booking.movable(runtime, request.path_params["token"])
    query = decode_query(request, schemas.AppointmentSlotsQuery)
    slots.check_days(query.first_day, query.last_day)
    tz_name = query.tz or row.timezone
    zone = slots.zone_named(tz_name)
    found = await slots.find(
        runtime,
        catalog_.catalog_for(runtime.organisation),
        model.SlotQuery(
            subject=target.subject,
            meeting_type=target.meeting_type,
            office=target.office,
            agent=target.agent,
            first_day=query.first_day,
            last_day=query.last_day,
            timezone=tz_name,
        ),
        runtime.now(),
        invited=row.invite_id is not None,
        exclude_appointment=(row.agent, row.start, row.end),
    )
    return slots.respond(tz_name, zone, [slot for slot in found if slot.start != row.start])


async def calendar_file(request: Request) -> Response:
    runtime = runtime_of(request)
    row = await booking.appointment_of(runtime, request.path_params["token"])
    return Response(
        presenters.calendar_file(runtime.organisation, runtime.tokens, row),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="appointment.ics"',
            **_NO_STORE,
        },
    )


routes: list[BaseRoute] = [
    Route("/api/v1/appointments", create_appointment, methods=["POST"]),
    Route("/api/v1/appointments/{token}", show_appointment, methods=["GET"]),
    Route("/api/v1/appointments/{token}/cancel", cancel_appointment, methods=["POST"]),
    Route("/api/v1/appointments/{token}/reschedule", reschedule_appointment, methods=["POST"]),
    Route("/api/v1/appointments/{token}/slots", appointment_slots, methods=["GET"]),
    Route("/api/v1/appointments/{token}/calendar.ics", calendar_file, methods=["GET"]),
]
