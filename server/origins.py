"""Web origins (RFC 6454): what a browser sends in `Origin`, and what the organisation
file allows in `public_url` and `allowed_origins`.

Parsing is strict: an origin is `scheme://host[:port]` and nothing else. Anything that
does not have exactly that form (`https://bank.example:443.evil.example`, a path, user
information, an empty host, a port out of range) is no origin at all, so it can never
match an allowed one.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST: Final = rf"(?:\[[0-9A-Fa-f:.]+\]|{_LABEL}(?:\.{_LABEL})*)"
_ORIGIN: Final = re.compile(rf"(?P<scheme>https?)://(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?")


def parse_origin(value: str) -> str | None:
    """The canonical form of an `Origin` header (`scheme://host[:port]`, lower-cased,
    without a default port), or None when `value` is not exactly an origin."""
    match = _ORIGIN.fullmatch(value)
    if match is None:
        return None
    scheme, host = match["scheme"].lower(), match["host"].lower()
    port = None if match["port"] is None else int(match["port"])
    if port is not None and not 0 < port < 65536:
        return None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_of(url: str) -> str | None:
    """The origin of a URL from the organisation file (a path and a query may follow);
    None when it has no http(s) origin."""
    parts = urlsplit(url.strip())
    return parse_origin(f"{parts.scheme}://{parts.netloc}")
