"""E-mail addresses as the organisation file writes them: `Demo Bank <x@bank.example>`
or a bare `x@bank.example`, parsed strictly (one mailbox, no control characters, the
address in the project's e-mail format), and names made fit for a header."""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import Address
from typing import Final

from server.vocabulary import EMAIL_PATTERN

_EMAIL: Final = re.compile(EMAIL_PATTERN)
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MAX_NAME: Final = 200


def parse_mailbox(value: str) -> Address | None:
    """The one mailbox `value` names, or None when it is not exactly one valid mailbox."""
    if _CONTROL.search(value):
        return None
    try:
        header = policy.default.header_factory("from", value)
    except (ValueError, IndexError, TypeError):
        return None
    found: tuple[Address, ...] = getattr(header, "addresses", ())
    if header.defects or len(found) != 1:
        return None
    address: Address = found[0]
    if not _EMAIL.fullmatch(address.addr_spec) or len(address.display_name) > MAX_NAME:
        return None
    return address


def header_name(value: str, limit: int = MAX_NAME) -> str:
    """A display name for a header: line breaks and other control characters become
    one space, and it is cut to `limit` characters. What is left is only ever text: the
    `email` package quotes or encodes it as a header needs."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def mailbox(name: str, address: str) -> Address:
    """A mailbox for a header from a person's name and a checked address."""
    local, _, domain = address.rpartition("@")
    return Address(display_name=header_name(name), username=local, domain=domain)


__all__ = ["MAX_NAME", "header_name", "mailbox", "parse_mailbox"]
