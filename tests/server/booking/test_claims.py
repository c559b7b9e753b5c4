"""What hold and manage tokens say (server/booking/claims.py), read without the store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from server import config
from server.booking import claims
from server.errors import HoldExpired, InvalidToken
from server.snapshot import Snapshot
from server.store import AppointmentRow
from server.tokens import Tokens
from tests.support import NOW, organisation_path

#: Manage links work until 30 days after the appointment (organisations/manage.toml).
SNAPSHOT = Snapshot.build(config.load(organisation_path("manage")))
TOKENS = Tokens("claims-test-secret")
NINE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ROW = AppointmentRow(
    id="a1",
    status="confirmed",
    sequence=0,
    subject="insurance",
    meeting_type="OFFICE",
    office="brussels",
    agent="farid",
    start=NINE,
    end=NINE + timedelta(minutes=30),
    trailing_buffer=0,
    timezone="Europe/Brussels",
    language="en",
    customer={},
    location=None,
    answers={},
    metadata={},
    video_url=None,
    invite_id=None,
    created_at=NOW,
    updated_at=NOW,
)


def test_a_manage_link_lives_until_days_after_the_appointments_current_end() -> None:
    moved = dataclasses.replace(ROW, end=ROW.end + timedelta(days=50))

    assert claims.manage_until(SNAPSHOT, ROW) == ROW.end + timedelta(days=30)
    assert claims.manage_until(SNAPSHOT, moved) == ROW.end + timedelta(days=80)


def test_the_manage_token_names_the_appointment_and_is_the_same_while_it_is() -> None:
    token = claims.manage_token(SNAPSHOT, TOKENS, ROW)

    assert token == claims.manage_token(SNAPSHOT, TOKENS, ROW)
    assert claims.appointment_id(TOKENS, token, NOW) == ("a1", False)


def test_a_manage_token_past_its_own_expiry_still_names_its_appointment() -> None:
    token = claims.manage_token(SNAPSHOT, TOKENS, ROW)
    later = claims.manage_until(SNAPSHOT, ROW) + timedelta(seconds=1)

    # Whether the link still works is decided from the appointment (manage.managed).
    assert claims.appointment_id(TOKENS, token, later) == ("a1", True)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(TOKENS.dumps("hold", {"a": "a1"}, NOW + timedelta(days=1)), id="a-hold-token"),
        pytest.param(TOKENS.dumps("manage", {"id": "a1"}, NOW + timedelta(days=1)), id="no-a"),
        pytest.param(
            Tokens("another").dumps("manage", {"a": "a1"}, NOW + timedelta(days=1)),
            id="another-secret",
        ),
        pytest.param("not-a-token", id="garbage"),
    ],
)
def test_anything_but_a_manage_token_of_ours_is_invalid(token: str) -> None:
    with pytest.raises(InvalidToken):
        claims.appointment_id(TOKENS, token, NOW)


def test_a_hold_token_names_its_hold_until_the_hold_expires() -> None:
    token = TOKENS.dumps("hold", {"h": "h1"}, NOW + timedelta(minutes=7))

    assert claims.hold_id(TOKENS, token, NOW + timedelta(minutes=6)) == "h1"
    with pytest.raises(HoldExpired):
        claims.hold_id(TOKENS, token, NOW + timedelta(minutes=7))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            TOKENS.dumps("manage", {"h": "h1"}, NOW + timedelta(days=1)), id="a-manage-token"
        ),
        pytest.param(TOKENS.dumps("hold", {"h": 7}, NOW + timedelta(days=1)), id="h-not-a-string"),
        pytest.param("not-a-token", id="garbage"),
    ],
)
def test_anything_but_a_hold_token_of_ours_is_invalid(token: str) -> None:
    with pytest.raises(InvalidToken):
        claims.hold_id(TOKENS, token, NOW)
