"""The loader and the versioned plugin files (SPEC 7, "never stale"); /book is
tests/server/test_book_page.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from server.routes.assets import PluginAssets, asset_routes


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    root = tmp_path / "plugin"
    (root / "i18n").mkdir(parents=True)
    (root / "widget.js").write_text("export function mount() {}\n")
    (root / "widget.css").write_text(":host { display: block }\n")
    (root / "i18n" / "en.js").write_text("export default {};\n")
    (tmp_path / "embed.js").write_text("var version = '__RENDEZVOUS_VERSION__';\n")
    (tmp_path / "secret.txt").write_text("not for the web")
    return root


@pytest.fixture
def client(plugin: Path) -> TestClient:
    app = Starlette(routes=asset_routes(plugin, plugin.parent / "embed.js"))
    return TestClient(app)


def version_of(client: TestClient) -> str:
    match = re.search(r"'([0-9a-f]{12})'", client.get("/embed.js").text)
    assert match
    return match.group(1)


def test_embed_names_the_current_version_and_must_revalidate(client: TestClient) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert "__RENDEZVOUS_VERSION__" not in response.text
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]+"', response.headers["etag"])


def test_embed_revalidation_is_a_304_without_body(client: TestClient) -> None:
    etag = client.get("/embed.js").headers["etag"]
    response = client.get("/embed.js", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        pytest.param("widget.js", "text/javascript; charset=utf-8", id="module"),
        pytest.param("widget.css", "text/css; charset=utf-8", id="stylesheet"),
        pytest.param("i18n/en.js", "text/javascript; charset=utf-8", id="language"),
    ],
)
def test_current_version_is_immutable(client: TestClient, path: str, content_type: str) -> None:
    response = client.get(f"/plugin/{version_of(client)}/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_an_old_version_still_gets_a_working_widget_that_is_not_kept(client: TestClient) -> None:
    response = client.get("/plugin/000000000000/widget.js")
    assert response.status_code == 200
    assert "mount" in response.text
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("missing.js", id="missing"),
        pytest.param("%2E%2E/secret.txt", id="dot-dot"),
        pytest.param("i18n/%2E%2E/%2E%2E/embed.js", id="deep-dot-dot"),
        pytest.param("", id="directory"),
    ],
)
def test_only_files_inside_the_plugin_are_served(client: TestClient, path: str) -> None:
    assert client.get(f"/plugin/{version_of(client)}/{path}").status_code == 404


def test_editing_a_file_changes_the_version(plugin: Path) -> None:
    assets = PluginAssets(plugin, plugin.parent / "embed.js", check_interval=0)
    before = assets.version
    (plugin / "widget.css").write_text(":host { display: block; color: red }\n")
    assert assets.version != before
    assert assets.version.encode() in assets.embed()[0]


def test_the_version_is_looked_at_once_per_interval(plugin: Path) -> None:
    now = [100.0]
    assets = PluginAssets(plugin, plugin.parent / "embed.js", clock=lambda: now[0])
    before = assets.version
    (plugin / "widget.css").write_text("/* changed */\n")
    assert assets.version == before
    now[0] += 1.5
    assert assets.version != before
