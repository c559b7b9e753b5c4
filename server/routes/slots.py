"""GET /api/v1/slots: the free start times for one query (SPEC 4 and 5).

Decode the query → resolve ids against the organisation version's catalog → load the
busy time of exactly the agents who can serve the query (one SQL query) → ask the
engine → render each slot in `tz` with its offset. `Cache-Control: no-store`.

Decisions:

- `office` is required for OFFICE and ON_LOCATION: for ON_LOCATION it picks the pool
  of agents who travel from that office.
- `tz` defaults to the office's zone, else the organisation's.
- `invite=TOKEN` fixes the agent and whatever else the invite names; a query that
  contradicts it is VALIDATION_FAILED. With an invite, `subject` and `meeting_type`
  may be left out when the invite names them, and a subject hidden from customers
  (`available_for_customers = false`) is offered: invites are how those are booked.
  Whether a single-use invite was used already is not checked here (a read would
  need the write connection); the booking refuses it with INVITE_USED.
- Dates outside what any planning rule can offer (before yesterday, beyond
  today + 732 days) give no slots without asking the engine.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import availability
from availability import model
from server import errors, schemas
from server.booking import catalog as catalog_
from server.booking import invites
from server.booking.occupancy import load_busy
from server.routes.catalog import Wanted, apply_invite, decode_query, resolve
from server.runtime import Runtime, runtime_of

MAX_DAYS = 62
#: Planning rules allow `latest` up to 730 days; nothing is offered beyond this.
_HORIZON = timedelta(days=732)
_ENCODER = msgspec.json.Encoder()
_HEADERS = {"Cache-Control": "no-store"}
_NEEDS_OFFICE = frozenset({model.OFFICE, model.ON_LOCATION})


@functools.lru_cache(maxsize=512)
def time_zone(name: str) -> ZoneInfo | None:
    """The IANA zone `name`, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError, OSError for odd names
        return None


async def list_slots(request: Request) -> Response:
    query = decode_query(request, schemas.SlotsQuery)
    runtime = runtime_of(request)
    now = runtime.now()
    catalog = catalog_.catalog_for(runtime.organisation)
    wanted = Wanted(
        subject=resolve(catalog, "subject", query.subject),
        meeting_type=query.meeting_type,
        office=resolve(catalog, "office", query.office),
        agent=resolve(catalog, "agent", query.agent),
    )
    if query.invite is not None:
        # The same check as the catalog listings' (TOKEN_*, contradictions, gone ids).
        wanted, _ = apply_invite(runtime, catalog, query.invite, wanted, now)
    subject, meeting_type, office, agent = (
        wanted.subject,
        wanted.meeting_type,
        wanted.office,
        wanted.agent,
    )
    if subject is None:
        raise errors.ValidationFailed.at(
            "$.query.subject", "The query parameter subject is required."
        )
    if meeting_type is None:
        raise errors.ValidationFailed.at(
            "$.query.meeting_type", "The query parameter meeting_type is required."
        )
    if office is None and meeting_type in _NEEDS_OFFICE:
        raise errors.ValidationFailed.at(
            "$.query.office", f"An office is required for meeting type {meeting_type}."
        )
    check_days(query.first_day, query.last_day)
    tz_name = query.tz or (catalog.offices[office].timezone if office else catalog.timezone)
    zone = zone_named(tz_name)

    slot_query = model.SlotQuery(
        subject=subject,
        meeting_type=meeting_type,
        office=office,
        agent=agent,
        first_day=query.first_day,
        last_day=query.last_day,
        timezone=tz_name,
    )
    slots = await find(runtime, catalog, slot_query, now, invited=query.invite is not None)
    return respond(tz_name, zone, slots)


def check_days(first_day: date, last_day: date) -> None:
    """`from` and `to` of a slots query: in order, at most `MAX_DAYS` days."""
    if last_day < first_day:
        raise errors.ValidationFailed.at("$.query.to", "to must not be before from.")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise errors.ValidationFailed.at(
            "$.query.to", f"At most {MAX_DAYS} days can be asked at once."
        )


def zone_named(tz_name: str) -> ZoneInfo:
    """The zone of a slots query's `tz`; VALIDATION_FAILED at `$.query.tz` if unknown."""
    zone = time_zone(tz_name)
    if zone is None:
        raise errors.ValidationFailed.at("$.query.tz", f"Unknown time zone {tz_name!r}.")
    return zone


def respond(tz_name: str, zone: ZoneInfo, slots: list[model.Slot]) -> Response:
    return Response(render(tz_name, zone, slots), media_type="application/json", headers=_HEADERS)


class _Slot(msgspec.Struct, array_like=False):
    """`schemas.SlotOut` with aware datetimes, which msgspec renders fastest."""

    start: datetime
    end: datetime


def render(tz_name: str, zone: ZoneInfo, slots: list[model.Slot]) -> bytes:
    """The body of `schemas.SlotsResponse`: each time with the offset of `zone`.

    msgspec writes a zero offset as "Z"; it is spelled "+00:00" like every other offset.
    """
    rendered = _ENCODER.encode(
        [_Slot(s.start.astimezone(zone), s.end.astimezone(zone)) for s in slots]
    )
    return b"".join(
        (
            b'{"timezone":',
            _ENCODER.encode(tz_name),
            b',"slots":',
            rendered.replace(b'Z"', b'+00:00"'),
            b"}",
        )
    )


async def find(
    runtime: Runtime,
    catalog: catalog_.Catalog,
    query: model.SlotQuery,
    now: datetime,
    *,
    invited: bool,
    exclude_appointment: tuple[str, datetime, datetime] | None = None,
) -> list[model.Slot]:
    """The engine's slots for `query`; `invited` opens a hidden subject (as an invite
    does), `exclude_appointment` (agent, start, end) leaves one appointment out of the
    busy time (as its reschedule does)."""
    today = now.date()
    first_day = max(query.first_day, today - timedelta(days=1))
    last_day = min(query.last_day, today + _HORIZON)
    if first_day > last_day:
        return []
    pool = catalog.pool(query.subject, query.meeting_type, query.office)
    if query.agent is not None:
        pool = (query.agent,) if query.agent in pool else ()
    if not pool:
        return []
    zone = time_zone(query.timezone)
    window_start = datetime.combine(first_day, time(), zone).astimezone(UTC)
    window_end = datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC)
    busy = await load_busy(
        runtime.store,
        pool,
        window_start,
        window_end,
        now,
        exclude_appointment=exclude_appointment,
    )
    engine = catalog.loaded.engine
    if invited:
        engine = invites.open_subject(engine, query.subject)
    query = dataclasses.replace(query, first_day=first_day, last_day=last_day)
    # `find_slots` is a pure function of what goes into this key: `now` only counts to
    # the minute (slots start on whole minutes), and the busy time just read from the
    # store is part of it, so a booking in any process changes the key.
    minute = now.replace(second=0, microsecond=0)
    key = (catalog.version, invited, query, minute, now == minute, _busy_key(busy))
    found = _MEMO.get(key)
    if found is None:
        found = availability.find_slots(engine, busy, query, now)
        if len(_MEMO) >= _MEMO_SIZE:
            del _MEMO[next(iter(_MEMO))]
        _MEMO[key] = found
    return found


_MEMO: dict[tuple[object, ...], list[model.Slot]] = {}
_MEMO_SIZE = 256


def _busy_key(busy: model.Busy) -> tuple[object, ...]:
    return (
        tuple((agent, tuple(items)) for agent, items in busy.occupations.items()),
        tuple((agent, tuple(items)) for agent, items in busy.external.items()),
    )


routes: list[BaseRoute] = [Route("/api/v1/slots", list_slots, methods=["GET"])]
