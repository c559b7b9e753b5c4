"""An empty catalog answer says why (`reason`): the widget's `rendezvous:misconfigured`
gets a reason the operator can act on instead of a bare empty list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.test_doctor import SMALL

pytestmark = pytest.mark.organisation("demo")


def client_for(tmp_path: Path, text: str) -> Iterator[TestClient]:
    path = tmp_path / "organisation.toml"
    path.write_text(text)
    settings = Settings(
        config_path=path,
        database_path=tmp_path / "var" / "rendezvous.sqlite3",
        secret_key="test-secret-key-not-for-production",
        reload_interval=0,
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), base_url="https://book.small.example") as client:
        yield client


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(tmp_path, SMALL)


def test_a_listing_with_something_in_it_has_no_reason(client: TestClient) -> None:
    for path in ("subjects", "meeting-types?subject=mortgage", "offices?subject=mortgage"):
        body = client.get(f"/api/v1/{path}").json()
        assert "reason" not in body, path  # only an empty answer has one


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        pytest.param(
            ("online_planning = true", "online_planning = false"),
            "AGENT_NOT_ONLINE",
            id="the-only-agent-plans-offline",
        ),
        pytest.param(
            ('"Main Street"\nactive = true', '"Main Street"\nactive = false'),
            "OFFICE_INACTIVE",
            id="the-only-office-is-switched-off",
        ),
        pytest.param(
            ('expertise = ["tax"]', "expertise = []"),
            "AGENT_NO_EXPERTISE",
            id="the-assigned-agent-lacks-the-expertise",
        ),
        pytest.param(('agents = ["ann"]', "agents = []"), "NO_AGENT_ASSIGNED", id="nobody"),
        pytest.param(
            ("available_for_customers = true", "available_for_customers = false"),
            "SUBJECT_NOT_AVAILABLE",
            id="the-only-subject-is-hidden",
        ),
        pytest.param(
            (
                'monday = [{ start = "09:00", end = "17:00", office = "main" }]\n'
                '  tuesday = [{ start = "09:00", end = "17:00", office = "main" }]\n'
                '  wednesday = [{ start = "09:00", end = "17:00", office = "main" }]',
                "",
            ),
            "OUTSIDE_HOURS",
            id="no-hours",
        ),
    ],
)
def test_an_empty_catalog_says_why(tmp_path: Path, edit: tuple[str, str], reason: str) -> None:
    old, new = edit
    assert old in SMALL
    for client in client_for(tmp_path, SMALL.replace(old, new, 1)):
        body = client.get("/api/v1/subjects").json()
        assert body == {"categories": [], "reason": reason}
        assert client.get("/api/v1/meeting-types?subject=tax").json()["reason"] == reason


def test_filters_that_match_nothing_say_why(small: TestClient) -> None:
    body = small.get("/api/v1/subjects?meeting_type=PHONE").json()
    assert body == {"categories": [], "reason": "MEETING_TYPE_NOT_ENABLED"}
    offices = small.get("/api/v1/offices?subject=tax&meeting_type=ON_LOCATION").json()
    assert offices == {"offices": [], "reason": "MEETING_TYPE_NOT_ENABLED"}


def test_an_agent_filter_reads_that_agents_reason(tmp_path: Path) -> None:
    text = SMALL.replace('agents = ["ann"]', 'agents = ["ann", "bob"]') + (
        '\n[[agents]]\nid = "bob"\nname = "Bob"\noffices = ["main"]\nexpertise = []\n'
    )
    for client in client_for(tmp_path, text):
        assert "reason" not in client.get("/api/v1/subjects").json()  # Ann serves
        body = client.get("/api/v1/subjects?agent=bob").json()
        assert body == {"categories": [], "reason": "AGENT_NO_EXPERTISE"}


def test_the_reason_is_in_the_openapi_description(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("SubjectsResponse", "MeetingTypesResponse", "OfficesResponse"):
        assert "reason" in schemas[name]["properties"], name
