"""Serve the example host pages from another origin than the booking server.

    python examples/serve_host.py [--port 8001] [--api http://127.0.0.1:8000]

The pages embed the widget from http://127.0.0.1:8000; with --api they are served
with that origin replaced, to try a server elsewhere. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import io
from pathlib import Path

HOST_DIR = Path(__file__).resolve().parent / "host"
DEFAULT_API = "http://127.0.0.1:8000"


class _Handler(http.server.SimpleHTTPRequestHandler):
    api = DEFAULT_API

    def end_headers(self) -> None:
        # Host pages change while you edit them: never let the browser keep a stale copy.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or self.api == DEFAULT_API or not path.is_file():
            return super().send_head()
        body = path.read_bytes().replace(DEFAULT_API.encode(), self.api.rstrip("/").encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--api", default=DEFAULT_API, help="origin of the Rendezvous server")
    args = parser.parse_args(argv)
    handler = type("Handler", (_Handler,), {"api": args.api})
    try:
        server = http.server.ThreadingHTTPServer(
            (args.host, args.port), functools.partial(handler, directory=str(HOST_DIR))
        )
    except OSError as exc:
        raise SystemExit(
            f"serve_host.py: cannot serve the example host pages on {args.host}:{args.port}:"
            f" {exc.strerror}. Choose another port, e.g. `make run HOST_PORT=8011`."
        ) from None
    print(
        f"  example host page: http://{args.host}:{args.port}/  (another origin; the widget"
        f" comes from {args.api})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
