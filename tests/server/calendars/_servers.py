"""Real parts for the calendar tests: an HTTP server that serves ICS feeds and misbehaves
on demand, and a Radicale CalDAV server, each started by the test that uses it on a free
loopback port."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from caldav.davclient import DAVClient

from tests.support import eventually


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Feed:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before the answer
    endless: bool = False  # a body that never ends (no Content-Length)
    drip: bool = False  # ... one byte at a time, slowly
    location: str | None = None  # for 3xx
    length: int | None = None  # a Content-Length to announce instead of the real one


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    """A real HTTP server in a thread serving `feeds` by path; records every GET."""

    feeds: dict[str, Feed] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with server.lock:
                    server.hits.append(Hit(path, {k.lower(): v for k, v in self.headers.items()}))
                    feed = server.feeds.get(path, Feed(status=404))
                if feed.delay:
                    time.sleep(feed.delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(feed)

            def _answer(self, feed: Feed) -> None:
                if feed.etag and self.headers.get("if-none-match") == feed.etag:
                    self.send_response(304)
                    self.send_header("etag", feed.etag)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self.send_response(feed.status)
                if feed.location:
                    self.send_header("location", feed.location)
                if feed.etag:
                    self.send_header("etag", feed.etag)
                if feed.last_modified:
                    self.send_header("last-modified", feed.last_modified)
                self.send_header("content-type", "text/calendar; charset=utf-8")
                if feed.endless or feed.drip:
                    self.send_header("connection", "close")
                    self.end_headers()
                    chunk = b"X" * (64 * 1024) if feed.endless else b"B"
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if feed.drip:
                            time.sleep(0.2)
                    return
                self.send_header("content-length", str(feed.length or len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes = b"", **kwargs: Any) -> str:
        with self.lock:
            self.feeds[path] = Feed(body=body, **kwargs)
        return self.url(path)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for hit in self.hits if hit.path == path)

    def last(self, path: str) -> Hit:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path][-1]

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


USER, PASSWORD = "alice", "s3cret dav"


class Radicale:
    """A Radicale CalDAV server in a child process, with its own storage folder and a
    plain htpasswd file (user `alice`). `readonly` is a calendar alice may only read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        users = folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        rights = folder / "rights"
        rights.write_text(
            "[root]\nuser: .+\ncollection:\npermissions: R\n\n"
            "[principal]\nuser: .+\ncollection: {user}\npermissions: R\n\n"
            "[readonly]\nuser: .+\ncollection: {user}/readonly\npermissions: Rr\n\n"
            "[calendars]\nuser: .+\ncollection: {user}/[^/]+\npermissions: RrWw\n"
        )
        storage = folder / "storage"
        for name in ("work", "readonly", "bob"):
            collection = storage / "collection-root" / USER / name
            collection.mkdir(parents=True)
            (collection / ".Radicale.props").write_text(json.dumps({"tag": "VCALENDAR"}))
        self.command = [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            f"--storage-filesystem-folder={storage}",
            f"--server-hosts=127.0.0.1:{self.port}",
            "--auth-type=htpasswd",
            f"--auth-htpasswd-filename={users}",
            "--auth-htpasswd-encryption=plain",
            "--auth-delay=0",
            "--rights-type=from_file",
            f"--rights-file={rights}",
            "--logging-level=warning",
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, calendar: str = "work") -> str:
        return f"http://127.0.0.1:{self.port}/{USER}/{calendar}/"

    def __enter__(self) -> Radicale:
        log = (self.folder / "radicale.log").open("wb")
        self.process = process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT
        )

        def state() -> str:
            if process.poll() is not None:
                return "exited"
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
            except httpx.HTTPError:
                return "starting"
            return "answering"

        if eventually(state, lambda found: found != "starting", timeout=20) != "answering":
            log_text = (self.folder / "radicale.log").read_text()
            raise RuntimeError(f"radicale did not start: {log_text}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @contextlib.contextmanager
    def client(self, name: str = "work") -> Iterator[Any]:
        url = self.url(name)
        with DAVClient(url=url, username=USER, password=PASSWORD, timeout=10) as client:
            yield client.calendar(url=url)  # type: ignore[no-untyped-call]

    def put(self, ics: str, name: str = "work") -> None:
        """Put one event into one of alice's calendars with the caldav library."""
        with self.client(name) as calendar:
            calendar.save_event(ics)

    def events(self, name: str = "work") -> dict[str, str]:
        """UID -> iCalendar data of every object in one of alice's calendars."""
        import icalendar

        found = {}
        with self.client(name) as calendar:
            for item in calendar.events():
                parsed = icalendar.Calendar.from_ical(item.data)
                for event in parsed.walk("VEVENT"):
                    found[str(event["UID"])] = str(item.data)
        return found


def event(uid: str, start: datetime, end: datetime, extra: str = "") -> str:
    """One VEVENT in a VCALENDAR, times in UTC."""
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start.strftime(stamp)}",
        f"DTEND:{end.strftime(stamp)}",
        "SUMMARY:Private meeting with the tax inspector",
        *([extra] if extra else []),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def feed(*events: str) -> bytes:
    """Several `event`s in one VCALENDAR, as a feed serves them."""
    inner = "".join(
        e.split("BEGIN:VCALENDAR\r\n", 1)[1].rsplit("END:VCALENDAR\r\n", 1)[0] for e in events
    )
    body = inner.replace("VERSION:2.0\r\nPRODID:-//tests//EN\r\n", "")
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n{body}END:VCALENDAR\r\n".encode()
    )
