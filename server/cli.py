"""The `rendezvous` command: serve, check, doctor, invite."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from server import config
from server.settings import Settings

EXIT_OK = 0
EXIT_NOTHING_BOOKABLE = 1
EXIT_INVALID = 2


def _load_or_exit(path: Path) -> config.LoadedOrganisation:
    try:
        return config.load(path)
    except config.ConfigError as exc:
        print(f"{path}: {len(exc.issues)} problem(s):", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None
    except OSError as exc:
        print(f"{path}: cannot read the file: {exc.strerror}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def cmd_check(args: argparse.Namespace) -> int:
    loaded = _load_or_exit(Path(args.file))
    print(config.summary(loaded))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_environ()
    host = args.host or settings.host
    port = args.port or settings.port
    # Refuse to start on an invalid file, with the same messages as `check`.
    loaded = _load_or_exit(settings.config_path)
    os.environ["RENDEZVOUS_CONFIG"] = str(settings.config_path)
    base = f"http://{host}:{port}"
    print(
        f"Rendezvous is serving {loaded.organisation.organisation.name!r} "
        f"(organisation file {settings.config_path}, version {loaded.version})\n"
        f"  booking page:   {base}/book\n"
        f"  health:         {base}/healthz\n"
        f"  API reference:  {base}/api/v1/openapi.json\n"
        f"  example host page (another origin): run `make host`, then open "
        f"http://{host}:8001/\n",
        flush=True,
    )
    uvicorn.run(
        "server.app:app_from_environ",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,  # our own access log leaves customer data out
        proxy_headers=True,
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rendezvous", description="Appointment booking for organisations with offices."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API, the widget and /book")
    serve.add_argument("--host", default=None, help="default: RENDEZVOUS_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: RENDEZVOUS_PORT or 8000")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(handler=cmd_serve)

    check = commands.add_parser("check", help="validate an organisation file")
    check.add_argument("file", help="the organisation file (TOML)")
    check.set_defaults(handler=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
