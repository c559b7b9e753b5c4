"""The demo organisation file for other ports than 8000 and 8001 (`make run` uses it).

    python examples/demo_ports.py --api-port 18000 --host-port 18001 --out var/demo.toml

The demo file names the booking server's address (`public_url`: the links in
confirmations point there) and the example host page's origin (`allowed_origins`:
the widget may book from there) with the ports 8000 and 8001. For other ports this
writes a copy with those addresses changed, and prints its path; with the default
ports it prints the demo file's own path and writes nothing, so edits of
examples/demo-bank/organisation.toml show at once, without a restart.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

DEMO = Path(__file__).resolve().parent / "demo-bank" / "organisation.toml"
API_PORT, HOST_PORT = 8000, 8001


def with_ports(text: str, api_port: int, host_port: int) -> str:
    """`text` with the demo's local addresses moved to the given ports, in one pass (so
    that swapped ports do not overwrite each other)."""
    ports = {str(API_PORT): str(api_port), str(HOST_PORT): str(host_port)}
    pattern = re.compile(r"(https?://(?:127\.0\.0\.1|localhost)):(8000|8001)\b")
    return pattern.sub(lambda m: f"{m[1]}:{ports[m[2]]}", text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-port", type=int, default=API_PORT)
    parser.add_argument("--host-port", type=int, default=HOST_PORT)
    parser.add_argument("--out", type=Path, default=Path("var") / "demo-organisation.toml")
    args = parser.parse_args(argv)
    if (args.api_port, args.host_port) == (API_PORT, HOST_PORT):
        print(DEMO)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = DEMO.read_text(encoding="utf-8")
    note = (
        f"# A copy of {DEMO.name} from examples/demo-bank/ for the ports {args.api_port}"
        f" (server) and {args.host_port} (host page),\n# written by `make run`"
        " (examples/demo_ports.py): edit the original, not this copy.\n"
    )
    args.out.write_text(note + with_ports(text, args.api_port, args.host_port), encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
