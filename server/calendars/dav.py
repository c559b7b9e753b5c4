"""Reading and writing a CalDAV calendar (SPEC 12) through the `caldav` library:
Nextcloud, Fastmail, iCloud, Radicale, SOGo, Zimbra, ...

- Reading is one time-range query (`calendar-query` REPORT) over the window the
  refresher asks for (the booking horizon): the server returns the objects with an
  event in it, recurring masters whole, which the expansion reads as an ICS feed.
- Writing puts one appointment, by its stable UID: an event with that UID is looked up
  first and replaced (the agent may have accepted the invitation e-mail into the same
  calendar), else created; removing deletes it, and a calendar without it is fine.

The library is synchronous: each call runs in a thread, under a deadline (`DEADLINE`)
on top of the library's own per-request timeout (`TIMEOUT`). The password is only
handed to the library; errors name the host, never the address or a credential.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Final, TypeVar

import niquests
from caldav.davclient import DAVClient
from caldav.lib import error as dav_error

from server.calendars import problems
from server.calendars.feeds import MAX_BYTES
from server.calendars.links import Access, where

#: Seconds per HTTP request, and for a whole read or write (a few requests).
TIMEOUT: Final = 10
DEADLINE: Final = 30.0

_T = TypeVar("_T")


async def read(
    access: Access, start: datetime, end: datetime, *, deadline: float = DEADLINE
) -> list[bytes]:
    """The iCalendar data of every object with an event in `[start, end)`."""

    def search() -> list[bytes]:
        with _client(access) as client:
            calendar = client.calendar(url=access.url)  # type: ignore[no-untyped-call]
            found = calendar.search(start=start, end=end, event=True, expand=False)
            data = [str(item.data).encode("utf-8") for item in found]
        if sum(map(len, data)) > MAX_BYTES:
            raise problems.TooLarge(
                f"the calendar holds more than {MAX_BYTES // (1024 * 1024)} MB of events"
                " in the booking horizon"
            )
        return data

    return await _run(access, search, deadline, "read")


async def put(access: Access, uid: str, data: bytes, *, deadline: float = DEADLINE) -> None:
    """Create or replace the event with this UID."""

    def save() -> None:
        with _client(access) as client:
            calendar = client.calendar(url=access.url)  # type: ignore[no-untyped-call]
            try:
                existing = calendar.event_by_uid(uid)
            # SEQUENCE is the appointment's: the library must not bump it.
            except dav_error.NotFoundError:
                calendar.save_event(data.decode("utf-8"), increase_seqno=False)
                return
            existing.data = data.decode("utf-8")
            existing.save(increase_seqno=False)

    await _run(access, save, deadline, "write")


async def remove(access: Access, uid: str, *, deadline: float = DEADLINE) -> None:
    """Delete the event with this UID; nothing to do when there is none."""

    def delete() -> None:
        with _client(access) as client:
            calendar = client.calendar(url=access.url)  # type: ignore[no-untyped-call]
            try:
                calendar.event_by_uid(uid).delete()
            except dav_error.NotFoundError:
                return

    await _run(access, delete, deadline, "write")


def _client(access: Access) -> DAVClient:
    return DAVClient(
        url=access.url,
        username=access.username,
        password=access.password,
        timeout=TIMEOUT,
        enable_rfc6764=False,
    )


async def _run(access: Access, call: Callable[[], _T], deadline: float, what: str) -> _T:
    host = where(access.url)
    try:
        return await asyncio.wait_for(asyncio.to_thread(call), timeout=deadline)
    except TimeoutError:
        raise problems.TimedOut(f"{host} did not finish the {what} within {deadline:g} s") from None
    except problems.CalendarProblem:
        raise
    except dav_error.AuthorizationError as exc:
        if what == "write":
            raise problems.WriteRefused(
                f"the CalDAV server at {host} does not let this account write to the calendar"
                + (f" (HTTP {exc.status})" if exc.status else "")
            ) from None
        raise problems.Refused(
            f"the CalDAV server at {host} refused the user name or password"
        ) from None
    except dav_error.NotFoundError:
        raise problems.NotFound(
            f"the CalDAV server at {host} has no calendar at this address"
        ) from None
    except dav_error.DAVError as exc:
        status = getattr(exc, "status", None)
        if what == "write" and (status is None or 400 <= status < 500):
            raise problems.WriteRefused(
                f"the CalDAV server at {host} refused to save an appointment"
                + (f" (HTTP {status})" if status else "")
            ) from None
        if isinstance(status, int):
            raise problems.for_status(status, f"the calendar at {host}") from None
        raise problems.HTTPStatus(
            500, f"the CalDAV server at {host} failed: {type(exc).__name__}"
        ) from None
    except niquests.exceptions.Timeout:
        raise problems.TimedOut(f"{host} did not answer within {TIMEOUT} s") from None
    except niquests.exceptions.RequestException as exc:
        raise problems.Unreachable(f"no connection to {host}: {type(exc).__name__}") from None
    except OSError as exc:
        raise problems.Unreachable(
            f"no connection to {host}: {exc.strerror or type(exc).__name__}"
        ) from None
    except Exception as exc:
        raise problems.Unparsable(
            f"the answer of the CalDAV server at {host} cannot be read: {type(exc).__name__}"
        ) from None


__all__ = ["DEADLINE", "TIMEOUT", "put", "read", "remove"]
