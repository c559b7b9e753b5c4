"""Appointments: book, and manage through the token of the manage link.

POST /api/v1/appointments                         book (Idempotency-Key optional)
GET  /api/v1/appointments/{token}                 the appointment
POST /api/v1/appointments/{token}/cancel          cancel
POST /api/v1/appointments/{token}/reschedule      {start, hold?}: move
GET  /api/v1/appointments/{token}/calendar.ics    the add-to-calendar file
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import booking, presenters
from server.errors import from_msgspec
from server.runtime import runtime_of
from server.schemas import AppointmentRequest, RescheduleRequest
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
    raw = await request.body()
    try:
        body = _BOOKING.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise from_msgspec(exc) from exc
    answer = await booking.book(
        runtime_of(request), body, idempotency_key=key, digest=booking.request_hash(raw)
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
    booking.appointment_id(runtime.tokens, token, runtime.now())
    try:
        body = _RESCHEDULE.decode(await request.body())
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise from_msgspec(exc) from exc
    row = await booking.reschedule(runtime, token, body)
    return _answer(request, row)


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
    Route("/api/v1/appointments/{token}/calendar.ics", calendar_file, methods=["GET"]),
]
