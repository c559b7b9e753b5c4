"""`python -m bench.feed_server PORT DIRECTORY`: the files of DIRECTORY over HTTP/1.1 for
`bench.bench_calendars`, as a calendar service would serve them: keep-alive,
`Last-Modified` and `304 Not Modified`, and a listen backlog of 1,024 (the standard
library's `http.server` command keeps 5, and a client with more connections than that
waits for TCP to retry)."""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True


def main(argv: list[str]) -> None:
    port, directory = int(argv[0]), argv[1]
    handler = functools.partial(Handler, directory=directory)
    with Server(("127.0.0.1", port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
