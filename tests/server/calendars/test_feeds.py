"""Reading one ICS feed over HTTP (`server.calendars.feeds.fetch`) from a real server that
misbehaves on demand: conditional requests, a deadline for the whole read, a size cap,
redirects bounded and kept to http(s), and never the address in an error."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from server.calendars import feeds as calendar_feeds
from server.calendars.problems import (
    BadRedirect,
    CalendarProblem,
    HTTPStatus,
    NotFound,
    Refused,
    TimedOut,
    TooLarge,
    Unreachable,
)
from tests.server.calendars._servers import FeedServer, free_port

BODY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
SECRET_PATH = "/calendar/ical/alice%40bank.example/private-1f2e3d4c5b6a/basic.ics"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with calendar_feeds.client() as client:
        yield client


async def test_a_feed_is_read_with_its_validators(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    url = feeds.serve("/a.ics", BODY, etag='"abc"', last_modified="Tue, 24 Nov 2026 08:00:00 GMT")
    found = await calendar_feeds.fetch(http, url)
    assert (found.data, found.etag, found.last_modified) == (
        BODY,
        '"abc"',
        "Tue, 24 Nov 2026 08:00:00 GMT",
    )
    again = await calendar_feeds.fetch(
        http, url, etag=found.etag, last_modified=found.last_modified
    )
    assert again.data is None and again.etag == '"abc"'  # 304 Not Modified
    assert feeds.last("/a.ics").headers["if-none-match"] == '"abc"'
    assert feeds.last("/a.ics").headers["if-modified-since"] == "Tue, 24 Nov 2026 08:00:00 GMT"


@pytest.mark.parametrize(
    ("status", "problem", "transient"),
    [
        pytest.param(401, Refused, False, id="401"),
        pytest.param(403, Refused, False, id="403"),
        pytest.param(404, NotFound, False, id="404"),
        pytest.param(410, NotFound, False, id="410"),
        pytest.param(400, HTTPStatus, False, id="400"),
        pytest.param(429, HTTPStatus, True, id="429"),
        pytest.param(500, HTTPStatus, True, id="500"),
        pytest.param(503, HTTPStatus, True, id="503"),
    ],
)
async def test_an_http_error_is_a_problem_of_its_kind(
    feeds: FeedServer, http: httpx.AsyncClient, status: int, problem: type, transient: bool
) -> None:
    with pytest.raises(problem) as raised:
        await calendar_feeds.fetch(http, feeds.serve(SECRET_PATH, status=status))
    assert raised.value.transient is transient
    assert str(status) in raised.value.message


async def test_the_read_has_one_deadline_for_a_server_that_drips(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    url = feeds.serve("/slow.ics", drip=True)  # a byte every 0.2 s: no read ever times out
    started = time.monotonic()
    with pytest.raises(TimedOut) as raised:
        await calendar_feeds.fetch(http, url, timeout=1)
    assert time.monotonic() - started < 5
    assert raised.value.transient and "within 1 s" in raised.value.message


async def test_a_server_that_does_not_answer_times_out(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(TimedOut):
        await calendar_feeds.fetch(http, feeds.serve("/hang.ics", BODY, delay=3), timeout=1)


async def test_the_size_cap_stops_a_body_that_never_ends(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(TooLarge):
        await calendar_feeds.fetch(http, feeds.serve("/endless.ics", endless=True), timeout=20)


async def test_an_announced_size_over_the_cap_stops_at_once(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    url = feeds.serve("/big.ics", BODY, length=20 * 1024 * 1024)
    with pytest.raises(TooLarge) as raised:
        await calendar_feeds.fetch(http, url)
    assert raised.value.message == "the calendar is larger than 10 MB"


async def test_redirects_are_followed_a_few_times_with_the_validators(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    feeds.serve("/final.ics", BODY, etag='"x"')
    feeds.serve("/moved.ics", status=301, location="/final.ics")
    url = feeds.serve("/old.ics", status=302, location=feeds.url("/moved.ics"))
    assert (await calendar_feeds.fetch(http, url)).data == BODY
    assert (await calendar_feeds.fetch(http, url, etag='"x"')).data is None


async def test_too_many_redirects_are_refused(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    url = feeds.serve("/loop.ics", status=307, location="/loop.ics")
    with pytest.raises(BadRedirect) as raised:
        await calendar_feeds.fetch(http, url)
    assert "more than 5 redirects" in raised.value.message
    assert feeds.count("/loop.ics") == 6


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("ftp://127.0.0.1/calendar.ics", id="ftp"),
        pytest.param("webcal://127.0.0.1/calendar.ics", id="webcal"),
        pytest.param("", id="nowhere"),
    ],
)
async def test_a_redirect_to_another_scheme_is_refused(
    feeds: FeedServer, http: httpx.AsyncClient, location: str
) -> None:
    with pytest.raises(BadRedirect):
        await calendar_feeds.fetch(http, feeds.serve("/r.ics", status=302, location=location))


async def test_a_redirect_from_https_to_http_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "http://outlook.example/cal.ics"})

    async with calendar_feeds.client(httpx.MockTransport(handler)) as http:
        with pytest.raises(BadRedirect) as raised:
            await calendar_feeds.fetch(http, "https://outlook.example/owa/calendar/secret/cal.ics")
    assert "unencrypted" in raised.value.message


async def test_no_connection_is_unreachable_and_names_the_host_only(
    http: httpx.AsyncClient,
) -> None:
    url = f"http://127.0.0.1:{free_port()}{SECRET_PATH}"
    with pytest.raises(Unreachable) as raised:
        await calendar_feeds.fetch(http, url)
    assert raised.value.transient
    assert "127.0.0.1" in raised.value.message and "private" not in raised.value.message


async def test_no_problem_message_holds_the_address(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    for behaviour in ({"status": 401}, {"status": 500}, {"endless": True}, {"status": 302}):
        url = feeds.serve(SECRET_PATH, **behaviour)  # type: ignore[arg-type]
        with pytest.raises(CalendarProblem) as raised:
            await calendar_feeds.fetch(http, url, timeout=5)
        assert "private" not in raised.value.message and "alice" not in raised.value.message
