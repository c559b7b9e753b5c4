"""How `rendezvous serve` runs uvicorn: our own listening socket, our log, no trust in
forwarded headers unless told (docs/operations.md).

Why the socket is ours: with `--workers N` uvicorn binds the listener itself, as a
socket whose protocol number is 0 rather than IPPROTO_TCP, and asyncio switches
Nagle's algorithm off (TCP_NODELAY) only on connections whose socket says IPPROTO_TCP.
Every answer on a kept-open connection then waited for the client's delayed ACK:
~40 ms a request. Here the listener is made with IPPROTO_TCP and TCP_NODELAY set; on
Linux an accepted connection inherits TCP_NODELAY from its listener, and the event
loop sets it again on each connection (tests/server/test_serve.py checks both). The
same socket serves one worker or many, so both behave alike.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import sys
from dataclasses import dataclass
from typing import Any

from server.logs import log_config

#: The exit status when the server cannot start (the address is taken, say): uvicorn's.
EXIT_STARTUP_FAILURE = 3

APP = "server.app:app_from_environ"


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str
    port: int
    workers: int = 1
    log_level: str = "info"
    #: Addresses (comma-separated; `*` for any) of the proxies whose X-Forwarded-For and
    #: X-Forwarded-Proto are believed. None or empty: none are (the default).
    forwarded_allow_ips: str | None = None
    #: uvicorn's HTTP parser: "httptools", "h11", or "auto" (the first importable).
    http: str = "auto"
    #: The event loop: "uvloop", "asyncio", or "auto" (the first importable).
    loop: str = "auto"


HTTP_CHOICES = ("auto", "httptools", "h11")
LOOP_CHOICES = ("auto", "uvloop", "asyncio")


def implementations(http: str = "auto", loop: str = "auto") -> tuple[str, str]:
    """uvicorn's HTTP parser and event loop. "auto": httptools and uvloop
    (`uvicorn[standard]`, a dependency) when importable, else the pure-Python h11 and
    asyncio."""
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return http, loop


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host`:`port` (port 0: any free one), not yet listening,
    with SO_REUSEADDR and TCP_NODELAY, inheritable by the worker processes."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def uvicorn_options(options: ServeOptions) -> dict[str, Any]:
    """The arguments of the uvicorn.Config that `serve` runs (building the Config itself
    applies its log configuration to the calling process)."""
    http, loop = implementations(options.http, options.loop)
    allowed = (options.forwarded_allow_ips or "").strip()
    return dict(
        app=APP,
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers,
        http=http,
        loop=loop,
        log_config=log_config(options.log_level),
        log_level=options.log_level,
        access_log=False,  # ours (server/middleware/body.py) leaves customer data out
        # Forwarded headers are believed only from the proxies named (docs/operations.md):
        # otherwise any client could pick its own address, and so its own rate limit.
        proxy_headers=bool(allowed),
        forwarded_allow_ips=allowed or [],
    )


def serve(options: ServeOptions) -> int:
    """Run until stopped (SIGINT, SIGTERM); the exit status."""
    # Imported here: the other commands of the CLI import this module too.
    from uvicorn import Config, Server
    from uvicorn.supervisors import Multiprocess

    config = Config(**uvicorn_options(options))
    try:
        sock = listening_socket(options.host, options.port)
    except OSError as exc:
        print(
            f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return EXIT_STARTUP_FAILURE
    with sock:
        if options.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
            return 0
        server = Server(config)
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
        return 0 if server.started else EXIT_STARTUP_FAILURE


__all__ = [
    "EXIT_STARTUP_FAILURE",
    "HTTP_CHOICES",
    "LOOP_CHOICES",
    "ServeOptions",
    "implementations",
    "listening_socket",
    "serve",
    "uvicorn_options",
]
