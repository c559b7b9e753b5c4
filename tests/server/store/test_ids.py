"""Ids of appointments, holds and deliveries."""

from __future__ import annotations

import re

from server.store import new_id


def test_an_id_is_url_safe_and_never_taken_for_a_command_line_option() -> None:
    # One base64url id in 64 would start with "-" (then `rendezvous outbox --retry ID`
    # read it as an option); 20,000 ids without one fail with a chance of 1 in e^312.
    ids = [new_id() for _ in range(20_000)]
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", id) for id in ids)
    assert len(set(ids)) == len(ids)
