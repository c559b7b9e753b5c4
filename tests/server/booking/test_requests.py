"""The checks of a request, before any lock (server/booking/requests.py): answers, starts,
keys, what an invite fixes, the appointment's language and zone.

What the routes refuse with which status, path and code is proven through HTTP in
test_appointments.py and test_holds.py; here are the checks' own edges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server import config
from server.booking.invites import Invite
from server.booking.requests import (
    answer_problems,
    check_idempotency_key,
    display_zone,
    language_of,
    parse_start,
    stored_answers,
    target_of,
)
from server.errors import NotFound, RendezvousError, ValidationFailed
from server.snapshot import Snapshot
from tests.support import NOW, organisation_path

#: Insurance by every meeting type, a mortgage with a question of each type, an office
#: in Brussels and one in London (tests/server/organisations/appointments.toml).
SNAPSHOT = Snapshot.build(config.load(organisation_path("appointments")))
QUESTIONS = SNAPSHOT.subjects["mortgage"].questions
GOOD = {"amount": 250000, "property": "buy", "goals": ["home"], "notes": "First home."}


def problems(answers: dict[str, Any]) -> dict[str, str]:
    return {detail.path: detail.message for detail in answer_problems(QUESTIONS, answers)}


def test_answers_to_every_question_have_no_problem() -> None:
    assert problems(GOOD) == {}


def test_optional_questions_may_be_left_out_or_empty() -> None:
    assert problems({"amount": 250000, "property": "buy"}) == {}
    assert problems({"amount": 250000, "property": "buy", "goals": [], "notes": "  "}) == {}


def test_every_problem_is_reported_at_its_own_path() -> None:
    found = problems({"amount": "lots", "colour": "blue"})

    assert found == {
        "$.answers.colour": 'no question "colour" for this subject',
        "$.answers.amount": "expected a number",
        "$.answers.property": "an answer is required",
    }


@pytest.mark.parametrize(
    ("question", "answer", "message"),
    [
        pytest.param("amount", True, "expected a number", id="a-boolean-is-no-number"),
        pytest.param("amount", float("nan"), "expected a number", id="nan"),
        pytest.param("amount", float("inf"), "expected a number", id="infinity"),
        pytest.param("amount", 10000, None, id="the-minimum"),
        pytest.param("amount", 5000000, None, id="the-maximum"),
        pytest.param("amount", 9999.5, "expected a number >= 10000", id="just-below"),
        # Was "expected a number <= 5e+06": the bound is written as people write it.
        pytest.param("amount", 5000000.5, "expected a number <= 5000000", id="just-above"),
        pytest.param("amount", None, "an answer is required", id="null-is-no-answer"),
        pytest.param("property", "  ", "an answer is required", id="blank-is-no-answer"),
        pytest.param("property", ["buy"], "expected one of buy, renovate", id="select-a-list"),
        pytest.param("goals", ["home", "pension"], None, id="several-options"),
        pytest.param("goals", [7], "expected a list of some of home, pension", id="not-an-id"),
        pytest.param("notes", "x" * 120, None, id="at-max-length"),
        pytest.param("notes", 42, "expected text", id="a-number-is-no-text"),
    ],
)
def test_an_answer_is_checked_against_its_question(
    question: str, answer: object, message: str | None
) -> None:
    found = problems({**GOOD, question: answer})

    assert found.get(f"$.answers.{question}") == message
    assert set(found) <= {f"$.answers.{question}"}


@pytest.mark.parametrize(
    ("low", "high", "answer", "message"),
    [
        pytest.param(0.5, 2.5, 0.25, "expected a number >= 0.5", id="a-fraction"),
        pytest.param(1, 2.0, 3, "expected a number <= 2", id="a-whole-float"),
        pytest.param(-1e6, 0, -2e6, "expected a number >= -1000000", id="negative"),
    ],
)
def test_a_numbers_bounds_are_written_as_people_write_them(
    low: float, high: float, answer: float, message: str
) -> None:
    question = config.Question(id="q", type="number", label="Q", min=low, max=high)

    [problem] = answer_problems([question], {"q": answer})

    assert problem.message == message


@pytest.mark.parametrize(
    ("type", "limit"), [("short_text", 200), ("long_text", 4000)], ids=["short", "long"]
)
def test_text_without_a_max_length_has_a_default_limit(type: str, limit: int) -> None:
    question = config.Question(id="q", type=type, label="Q")  # type: ignore[arg-type]

    assert answer_problems([question], {"q": "x" * limit}) == []
    [problem] = answer_problems([question], {"q": "x" * (limit + 1)})
    assert problem.message == f"expected at most {limit} characters"


def test_whole_numbers_are_stored_as_integers() -> None:
    stored = stored_answers({"amount": 250000.0, "rate": 0.5, "huge": 2.0**60, "yes": True})

    assert stored == {"amount": 250000, "rate": 0.5, "huge": 2.0**60, "yes": True}
    assert type(stored["amount"]) is int
    assert type(stored["huge"]) is float  # beyond what a JSON number keeps exactly


# -- starts and keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        pytest.param("2026-11-25T09:00:00+01:00", datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
                     id="brussels"),
        pytest.param("2026-11-25T08:00:00Z", datetime(2026, 11, 25, 8, 0, tzinfo=UTC), id="z"),
        pytest.param("1970-01-01T00:00:00+00:00", datetime(1970, 1, 1, tzinfo=UTC), id="first"),
        pytest.param("2200-12-31T23:59:00+00:00", datetime(2200, 12, 31, 23, 59, tzinfo=UTC),
                     id="last"),
    ],
)  # fmt: skip
def test_a_start_is_read_with_its_offset_as_utc(text: str, utc: datetime) -> None:
    start = parse_start(text)

    assert start == utc
    assert start.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1969-12-31T23:59:59+00:00", id="before-1970"),
        pytest.param("2201-01-01T00:00:00+00:00", id="after-2200"),
        pytest.param("2026-11-25T09:00:00", id="no-offset"),
    ],
)
def test_a_start_outside_the_years_or_without_offset_is_refused_at_its_path(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_start(text, "$.query.start")

    assert [detail.path for detail in refused.value.details] == ["$.query.start"]


@pytest.mark.parametrize(
    ("key", "good"),
    [
        pytest.param(None, True, id="none"),
        pytest.param("k", True, id="one-character"),
        pytest.param("k" * 255, True, id="255-characters"),
        pytest.param("", False, id="empty"),
        pytest.param("k" * 256, False, id="256-characters"),
        pytest.param("clé-7", False, id="not-ascii"),
        pytest.param("order\t7", False, id="a-control-character"),
    ],
)
def test_an_idempotency_key_is_1_to_255_printable_ascii_characters(
    key: str | None, good: bool
) -> None:
    if good:
        assert check_idempotency_key(key) == key
    else:
        with pytest.raises(ValidationFailed) as refused:
            check_idempotency_key(key)
        assert refused.value.details[0].path == "$.headers.Idempotency-Key"


# -- the target: what is asked, checked against the organisation ----------------------------


def target(invite: Invite | None = None, **asked: Any) -> Any:
    fields: dict[str, Any] = {
        "subject": "insurance",
        "meeting_type": "OFFICE",
        "office": "brussels",
        "agent": None,
        "start": "2026-11-25T09:00:00+01:00",
        "invite": invite,
    }
    return target_of(SNAPSHOT, **{**fields, **asked})


def invite(**fields: Any) -> Invite:
    defaults: dict[str, Any] = {
        "id": "i1",
        "agent": "farid",
        "subject": None,
        "meeting_type": None,
        "office": None,
        "email": None,
        "single_use": False,
        "expires_at": NOW + timedelta(days=7),
    }
    return Invite(**{**defaults, **fields})


def test_a_plain_target_opens_nothing() -> None:
    found = target()

    assert (found.subject, found.meeting_type, found.office, found.agent) == (
        "insurance",
        "OFFICE",
        "brussels",
        None,
    )
    assert found.start == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert found.opened is None


def test_an_invite_fixes_the_agent_fills_in_its_office_and_opens_its_subject() -> None:
    found = target(invite(agent="alice", office="brussels"), subject="account", office=None)

    assert (found.agent, found.office) == ("alice", "brussels")
    assert found.opened == "account"


def test_phone_needs_no_office_but_the_office_types_do() -> None:
    assert target(meeting_type="PHONE", office=None).office is None
    with pytest.raises(ValidationFailed) as refused:
        target(meeting_type="ON_LOCATION", office=None)
    assert refused.value.details[0].path == "$.office"


@pytest.mark.parametrize(
    ("fields", "error", "path"),
    [
        pytest.param({"subject": "boat"}, NotFound, "$.subject", id="unknown-subject"),
        pytest.param({"office": "paris"}, NotFound, "$.office", id="unknown-office"),
        pytest.param({"agent": "zoe"}, NotFound, "$.agent", id="unknown-agent"),
        pytest.param({"subject": "account", "meeting_type": "VIDEO"}, ValidationFailed,
                     "$.meeting_type", id="type-not-offered"),
        pytest.param({"invite": invite(subject="gone")}, NotFound, "$.invite",
                     id="invite-names-a-gone-subject"),
        pytest.param({"invite": invite(agent="gone")}, NotFound, "$.invite",
                     id="invite-names-a-gone-agent"),
        pytest.param({"invite": invite(meeting_type="VIDEO")}, ValidationFailed,
                     "$.meeting_type", id="contradicts-the-invite"),
    ],
)  # fmt: skip
def test_a_target_the_organisation_does_not_have_is_refused_at_its_path(
    fields: dict[str, Any], error: type[RendezvousError], path: str
) -> None:
    with pytest.raises(error) as refused:
        target(**fields)

    assert [detail.path for detail in refused.value.details] == [path]


# -- the appointment's language and zone --------------------------------------------------


def test_the_appointment_is_in_the_customers_language_if_the_organisation_speaks_it() -> None:
    assert language_of(SNAPSHOT, "en") == "en"
    assert language_of(SNAPSHOT, "nl") == "en"  # the organisation speaks only English
    assert language_of(SNAPSHOT, None) == "en"


@pytest.mark.parametrize(
    ("asked", "office", "zone"),
    [
        pytest.param("America/New_York", "london", "America/New_York", id="the-customers"),
        pytest.param(None, "london", "Europe/London", id="else-the-offices"),
        pytest.param(None, None, "Europe/Brussels", id="else-the-organisations"),
        pytest.param(None, "closed-since", "Europe/Brussels", id="an-office-that-is-gone"),
    ],
)
def test_the_appointment_is_shown_in_the_customers_zone_else_the_offices(
    asked: str | None, office: str | None, zone: str
) -> None:
    assert display_zone(SNAPSHOT, asked, office) == zone
