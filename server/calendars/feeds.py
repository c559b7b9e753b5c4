"""Reading an ICS feed over HTTP (SPEC 12): Outlook's and Google's published calendars,
iCloud's public calendar links, any `text/calendar` address.

- Conditional requests: the `ETag` and `Last-Modified` of the last good answer are sent
  back (`If-None-Match`, `If-Modified-Since`); a `304 Not Modified` is a read that
  worked and changed nothing.
- One deadline of `TIMEOUT` seconds for the whole read, redirects and body included: a
  server that sends a byte a second is as slow as one that sends nothing.
- The body is streamed and the read stops past `MAX_BYTES` (after decompression, so a
  compressed bomb stops too); a `Content-Length` beyond it stops the read at once.
- http and https only; at most `MAX_REDIRECTS` redirects, each to http(s), never from
  https to http (the address is a secret); no proxies or credentials from the
  environment.
- Nothing of the address but its host ever appears in an error (`links.where`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Final

import httpx

from server.calendars import problems
from server.calendars.links import where

TIMEOUT: Final = 10.0
MAX_BYTES: Final = 10 * 1024 * 1024
MAX_REDIRECTS: Final = 5
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_HEADERS: Final = {
    "user-agent": "Rendezvous-Calendars/1",
    "accept": "text/calendar, text/plain;q=0.5, */*;q=0.1",
}


@dataclass(frozen=True, slots=True)
class Feed:
    """What a read gave: the body, or None for `304 Not Modified`, and the validators."""

    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None


def client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The refresher's HTTP client: redirects handled by `fetch`, no proxies or
    credentials from the environment.

    httpx logs every request with its full URL at INFO; a feed's URL is a secret, so its
    logger is kept at WARNING (what it says then names no URL)."""
    quiet = logging.getLogger("httpx")
    if quiet.getEffectiveLevel() < logging.WARNING:
        quiet.setLevel(logging.WARNING)
    return httpx.AsyncClient(
        timeout=TIMEOUT,
        follow_redirects=False,
        trust_env=False,
        transport=transport,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )


async def fetch(
    http: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> Feed:
    """GET an ICS feed; raises a `problems.CalendarProblem` for anything but a body or a
    304."""
    host = where(url)
    try:
        async with asyncio.timeout(timeout):
            return await _follow(http, url, etag, last_modified, max_bytes)
    except TimeoutError:
        raise problems.TimedOut(f"{host} gave no complete answer within {timeout:g} s") from None
    except httpx.TimeoutException:
        raise problems.TimedOut(f"{host} gave no complete answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise problems.Unreachable(f"no connection to {host}: {_reason(exc, url)}") from None


async def _follow(
    http: httpx.AsyncClient,
    url: str,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
) -> Feed:
    headers = dict(_HEADERS)
    if etag:
        headers["if-none-match"] = etag
    if last_modified:
        headers["if-modified-since"] = last_modified
    current = httpx.URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        async with http.stream("GET", current, headers=headers) as response:
            status = response.status_code
            if status in _REDIRECTS:
                current = _redirect(current, response.headers.get("location"))
                continue
            if status == 304:
                return Feed(None, etag, last_modified)
            if not 200 <= status < 300:
                raise problems.for_status(status, f"the calendar at {current.host}")
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise _too_large(max_bytes)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(max_bytes)
            return Feed(
                bytes(body),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
    raise problems.BadRedirect(f"more than {MAX_REDIRECTS} redirects from {where(url)}")


def _redirect(current: httpx.URL, location: str | None) -> httpx.URL:
    if not location:
        raise problems.BadRedirect(f"{current.host} redirected without saying where to")
    try:
        target = current.join(location)
    except httpx.InvalidURL:
        raise problems.BadRedirect(f"{current.host} redirected to an invalid address") from None
    if target.scheme not in ("http", "https"):
        raise problems.BadRedirect(
            f"{current.host} redirected to a {target.scheme or 'relative'}: address;"
            " only http(s) is followed"
        )
    if current.scheme == "https" and target.scheme == "http":
        raise problems.BadRedirect(
            f"{current.host} redirected from https to plain http, which would send the"
            " calendar's secret address unencrypted"
        )
    return target


def _too_large(max_bytes: int) -> problems.TooLarge:
    return problems.TooLarge(f"the calendar is larger than {max_bytes // (1024 * 1024)} MB")


_ADDRESS = re.compile(r"(?:https?|webcals?)://[^\s'\"<>]+", re.IGNORECASE)


def _reason(exc: Exception, url: str) -> str:
    """An httpx error in words, without any address but its host."""
    text = (str(exc) or type(exc).__name__).replace(url, "<address>")
    text = _ADDRESS.sub(lambda found: f"<{where(found.group(0))}>", text)
    return " ".join(text.split())[:200]


__all__ = ["MAX_BYTES", "MAX_REDIRECTS", "TIMEOUT", "Feed", "client", "fetch"]
