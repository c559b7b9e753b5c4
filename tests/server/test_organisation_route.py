"""GET /api/v1/organisation: the languages the widget may speak and the country a
customer's address defaults to (an extension of SPEC 5)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server import config
from server.snapshot import main_country

pytestmark = pytest.mark.organisation("demo")  # the demo's languages and offices


def edit_organisation(client: TestClient, path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert client.app.state.runtime.organisation_file.refresh()  # type: ignore[attr-defined]


def test_the_demo_speaks_its_three_languages_and_lives_in_belgium(client: TestClient) -> None:
    response = client.get("/api/v1/organisation")
    assert response.status_code == 200
    assert response.json() == {
        "name": "Demo Bank",
        "languages": ["en", "nl", "fr"],
        "timezone": "Europe/Brussels",
        # Brussels, Antwerp and (closed) Ghent in Belgium, London in Britain.
        "country": "BE",
    }


@pytest.mark.parametrize(
    ("query", "headers", "name"),
    [
        pytest.param("?lang=fr", {}, "Banque Démo", id="lang"),
        pytest.param("", {"Accept-Language": "fr-BE,fr;q=0.9"}, "Banque Démo", id="header"),
        pytest.param("?lang=de", {}, "Demo Bank", id="unknown-language-falls-back"),
    ],
)
def test_the_name_is_in_the_asked_language(
    client: TestClient, query: str, headers: dict[str, str], name: str
) -> None:
    assert client.get("/api/v1/organisation" + query, headers=headers).json()["name"] == name


def test_it_revalidates_and_changes_with_the_organisation_file(
    client: TestClient, config_path: Path
) -> None:
    first = client.get("/api/v1/organisation")
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = client.get("/api/v1/organisation", headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")

    edit_organisation(
        client,
        config_path,
        'languages = ["en", "nl", "fr"]',
        'languages = ["en", "nl", "fr", "de"]',
    )
    changed = client.get("/api/v1/organisation", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["languages"] == ["en", "nl", "fr", "de"]


def test_a_language_that_is_too_long_is_refused_where_it_was_given(client: TestClient) -> None:
    response = client.get("/api/v1/organisation", params={"lang": "x" * 36})
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["path"] == "$.query.lang"


def office(office_id: str, country: str, *, active: bool = True) -> config.Office:
    return config.Office(
        id=office_id,
        name=office_id,
        timezone="Europe/Brussels",
        active=active,
        address=config.Address(street="x", postal_code="1", city="y", country=country),
    )


@pytest.mark.parametrize(
    ("offices", "country"),
    [
        pytest.param([office("a", "BE"), office("b", "NL"), office("c", "BE")], "BE", id="most"),
        pytest.param([office("a", "NL"), office("b", "BE")], "NL", id="tie-first-listed"),
        pytest.param(
            [office("a", "NL", active=False), office("b", "BE")], "BE", id="only-active-count"
        ),
        pytest.param([office("a", "NL", active=False)], None, id="none-active"),
        pytest.param([], None, id="no-offices"),
    ],
)
def test_the_country_is_where_most_active_offices_are(
    offices: list[config.Office], country: str | None
) -> None:
    assert main_country(offices) == country


def test_it_is_in_the_openapi_description(client: TestClient) -> None:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/organisation"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["lang"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/OrganisationResponse"}
    answer = document["components"]["schemas"]["OrganisationResponse"]
    assert set(answer["required"]) == {"name", "languages", "timezone", "country"}
