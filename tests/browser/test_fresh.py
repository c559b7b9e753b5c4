"""Never stale (SPEC 7): an edit of the organisation file or of the widget's files shows
on the next normal page load, with the browser's HTTP cache on and no restart.

The known failure of embedded booking plugins is a loader or a catalog kept in the
visitor's cache for hours after the website owner changed something. Here the browser
keeps its cache (a normal context, a normal reload); the server's cache headers alone
must make it ask again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser._widget import heading, widget
from tests.browser.conftest import Servers
from tests.support import brussels_today

IMMUTABLE = "public, max-age=31536000, immutable"
VERSION = re.compile(r"'([0-9a-f]{12})'")
#: The widget's default text colour, and what the website owner's edit makes it.
TEXT_LINE = "--fg: var(--rendezvous-text, #1b2430);"
NEW_TEXT_LINE = "--fg: var(--rendezvous-text, #7a1f5c);"
OLD_COLOUR, NEW_COLOUR = "rgb(27, 36, 48)", "rgb(122, 31, 92)"
MORTGAGE = 'name = { en = "Mortgage",'
HOME_LOAN = 'name = { en = "Home loan",'


def wait_for(what: str, changed: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not changed():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def config_version(servers: Servers) -> str:
    health = httpx.get(f"{servers.api}/healthz", timeout=5).json()
    assert health["config_ok"], health
    version: str = health["config_version"]
    return version


def plugin_version(servers: Servers) -> str:
    match = VERSION.search(httpx.get(f"{servers.api}/embed.js", timeout=5).text)
    assert match, "embed.js names no plugin version"
    return match.group(1)


def rename_mortgage(servers: Servers) -> None:
    """The operator renames a subject; the server reloads the file (checked every 0.2 s)."""
    before = config_version(servers)
    text = servers.config_path.read_text()
    assert MORTGAGE in text
    servers.config_path.write_text(text.replace(MORTGAGE, HOME_LOAN, 1))
    wait_for("the organisation reload", lambda: config_version(servers) != before)


def recolour_widget(servers: Servers) -> None:
    """A new release of the widget's stylesheet; the version follows within a second."""
    before = plugin_version(servers)
    css = servers.plugin_dir / "widget.css"
    text = css.read_text()
    assert TEXT_LINE in text
    css.write_text(text.replace(TEXT_LINE, NEW_TEXT_LINE, 1))
    wait_for("the new plugin version", lambda: plugin_version(servers) != before)


def text_colour(page: Page) -> str:
    """The step heading's colour, read through the shadow root."""
    colour: str = heading(widget(page)).evaluate("el => getComputedStyle(el).color")
    return colour


# ---- in the browser ---------------------------------------------------------------------


def test_a_normal_reload_shows_the_edited_subject_and_stylesheet(
    page: Page, own_servers: Servers
) -> None:
    page.goto(own_servers.host + "/")
    w = widget(page)
    expect(w.get_by_role("button", name="Mortgage", exact=True)).to_be_visible()
    assert text_colour(page) == OLD_COLOUR
    old_version = page.evaluate("Rendezvous.version")
    assert old_version == plugin_version(own_servers)

    rename_mortgage(own_servers)
    recolour_widget(own_servers)
    new_version = plugin_version(own_servers)

    seen: list[Response] = []
    page.on("response", lambda response: seen.append(response))
    page.reload()
    expect(w.get_by_role("button", name="Home loan", exact=True)).to_be_visible()
    expect(w.get_by_role("button", name="Mortgage", exact=True)).to_have_count(0)
    expect(heading(w)).to_have_css("color", NEW_COLOUR)
    assert page.evaluate("Rendezvous.version") == new_version

    by_path = {r.url.removeprefix(own_servers.api): r for r in seen}
    loader = by_path["/embed.js"]
    # Revalidated, not taken from the cache unasked: a 304 would name the old version,
    # so it must be a 200 with the new body.
    assert loader.status == 200
    assert f"'{new_version}'" in loader.text()
    for asset in ("widget.js", "widget.css", "i18n/en.js"):
        assert by_path[f"/plugin/{new_version}/{asset}"].status == 200
    assert not any(f"/plugin/{old_version}/" in url for url in by_path)
    subjects = next(r for path, r in by_path.items() if path.startswith("/api/v1/subjects"))
    assert "Home loan" in subjects.text()


def test_an_unchanged_loader_is_revalidated_on_reload(page: Page, own_servers: Servers) -> None:
    page.goto(own_servers.host + "/")
    expect(heading(widget(page))).to_be_visible()
    seen: list[Response] = []
    page.on("response", lambda response: seen.append(response))
    page.reload()
    expect(heading(widget(page))).to_be_visible()
    loader = [r for r in seen if r.url == f"{own_servers.api}/embed.js"]
    assert [r.status for r in loader] == [304]


def test_a_page_holding_an_old_loader_still_gets_a_working_widget(
    page: Page, own_servers: Servers
) -> None:
    old_loader = httpx.get(f"{own_servers.api}/embed.js", timeout=5).text
    recolour_widget(own_servers)
    # The visitor's page still runs the loader from before the release.
    page.route(
        f"{own_servers.api}/embed.js",
        lambda route: route.fulfill(body=old_loader, content_type="text/javascript"),
    )
    page.goto(own_servers.host + "/")
    w = widget(page)
    expect(w.get_by_role("button", name="Mortgage", exact=True)).to_be_visible()
    expect(heading(w)).to_have_css("color", NEW_COLOUR)  # the current files, not a 404


# ---- at the HTTP level ------------------------------------------------------------------


def test_the_loader_must_revalidate_and_names_the_current_version(own_servers: Servers) -> None:
    api = own_servers.api
    first = httpx.get(f"{api}/embed.js")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[^"]+"', etag), "a strong ETag (no W/)"
    version = plugin_version(own_servers)
    assert "__RENDEZVOUS_VERSION__" not in first.text

    again = httpx.get(f"{api}/embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    widget_js = httpx.get(f"{api}/plugin/{version}/widget.js")
    assert widget_js.status_code == 200
    assert widget_js.headers["cache-control"] == IMMUTABLE
    assert httpx.get(f"{api}/plugin/{version}/widget.css").headers["cache-control"] == IMMUTABLE

    recolour_widget(own_servers)
    new_version = plugin_version(own_servers)
    assert new_version != version
    changed = httpx.get(f"{api}/embed.js", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert f"'{new_version}'" in changed.text

    # An old version's URL is never a 404: it gets the current files, to be asked again.
    old_css = httpx.get(f"{api}/plugin/{version}/widget.css")
    assert old_css.status_code == 200
    assert NEW_TEXT_LINE in old_css.text
    assert old_css.headers["cache-control"] == "no-cache"
    old_js = httpx.get(f"{api}/plugin/{version}/widget.js")
    assert old_js.status_code == 200
    assert "export function mount" in old_js.text
    assert httpx.get(f"{api}/plugin/{new_version}/widget.css").headers["cache-control"] == IMMUTABLE


def test_a_file_edited_between_two_version_checks_is_not_cached_as_the_old_version(
    own_servers: Servers,
) -> None:
    """The version is looked at once a second; an edit inside that second must not be
    cached for a year under the old version's URL (undo the edit, and that URL would be
    current again, serving the edited file from every visitor's cache)."""
    version = plugin_version(own_servers)  # the server has just looked at the files
    css = own_servers.plugin_dir / "widget.css"
    before = css.read_text()
    css.write_text(before + "\n.rv-edited { color: red; }\n")
    response = httpx.get(f"{own_servers.api}/plugin/{version}/widget.css")
    assert response.status_code == 200
    if response.headers["cache-control"] == IMMUTABLE:
        assert response.text == before, "the edited file, cached for a year as the old version"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v1/subjects?lang=en", id="subjects"),
        pytest.param("/api/v1/meeting-types?subject=mortgage&lang=en", id="meeting-types"),
        pytest.param("/api/v1/offices?subject=mortgage&meeting_type=OFFICE", id="offices"),
        pytest.param("/api/v1/agents?subject=mortgage&meeting_type=OFFICE", id="agents"),
    ],
)
def test_catalog_answers_revalidate_and_change_with_the_organisation(
    own_servers: Servers, path: str
) -> None:
    url = own_servers.api + path
    first = httpx.get(url)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = httpx.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""

    rename_mortgage(own_servers)
    after = httpx.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    if "subjects" in path:
        assert "Home loan" in after.text and "Mortgage" not in after.text


def test_slots_are_never_stored(own_servers: Servers) -> None:
    response = httpx.get(
        f"{own_servers.api}/api/v1/slots",
        params={
            "subject": "mortgage",
            "meeting_type": "OFFICE",
            "office": "brussels",
            "from": brussels_today().isoformat(),
            "to": (brussels_today() + timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
