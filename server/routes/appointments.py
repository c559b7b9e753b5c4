"""Appointments: book, and manage through the token of the manage link.

POST /api/v1/appointments                         book (Idempotency-Key optional)
GET  /api/v1/appointments/{token}                 the appointment
POST /api/v1/appointments/{token}/cancel          cancel
POST /api/v1/appointments/{token}/reschedule      {start, hold?}: move
GET  /api/v1/appointments/{token}/slots           free times to move it to (an extension)
GET  /api/v1/appointments/{token}/calendar.ics    the add-to-calendar file

The services (`server.booking.appointments`, `.manage`, `.slots`) hand back rows; the
answer is rendered here, after their transaction has committed.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import schemas
from server.booking import appointments, manage, presenters, slots
from server.booking.requests import check_idempotency_key, request_hash
from server.routes._http import NO_STORE, client_of, decode_query, json_response
from server.runtime import runtime_of
from server.schemas import AppointmentRequest, RescheduleRequest, decode_body
from server.store import AppointmentRow

_BOOKING = msgspec.json.Decoder(AppointmentRequest)
_RESCHEDULE = msgspec.json.Decoder(RescheduleRequest)


def _answer(request: Request, row: AppointmentRow, status_code: int = 200) -> Response:
    runtime = runtime_of(request)
    response = presenters.appointment_response(runtime.snapshot, runtime.tokens, row)
    return json_response(presenters.encode(response), status_code)


async def create_appointment(request: Request) -> Response:
    key = check_idempotency_key(request.headers.get("idempotency-key"))
    body = decode_body(_BOOKING, await request.body())
    row = await appointments.book(
        runtime_of(request),
        body,
        idempotency_key=key,
        digest=request_hash(body),
        client=client_of(request),
    )
    return _answer(request, row, 201)


async def show_appointment(request: Request) -> Response:
    row = await manage.appointment_of(runtime_of(request), request.path_params["token"])
    return _answer(request, row)


async def cancel_appointment(request: Request) -> Response:
    row = await manage.cancel(runtime_of(request), request.path_params["token"])
    return _answer(request, row)


async def reschedule_appointment(request: Request) -> Response:
    token = request.path_params["token"]
    runtime = runtime_of(request)
    # The token first: a stranger learns nothing about the body's shape.
    await manage.appointment_of(runtime, token)
    body = decode_body(_RESCHEDULE, await request.body())
    return _answer(request, await manage.reschedule(runtime, token, body))


async def appointment_slots(request: Request) -> Response:
    runtime = runtime_of(request)
    token = request.path_params["token"]
    # The token first, as for reschedule.
    await manage.movable(runtime, token)
    query = decode_query(request, schemas.AppointmentSlotsQuery)
    found = await slots.search_for_move(runtime, token, query)
    return json_response(found.body)


async def calendar_file(request: Request) -> Response:
    runtime = runtime_of(request)
    row = await manage.appointment_of(runtime, request.path_params["token"])
    return Response(
        presenters.calendar_file(runtime.snapshot, runtime.tokens, row),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="appointment.ics"', **NO_STORE},
    )


routes: list[BaseRoute] = [
    Route("/api/v1/appointments", create_appointment, methods=["POST"]),
    Route("/api/v1/appointments/{token}", show_appointment, methods=["GET"]),
    Route("/api/v1/appointments/{token}/cancel", cancel_appointment, methods=["POST"]),
    Route("/api/v1/appointments/{token}/reschedule", reschedule_appointment, methods=["POST"]),
    Route("/api/v1/appointments/{token}/slots", appointment_slots, methods=["GET"]),
    Route("/api/v1/appointments/{token}/calendar.ics", calendar_file, methods=["GET"]),
]
