"""GET /api/v1/subjects, /meeting-types, /offices, /agents: only what can really be booked."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server import config, vocabulary
from server.booking import catalog, invites
from tests.support import NOW, edit_file

pytestmark = pytest.mark.organisation("catalog")


def edit_organisation(client: TestClient, path: Path, old: str, new: str) -> None:
    """Change the organisation file on disk and let the server pick it up."""
    edit_file(path, old, new)
    assert client.app.state.runtime.organisation_file.refresh()  # type: ignore[attr-defined]


def subject_ids(body: dict[str, object]) -> list[str]:
    return [s["id"] for c in body["categories"] for s in c["subjects"]]  # type: ignore[attr-defined, index]


# -- subjects ---------------------------------------------------------------------------


def test_subjects_come_in_category_order_without_hidden_ones(client: TestClient) -> None:
    body = client.get("/api/v1/subjects").json()
    # The file lists savings (order = 2) before loans (order = 1).
    assert [c["id"] for c in body["categories"]] == ["loans", "savings", "insurance"]
    assert [c["order"] for c in body["categories"]] == [1, 2, 3]
    assert "estate-planning" not in subject_ids(body)  # available_for_customers = false
    assert subject_ids(body) == ["mortgage", "savings", "investments", "home-insurance"]


def test_a_subject_lists_its_bookable_meeting_types_and_translated_questions(
    client: TestClient,
) -> None:
    body = client.get("/api/v1/subjects?lang=nl").json()
    loans = body["categories"][0]
    assert loans["name"] == "Leningen"
    assert loans["image"] == "https://www.bank.example/img/loans.svg"
    mortgage = loans["subjects"][0]
    assert mortgage["name"] == "Hypotheek"
    assert mortgage["external_id"] == "SUB-17"
    assert mortgage["meeting_types"] == ["OFFICE", "VIDEO"]
    amount, purpose = mortgage["questions"]
    assert amount == {
        "id": "amount",
        "type": "number",
        "required": True,
        "label": "Hoeveel wilt u lenen (EUR)?",
        "options": [],
        "min": 10000,
        "max": 5000000,
        "max_length": None,
    }
    assert [o["label"] for o in purpose["options"]] == ["Kopen", "Bouwen", "Verbouwen"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("office=antwerp", ["mortgage", "savings", "home-insurance"], id="office"),
        pytest.param("meeting_type=ON_LOCATION", ["home-insurance"], id="meeting-type"),
        pytest.param("office=london&meeting_type=PHONE", ["savings"], id="both"),
        pytest.param("office=ext:OFF-ANR&meeting_type=ON_LOCATION", ["home-insurance"],
                     id="external-office-id"),
        pytest.param("office=ghent", [], id="inactive-office-offers-nothing"),
    ],
)  # fmt: skip
def test_subjects_filtered_by_office_and_meeting_type(
    client: TestClient, query: str, expected: list[str]
) -> None:
    body = client.get(f"/api/v1/subjects?{query}").json()
    assert subject_ids(body) == expected
    assert all(c["subjects"] for c in body["categories"])  # empty categories are left out


@pytest.mark.parametrize(
    ("query", "headers", "mortgage"),
    [
        pytest.param("lang=fr", {}, "Crédit hypothécaire", id="lang"),
        pytest.param("lang=xx", {}, "Mortgage", id="unsupported-lang-falls-back"),
        pytest.param("", {}, "Mortgage", id="default-first-language"),
        pytest.param("", {"Accept-Language": "de-DE,nl;q=0.8,en;q=0.5"}, "Hypotheek",
                     id="accept-language"),
        pytest.param("lang=fr-BE", {"Accept-Language": "nl"}, "Crédit hypothécaire",
                     id="lang-wins-over-header"),
    ],
)  # fmt: skip
def test_language_of_the_answer(
    client: TestClient, query: str, headers: dict[str, str], mortgage: str
) -> None:
    body = client.get(f"/api/v1/subjects?{query}", headers=headers).json()
    assert body["categories"][0]["subjects"][0]["name"] == mortgage


def test_a_subject_whose_only_offices_are_switched_off_disappears(
    client: TestClient, config_path: Path
) -> None:
    assert "investments" in subject_ids(client.get("/api/v1/subjects").json())
    edit_organisation(client, config_path, 'id = "brussels"\n', 'id = "brussels"\nactive = false\n')
    edit_organisation(client, config_path, 'id = "london"\n', 'id = "london"\nactive = false\n')
    body = client.get("/api/v1/subjects").json()
    assert "investments" not in subject_ids(body)  # only in Brussels and London
    assert "mortgage" in subject_ids(body)  # Antwerp still has it


# -- meeting types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        pytest.param("en", ["At an office", "Phone call", "At your address"], id="en"),
        pytest.param("nl", ["Op kantoor", "Telefoongesprek", "Op uw adres"], id="nl"),
        pytest.param("fr", ["En agence", "Appel téléphonique", "À votre adresse"], id="fr"),
    ],
)
def test_meeting_types_are_named_in_the_language(
    client: TestClient, lang: str, names: list[str]
) -> None:
    body = client.get(f"/api/v1/meeting-types?subject=home-insurance&lang={lang}").json()
    assert [m["id"] for m in body["meeting_types"]] == ["OFFICE", "PHONE", "ON_LOCATION"]
    assert [m["name"] for m in body["meeting_types"]] == names


def test_meeting_types_have_german_names_for_the_widget() -> None:
    assert catalog.meeting_type_name("OFFICE", "de", "en") == "In einer Filiale"
    assert all("de" in names for names in catalog.MEETING_TYPE_NAMES.values())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("subject=mortgage&office=antwerp", ["OFFICE"], id="office-narrows"),
        # Antwerp enables PHONE too, but David's hours allow no phone calls.
        pytest.param("subject=home-insurance&office=antwerp", ["OFFICE", "ON_LOCATION"],
                     id="agent-hours-count"),
        pytest.param("", ["OFFICE", "VIDEO", "PHONE", "ON_LOCATION"], id="everything"),
        pytest.param("subject=estate-planning", [], id="hidden-subject"),
    ],
)  # fmt: skip
def test_meeting_types_for_filters(client: TestClient, query: str, expected: list[str]) -> None:
    body = client.get(f"/api/v1/meeting-types?{query}").json()
    assert [m["id"] for m in body["meeting_types"]] == expected


# -- offices ----------------------------------------------------------------------------


def test_offices_are_active_ones_by_name_with_their_time_zone(client: TestClient) -> None:
    offices = client.get("/api/v1/offices").json()["offices"]
    assert [o["name"] for o in offices] == ["Antwerp Meir", "Brussels Centre", "London City"]
    assert [o["timezone"] for o in offices] == [
        "Europe/Brussels",
        "Europe/Brussels",
        "Europe/London",
    ]
    assert all(o["distance_km"] is None for o in offices)
    assert offices[1]["address"] == {
        "street": "Rue Neuve 1",
        "postal_code": "1000",
        "city": "Brussels",
        "country": "BE",
    }
    assert offices[1]["geo"] == {"lat": 50.8503, "lon": 4.3517}


def test_offices_near_a_point_come_nearest_first_with_distances(client: TestClient) -> None:
    offices = client.get("/api/v1/offices?near=51.2194,4.4025").json()["offices"]  # Antwerp
    assert [o["id"] for o in offices] == ["antwerp", "brussels", "london"]
    assert offices[0]["distance_km"] == 0.5
    assert offices[1]["distance_km"] == pytest.approx(41.5, abs=1.0)
    assert offices[2]["distance_km"] == pytest.approx(320, abs=10)


def test_offices_without_geo_come_last_near_a_point(client: TestClient, config_path: Path) -> None:
    edit_organisation(client, config_path, "geo = { lat = 51.2178, lon = 4.4090 }\n", "")
    offices = client.get("/api/v1/offices?near=51.2194,4.4025").json()["offices"]
    assert [o["id"] for o in offices] == ["brussels", "london", "antwerp"]
    assert offices[-1]["distance_km"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("subject=home-insurance&meeting_type=ON_LOCATION", ["antwerp", "brussels"],
                     id="on-location"),
        pytest.param("subject=investments", ["brussels", "london"], id="subject"),
        pytest.param("meeting_type=PHONE&subject=savings", ["brussels", "london"], id="phone"),
        pytest.param("subject=estate-planning", [], id="hidden-subject"),
    ],
)  # fmt: skip
def test_offices_for_filters(client: TestClient, query: str, expected: list[str]) -> None:
    body = client.get(f"/api/v1/offices?{query}").json()
    assert [o["id"] for o in body["offices"]] == expected


def test_haversine_distance_between_brussels_and_antwerp() -> None:
    assert catalog.haversine_km((50.8503, 4.3517), (51.2178, 4.4090)) == pytest.approx(41.1, 0.01)
    assert catalog.haversine_km((10.0, 20.0), (10.0, 20.0)) == 0


# -- agents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("subject=mortgage", ["alice", "bob", "george"], id="not-jan-who-is-offline"),
        pytest.param("subject=mortgage&office=antwerp", ["bob"], id="office"),
        pytest.param("subject=mortgage&meeting_type=VIDEO&office=brussels", ["alice", "bob"],
                     id="meeting-type"),
        pytest.param("subject=savings&office=ghent", [], id="inactive-office"),
        pytest.param("subject=home-insurance", ["david", "farid"], id="not-ines-who-is-inactive"),
    ],
)  # fmt: skip
def test_agents_a_customer_may_pick(client: TestClient, query: str, expected: list[str]) -> None:
    body = client.get(f"/api/v1/agents?{query}").json()
    assert sorted(a["id"] for a in body["agents"]) == expected


def test_agents_never_show_email_addresses(client: TestClient) -> None:
    response = client.get("/api/v1/agents?lang=fr")
    assert "@" not in response.text
    alice = next(a for a in response.json()["agents"] if a["id"] == "alice")
    assert alice == {
        "id": "alice",
        "external_id": "EMP-0042",
        "name": "Alice Peeters",
        "function": "Conseillère en crédits",
        "languages": ["nl", "en", "fr"],
    }


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "code", "path"),
    [
        pytest.param("/api/v1/subjects?office=nowhere", 404, "NOT_FOUND", "$.query.office",
                     id="subjects-unknown-office"),
        pytest.param("/api/v1/subjects?meeting_type=TELEPATHY", 422, "VALIDATION_FAILED",
                     "$.query.meeting_type", id="subjects-bad-meeting-type"),
        pytest.param("/api/v1/meeting-types?subject=cooking", 404, "NOT_FOUND", "$.query.subject",
                     id="meeting-types-unknown-subject"),
        pytest.param("/api/v1/meeting-types?office=ext:NOPE", 404, "NOT_FOUND", "$.query.office",
                     id="meeting-types-unknown-external-office"),
        pytest.param("/api/v1/offices?subject=cooking", 404, "NOT_FOUND", "$.query.subject",
                     id="offices-unknown-subject"),
        pytest.param("/api/v1/offices?near=north", 422, "VALIDATION_FAILED", "$.query.near",
                     id="offices-near-not-a-point"),
        pytest.param("/api/v1/offices?near=91,4", 422, "VALIDATION_FAILED", "$.query.near",
                     id="offices-near-out-of-range"),
        pytest.param("/api/v1/agents?office=nowhere", 404, "NOT_FOUND", "$.query.office",
                     id="agents-unknown-office"),
        pytest.param("/api/v1/agents?subject=%3Cscript%3E", 422, "VALIDATION_FAILED",
                     "$.query.subject", id="agents-subject-not-an-id"),
        pytest.param("/api/v1/agents?meeting_type=office", 422, "VALIDATION_FAILED",
                     "$.query.meeting_type", id="agents-lowercase-meeting-type"),
    ],
)  # fmt: skip
def test_bad_filters_answer_in_the_error_shape(
    client: TestClient, url: str, status: int, code: str, path: str
) -> None:
    response = client.get(url)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert [d["path"] for d in error["details"]] == [path]


# -- caching ("never stale") ------------------------------------------------------------

CATALOG_URLS = [
    pytest.param("/api/v1/subjects", id="subjects"),
    pytest.param("/api/v1/meeting-types?subject=mortgage", id="meeting-types"),
    pytest.param("/api/v1/offices?near=50.8,4.3", id="offices"),
    pytest.param("/api/v1/agents?subject=savings", id="agents"),
]


@pytest.mark.parametrize("url", CATALOG_URLS)
def test_catalog_answers_revalidate_with_a_strong_etag(client: TestClient, url: str) -> None:
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "no-cache"
    assert {"Origin", "Accept-Language"} <= set(first.headers["vary"].split(", "))
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_etag_depends_on_the_query_and_the_language(client: TestClient) -> None:
    tags = {
        client.get("/api/v1/subjects").headers["etag"],
        client.get("/api/v1/subjects?lang=nl").headers["etag"],
        client.get("/api/v1/subjects", headers={"Accept-Language": "fr"}).headers["etag"],
        client.get("/api/v1/subjects?office=antwerp").headers["etag"],
    }
    assert len(tags) == 4
    # The same answer, asked differently, has the same tag.
    assert (
        client.get("/api/v1/subjects?lang=en").headers["etag"]
        == client.get("/api/v1/subjects?lang=xx").headers["etag"]
    )


@pytest.mark.parametrize("url", CATALOG_URLS)
def test_etag_changes_when_the_organisation_file_changes(
    client: TestClient, config_path: Path, url: str
) -> None:
    before = client.get(url).headers["etag"]
    edit_organisation(client, config_path, 'name = "Alice Peeters"', 'name = "Alice Peeters-Maes"')
    response = client.get(url, headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response.headers["etag"] != before


def test_catalog_combinations_are_the_configs_bookable_combinations(client: TestClient) -> None:
    built = client.app.state.runtime.snapshot  # type: ignore[attr-defined]
    assert set(built.combinations) == set(config.bookable_combinations(built.engine))
    assert client.app.state.runtime.snapshot is built  # type: ignore[attr-defined]  # one per version
    # Every bookable combination has agents to serve it; "any office" merges them.
    for subject, meeting_type, office in built.combinations:
        assert built.pool(subject, meeting_type, office)
        assert set(built.pool(subject, meeting_type, office)) <= set(
            built.pool(subject, meeting_type, None)
        )


def test_meeting_types_are_named_in_a_shipped_language_the_organisation_lacks(
    client: TestClient,
) -> None:
    """The organisation speaks en, nl and fr; the names also ship in German."""
    response = client.get("/api/v1/meeting-types", params={"lang": "de", "subject": "mortgage"})
    names = {m["id"]: m["name"] for m in response.json()["meeting_types"]}
    assert names["VIDEO"] == catalog.MEETING_TYPE_NAMES["VIDEO"]["de"]
    assert names["VIDEO"] != catalog.MEETING_TYPE_NAMES["VIDEO"]["en"]


# -- the agent filter (an invite or a chosen agent leads only where that agent works) ---


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("subject=mortgage&meeting_type=OFFICE", ["antwerp", "brussels", "london"],
                     id="without-agent"),
        pytest.param("subject=mortgage&meeting_type=OFFICE&agent=bob", ["antwerp", "brussels"],
                     id="bob-works-in-two"),
        pytest.param("subject=mortgage&meeting_type=OFFICE&agent=ext:EMP-0043",
                     ["antwerp", "brussels"], id="external-agent-id"),
        pytest.param("subject=savings&meeting_type=OFFICE&agent=emma", ["brussels"], id="emma"),
        pytest.param("agent=emma", ["brussels"], id="agent-alone"),
        pytest.param("agent=david", ["antwerp"], id="not-ghent-which-is-inactive"),
        pytest.param("subject=mortgage&agent=emma", [], id="not-her-expertise"),
        pytest.param("agent=jan", [], id="not-planning-online"),
        pytest.param("agent=ines", [], id="inactive-agent"),
        pytest.param("subject=estate-planning&agent=bob", [], id="hidden-subject"),
    ],
)  # fmt: skip
def test_offices_for_an_agent(client: TestClient, query: str, expected: list[str]) -> None:
    body = client.get(f"/api/v1/offices?{query}").json()
    assert [o["id"] for o in body["offices"]] == expected


def test_offices_for_an_agent_near_a_point_keep_distances(client: TestClient) -> None:
    offices = client.get("/api/v1/offices?agent=bob&near=51.2194,4.4025").json()["offices"]
    assert [o["id"] for o in offices] == ["antwerp", "brussels"]
    assert offices[0]["distance_km"] == 0.5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("subject=savings", ["OFFICE", "PHONE"], id="without-agent"),
        pytest.param("subject=savings&agent=chloe", ["OFFICE"], id="chloe-in-antwerp"),
        pytest.param("subject=savings&agent=emma", ["OFFICE", "PHONE"], id="emma"),
        pytest.param("subject=home-insurance&agent=david", ["OFFICE", "ON_LOCATION"],
                     id="david-hours-count"),
        pytest.param("subject=home-insurance&office=brussels&agent=david", [],
                     id="not-his-office"),
        pytest.param("agent=ext:EMP-0301", ["OFFICE", "VIDEO", "PHONE"], id="external-agent-id"),
        pytest.param("agent=jan", [], id="not-planning-online"),
    ],
)  # fmt: skip
def test_meeting_types_for_an_agent(client: TestClient, query: str, expected: list[str]) -> None:
    body = client.get(f"/api/v1/meeting-types?{query}").json()
    assert [m["id"] for m in body["meeting_types"]] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("agent=alice", ["mortgage"], id="alice"),
        pytest.param("agent=ext:EMP-0042", ["mortgage"], id="external-agent-id"),
        pytest.param("agent=george", ["mortgage", "savings", "investments"], id="george"),
        pytest.param("agent=bob&office=antwerp", ["mortgage"], id="with-office"),
        pytest.param("agent=farid&meeting_type=ON_LOCATION", ["home-insurance"],
                     id="with-meeting-type"),
        pytest.param("agent=bob", ["mortgage", "investments"], id="never-hidden-subjects"),
        pytest.param("agent=ines", [], id="inactive-agent"),
    ],
)  # fmt: skip
def test_subjects_for_an_agent(client: TestClient, query: str, expected: list[str]) -> None:
    body = client.get(f"/api/v1/subjects?{query}").json()
    assert subject_ids(body) == expected
    assert all(c["subjects"] for c in body["categories"])


def test_a_subject_for_an_agent_lists_only_the_meeting_types_they_offer(client: TestClient) -> None:
    body = client.get("/api/v1/subjects?agent=chloe").json()
    by_id = {s["id"]: s for c in body["categories"] for s in c["subjects"]}
    assert by_id["savings"]["meeting_types"] == ["OFFICE"]  # no PHONE in Antwerp


def test_the_agent_filter_agrees_with_the_agents_listing(client: TestClient) -> None:
    """An office (or meeting type, or subject) is listed for an agent exactly when that
    agent is listed for it: one notion of "bookable" for both directions."""
    built = client.app.state.runtime.snapshot  # type: ignore[attr-defined]
    for agent in built.agents:
        for subject in built.subjects:
            for meeting_type in vocabulary.MEETING_TYPES:
                listed = catalog.offices(
                    built, "en", subject=subject, meeting_type=meeting_type, agent=agent
                )
                for office in built.offices:
                    agents = catalog.agents(
                        built, "en", subject=subject, meeting_type=meeting_type, office=office
                    )
                    serves = agent in {a.id for a in agents.agents}
                    assert serves == (office in {o.id for o in listed.offices}), (
                        agent,
                        subject,
                        meeting_type,
                        office,
                    )
                types = catalog.meeting_types(built, "en", subject=subject, agent=agent)
                anywhere = catalog.agents(built, "en", subject=subject, meeting_type=meeting_type)
                assert (meeting_type in {m.id for m in types.meeting_types}) == (
                    agent in {a.id for a in anywhere.agents}
                )


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/api/v1/offices?agent=nobody", id="offices"),
        pytest.param("/api/v1/meeting-types?subject=mortgage&agent=ext:EMP-9999",
                     id="meeting-types-external"),
        pytest.param("/api/v1/subjects?agent=nobody", id="subjects"),
    ],
)  # fmt: skip
def test_an_unknown_agent_is_not_found(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "NOT_FOUND"
    assert [d["path"] for d in error["details"]] == ["$.query.agent"]


def test_an_agent_that_is_not_an_id_is_a_validation_error(client: TestClient) -> None:
    response = client.get("/api/v1/offices?agent=%3Cscript%3E")
    assert response.status_code == 422
    assert [d["path"] for d in response.json()["error"]["details"]] == ["$.query.agent"]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/api/v1/subjects", id="subjects"),
        pytest.param("/api/v1/meeting-types?subject=mortgage", id="meeting-types"),
        pytest.param("/api/v1/offices?subject=mortgage", id="offices"),
    ],
)
def test_the_agent_is_part_of_the_etag(client: TestClient, url: str) -> None:
    join = "&" if "?" in url else "?"
    plain = client.get(url).headers["etag"]
    bob = client.get(f"{url}{join}agent=bob").headers["etag"]
    george = client.get(f"{url}{join}agent=george").headers["etag"]
    assert len({plain, bob, george}) == 3
    # The same agent named by its external id is the same answer, with the same tag.
    assert client.get(f"{url}{join}agent=ext:EMP-0043").headers["etag"] == bob
    assert client.get(f"{url}{join}agent=bob", headers={"If-None-Match": bob}).status_code == 304
    assert client.get(url, headers={"If-None-Match": bob}).status_code == 200


def test_the_agent_filter_is_described_in_openapi(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/subjects", "/api/v1/meeting-types", "/api/v1/offices"):
        operation = paths[path]["get"]
        [agent] = [p for p in operation["parameters"] if p["name"] == "agent"]
        assert agent["in"] == "query"
        assert agent["required"] is False
        assert agent["schema"]["type"] == "string"
        assert "agent" in agent["schema"]["description"]
        assert "`agent`" in operation["description"]
    assert "agent" not in {p["name"] for p in paths["/api/v1/agents"]["get"]["parameters"]}


# -- invites: what the invite allows, and a hidden subject only through one -------------


def invite(client: TestClient, expires_at: datetime | None = None, **fields: Any) -> str:
    tokens = client.app.state.runtime.tokens  # type: ignore[attr-defined]
    return invites.mint(tokens, expires_at=expires_at or NOW + timedelta(days=7), **fields)


def listed(client: TestClient, url: str) -> list[str]:
    """The ids a catalog answer lists (subjects, meeting types, offices or agents)."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    if "categories" in body:
        return subject_ids(body)
    [items] = (value for key, value in body.items() if key != "reason")
    return [item["id"] for item in items]


HIDDEN = "estate-planning"  # available_for_customers = false; Bob serves it in Brussels


def test_a_hidden_subject_is_listed_only_with_an_invite_that_names_it(client: TestClient) -> None:
    token = invite(client, agent="bob", subject=HIDDEN)
    body = client.get(f"/api/v1/subjects?invite={token}").json()
    assert subject_ids(body) == [HIDDEN]  # what the invite allows: its subject only
    [category] = body["categories"]
    assert category["id"] == "savings"
    assert category["subjects"][0]["meeting_types"] == ["OFFICE", "VIDEO"]
    assert category["subjects"][0]["name"] == "Estate planning"
    assert listed(client, f"/api/v1/meeting-types?subject={HIDDEN}&invite={token}") == [
        "OFFICE",
        "VIDEO",
    ]
    assert listed(client, f"/api/v1/meeting-types?invite={token}") == ["OFFICE", "VIDEO"]
    assert listed(client, f"/api/v1/offices?meeting_type=OFFICE&invite={token}") == ["brussels"]
    assert listed(client, f"/api/v1/agents?subject={HIDDEN}&invite={token}") == ["bob"]
    # An invite that does not name it, or names it for an agent without the expertise.
    assert HIDDEN not in listed(client, f"/api/v1/subjects?invite={invite(client, agent='bob')}")
    assert (
        listed(client, f"/api/v1/subjects?invite={invite(client, agent='emma', subject=HIDDEN)}")
        == []
    )


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/api/v1/subjects", id="subjects"),
        pytest.param("/api/v1/subjects?agent=bob", id="subjects-of-its-agent"),
        pytest.param("/api/v1/subjects?office=brussels&meeting_type=OFFICE", id="subjects-there"),
        pytest.param(f"/api/v1/meeting-types?subject={HIDDEN}", id="meeting-types"),
        pytest.param(f"/api/v1/meeting-types?subject={HIDDEN}&agent=bob",
                     id="meeting-types-of-its-agent"),
        pytest.param(f"/api/v1/offices?subject={HIDDEN}", id="offices"),
        pytest.param(f"/api/v1/offices?subject={HIDDEN}&agent=bob", id="offices-of-its-agent"),
        pytest.param(f"/api/v1/agents?subject={HIDDEN}", id="agents"),
    ],
)  # fmt: skip
def test_hidden_subjects_never_appear_without_an_invite(client: TestClient, url: str) -> None:
    token = invite(client, agent="bob", subject=HIDDEN)
    join = "&" if "?" in url else "?"
    with_invite = client.get(f"{url}{join}invite={token}")
    assert with_invite.status_code == 200
    without = client.get(url, headers={"If-None-Match": with_invite.headers["etag"]})
    assert without.status_code == 200  # never the invite's answer from a cache
    assert without.headers["etag"] != with_invite.headers["etag"]
    if "subjects" in url:
        assert HIDDEN not in subject_ids(without.json())
        assert HIDDEN in subject_ids(with_invite.json())
    else:
        assert listed(client, url) == []
        assert listed(client, f"{url}{join}invite={token}") != []


def test_no_listing_shows_a_hidden_subject_without_an_invite(client: TestClient) -> None:
    """Whatever the filters, the listings themselves never contain a hidden subject."""
    built = client.app.state.runtime.snapshot  # type: ignore[attr-defined]
    hidden = {s.id for s in built.subjects.values() if not s.available_for_customers}
    assert hidden == {HIDDEN}
    for agent in (None, *built.agents):
        for office in (None, *built.offices):
            for meeting_type in (None, *vocabulary.MEETING_TYPES):
                body = catalog.subjects(
                    built, "en", office=office, meeting_type=meeting_type, agent=agent
                )
                assert not hidden & {s.id for c in body.categories for s in c.subjects}
    assert all(combination[0] not in hidden for combination in built.bookable())


def test_an_invite_allows_only_its_agent_subject_meeting_type_and_office(
    client: TestClient,
) -> None:
    bob = invite(client, agent="bob")
    assert listed(client, f"/api/v1/subjects?invite={bob}") == ["mortgage", "investments"]
    assert listed(client, f"/api/v1/subjects?invite={bob}") == listed(
        client, "/api/v1/subjects?agent=bob"
    )
    assert listed(client, f"/api/v1/agents?subject=mortgage&invite={bob}") == ["bob"]
    fixed = invite(client, agent="bob", subject="mortgage", meeting_type="OFFICE")
    body = client.get(f"/api/v1/subjects?invite={fixed}").json()
    assert subject_ids(body) == ["mortgage"]
    assert body["categories"][0]["subjects"][0]["meeting_types"] == ["OFFICE"]
    assert listed(client, f"/api/v1/meeting-types?invite={fixed}") == ["OFFICE"]
    assert listed(client, f"/api/v1/offices?invite={fixed}") == ["antwerp", "brussels"]
    in_antwerp = invite(client, agent="bob", office="antwerp")
    assert listed(client, f"/api/v1/subjects?invite={in_antwerp}") == ["mortgage"]
    assert listed(client, f"/api/v1/offices?invite={in_antwerp}") == ["antwerp"]


def test_what_an_invite_for_a_hidden_subject_lists_has_slots(client: TestClient) -> None:
    """The listings and the slots route open a hidden subject by the same notion."""
    token = invite(client, agent="bob", subject=HIDDEN)
    dates = "from=2026-11-25&to=2026-12-08"
    for meeting_type in listed(client, f"/api/v1/meeting-types?invite={token}"):
        offices = listed(client, f"/api/v1/offices?meeting_type={meeting_type}&invite={token}")
        for office in offices if meeting_type == "OFFICE" else [None]:
            where = f"&office={office}" if office else ""
            response = client.get(
                f"/api/v1/slots?meeting_type={meeting_type}{where}&invite={token}&{dates}"
            )
            assert response.status_code == 200, response.text
            assert response.json()["slots"], (meeting_type, office)


INVITE_URLS = [
    pytest.param("/api/v1/subjects?", id="subjects"),
    pytest.param("/api/v1/meeting-types?subject=mortgage&", id="meeting-types"),
    pytest.param("/api/v1/offices?subject=mortgage&", id="offices"),
    pytest.param("/api/v1/agents?subject=mortgage&", id="agents"),
]


@pytest.mark.parametrize("url", INVITE_URLS)
def test_a_tampered_invite_is_invalid_and_an_old_one_expired(client: TestClient, url: str) -> None:
    good = invite(client, agent="bob", subject="mortgage")
    assert client.get(f"{url}invite={good}").status_code == 200
    for token, status, code in [
        (f"{good[:-2]}xx", 401, "TOKEN_INVALID"),
        ("not-a-token", 401, "TOKEN_INVALID"),
        (invite(client, agent="bob", expires_at=NOW - timedelta(minutes=1)), 410, "TOKEN_EXPIRED"),
    ]:
        response = client.get(f"{url}invite={token}")
        assert response.status_code == status
        error = response.json()["error"]
        assert error["code"] == code
        assert [d["path"] for d in error["details"]] == ["$.query.invite"]


@pytest.mark.parametrize("url", INVITE_URLS)
def test_the_invite_is_part_of_the_etag(client: TestClient, url: str) -> None:
    token = invite(client, agent="bob", subject="mortgage")
    with_invite = client.get(f"{url}invite={token}").headers["etag"]
    without = client.get(url).headers["etag"]
    other = client.get(f"{url}invite={invite(client, agent='george')}").headers["etag"]
    assert len({with_invite, without, other}) == 3
    assert (
        client.get(f"{url}invite={token}", headers={"If-None-Match": with_invite}).status_code
        == 304
    )
    assert client.get(url, headers={"If-None-Match": with_invite}).status_code == 200
    # Another invite of the same scope allows the same: the same answer, the same tag.
    same = invite(client, agent="bob", subject="mortgage")
    assert same != token
    assert client.get(f"{url}invite={same}").headers["etag"] == with_invite


@pytest.mark.parametrize(
    ("url", "path"),
    [
        pytest.param("/api/v1/subjects?agent=alice", "$.query.agent", id="subjects-agent"),
        pytest.param("/api/v1/subjects?meeting_type=PHONE", "$.query.meeting_type",
                     id="subjects-meeting-type"),
        pytest.param("/api/v1/meeting-types?subject=mortgage", "$.query.subject",
                     id="meeting-types-subject"),
        pytest.param("/api/v1/offices?office=antwerp&subject=ext:SUB-17", "$.query.subject",
                     id="offices-subject-by-external-id"),
        pytest.param("/api/v1/agents?office=antwerp", "$.query.office", id="agents-office"),
    ],
)  # fmt: skip
def test_a_query_that_contradicts_the_invite_is_refused(
    client: TestClient, url: str, path: str
) -> None:
    token = invite(client, agent="bob", subject=HIDDEN, meeting_type="OFFICE", office="brussels")
    response = client.get(f"{url}&invite={token}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert [d["path"] for d in error["details"]] == [path]


def test_a_query_that_agrees_with_the_invite_is_fine(client: TestClient) -> None:
    token = invite(client, agent="bob", subject="mortgage", office="antwerp")
    assert listed(client, f"/api/v1/subjects?agent=ext:EMP-0043&office=antwerp&invite={token}") == [
        "mortgage"
    ]
    assert listed(client, f"/api/v1/offices?subject=ext:SUB-17&invite={token}") == ["antwerp"]


@pytest.mark.parametrize("url", INVITE_URLS)
def test_an_invite_naming_what_is_gone_is_not_found(client: TestClient, url: str) -> None:
    """An invite made before the organisation file lost its subject (or agent)."""
    for gone in ({"agent": "retired"}, {"agent": "bob", "subject": "retired-subject"}):
        response = client.get(
            f"{url.replace('subject=mortgage&', '')}invite={invite(client, **gone)}"
        )
        assert response.status_code == 404
        assert [d["path"] for d in response.json()["error"]["details"]] == ["$.query.invite"]


def test_the_invite_parameter_is_described_in_openapi(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/subjects",
        "/api/v1/meeting-types",
        "/api/v1/offices",
        "/api/v1/agents",
    ):
        operation = paths[path]["get"]
        [parameter] = [p for p in operation["parameters"] if p["name"] == "invite"]
        assert parameter["in"] == "query"
        assert parameter["required"] is False
        assert parameter["schema"]["type"] == "string"
        assert "invite" in parameter["schema"]["description"]
        assert "`invite`" in operation["description"]
        assert "hidden" in operation["description"]
        assert {"TOKEN_INVALID", "TOKEN_EXPIRED"} <= {
            code for answer in operation["responses"].values()
            for code in answer.get("x-error-codes", ())
        }  # fmt: skip
