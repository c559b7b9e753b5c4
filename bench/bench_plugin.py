"""The widget's weight and speed: `python -m bench.bench_plugin` prints one JSON object.

Starts a local server pair as the browser tests do (the real API server and the
example host pages on another origin, tests/browser/conftest.start_servers), then:

1. Sizes. `embed.js` as served (the version filled in): raw, gzip -9, and the bytes on
   the wire with `Accept-Encoding: gzip`. Then everything headless Chromium downloads
   for the widget to show its first step (the subject list) on the example host page:
   the JS modules, the stylesheet and one language file, each raw, gzip -9 and as
   transferred, with sums. A file counts when the page requested it before the subject
   list was visible (its Resource Timing `startTime`); what the widget fetches in the
   background afterwards (the later steps' code) is listed apart, under
   `after_first_step`. Targets: embed.js <= 1.5 KB gzipped (1536 B), loader +
   widget (JS + CSS + one language) <= 25 KB gzipped (25600 B). Cal.com's numbers are
   kept as constants to compare with.
2. Timing, 10 runs each, median/min/max: navigation start -> the first subject button
   visible (examples/host/index.html), and navigation start -> the first free time
   visible (the same page with the URL hash preselecting subject, meeting type and
   office, so the timetable is the first step). Cold: every run in a new browser
   context (empty cache). Warm: one context, a reload per run (the cache revalidates
   embed.js and the catalog and reuses the immutable plugin files). The clock is
   `performance.now()` inside the page (milliseconds since the navigation started),
   sampled on every animation frame. One untimed load first warms up the server.

Without Chromium (`/usr/bin/chromium`, or RENDEZVOUS_CHROMIUM) the widget's files are
listed from the plugin directory and fetched over HTTP, and `timing` says why it was
skipped.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Servers, start_servers

RUNS = 10
EMBED_TARGET = 1536  # bytes gzipped: 1.5 KB
WIDGET_TARGET = 25 * 1024  # bytes gzipped: loader + JS + CSS + one language
SUBJECTS_TARGET_MS = 300
PRESELECT = "#rendezvous:subject=car-insurance&meeting-type=OFFICE&office=brussels"
CALCOM = {
    "version": "1.5.3",
    "snippet_gzip_bytes": 545,
    "embed_js_gzip_kb": 17.2,
}

#: Records on the page when the widget first shows a subject button or a free time.
_PROBE = """
(() => {
  const wanted = { subjects: 'button.rv-choice', slots: '.rv-slot[role=option]' };
  window.__rvAt = {};
  function visible(el) {
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility === 'visible';
  }
  function look() {
    const host = document.querySelector('.rendezvous');
    const root = host && host.shadowRoot;
    for (const [name, selector] of Object.entries(wanted)) {
      if (!(name in window.__rvAt) && root && visible(root.querySelector(selector))) {
        window.__rvAt[name] = performance.now();
      }
    }
    if (!Object.keys(window.__rvAt).length) requestAnimationFrame(look); // until one shows
  }
  requestAnimationFrame(look);
})();
"""


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def served_gzip(url: str) -> tuple[int, str]:
    """Bytes on the wire for `url` asked with Accept-Encoding: gzip, and the encoding."""
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}, timeout=10) as response:
        response.raise_for_status()
        wire = sum(len(chunk) for chunk in response.iter_raw())
        return wire, response.headers.get("content-encoding", "identity")


def embed_sizes(servers: Servers) -> dict[str, Any]:
    body = httpx.get(f"{servers.api}/embed.js", headers={"Accept-Encoding": "identity"}).content
    wire, encoding = served_gzip(f"{servers.api}/embed.js")
    return {
        "raw_bytes": len(body),
        "gzip9_bytes": gz(body),
        "served_bytes": wire,
        "served_encoding": encoding,
        "target_gzip_max_bytes": EMBED_TARGET,
        "ok": gz(body) <= EMBED_TARGET,
    }


def file_entry(path: str, kind: str, body: bytes, transfer: int | None) -> dict[str, Any]:
    return {
        "path": path,
        "type": kind,
        "raw_bytes": len(body),
        "gzip9_bytes": gz(body),
        "transfer_bytes": transfer,
    }


def totals(files: list[dict[str, Any]]) -> dict[str, int]:
    return {
        key: sum(f[key] or 0 for f in files)
        for key in ("raw_bytes", "gzip9_bytes", "transfer_bytes")
    }


def widget_sizes(
    files: list[dict[str, Any]], source: str, later: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    plugin = [f for f in files if f["path"].startswith("/plugin/")]
    everything = totals(files)
    sizes = {
        "source": source,
        "files": files,
        "plugin_total": totals(plugin),
        "total_with_embed": everything,
        "target_gzip_max_bytes": WIDGET_TARGET,
        "ok": everything["gzip9_bytes"] <= WIDGET_TARGET,
    }
    if later is not None:
        sizes["after_first_step"] = {
            "what": "fetched in the background once the subject list was visible",
            "files": later,
            "total": totals(later),
        }
    return sizes


def widget_files_without_browser(servers: Servers) -> list[dict[str, Any]]:
    """Every plugin file but the other languages, as the widget would fetch them."""
    version = re.search(r"'([0-9a-f]{12})'", httpx.get(f"{servers.api}/embed.js").text)
    assert version, "embed.js names no version"
    paths = ["/embed.js"] + [
        f"/plugin/{version.group(1)}/{p.relative_to(servers.plugin_dir).as_posix()}"
        for p in sorted(servers.plugin_dir.rglob("*"))
        if p.is_file() and (p.parent.name != "i18n" or p.name == "en.js")
    ]
    files = []
    for path in paths:
        body = httpx.get(servers.api + path, headers={"Accept-Encoding": "identity"}).content
        wire, _ = served_gzip(servers.api + path)
        kind = "stylesheet" if path.endswith(".css") else "script"
        files.append(file_entry(path, kind, body, wire))
    return files


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 1),
        "min_ms": round(min(values), 1),
        "max_ms": round(max(values), 1),
    }


def measure(page: Any, url: str, what: str, *, reload: bool = False) -> float:
    if reload:
        page.reload()
    else:
        page.goto(url)
    page.wait_for_function(f"window.__rvAt && '{what}' in window.__rvAt", timeout=15000)
    at: float = page.evaluate(f"window.__rvAt['{what}']")
    return at


Files = list[dict[str, Any]]


def browser_part(servers: Servers) -> tuple[Files, Files, Files, Files, dict[str, Any]]:
    """The first step's files, its API answers, the files fetched after it, the host
    page's own assets (its icon, not counted) and the timings."""
    from playwright.sync_api import sync_playwright

    subjects_url = servers.host + "/"
    slots_url = servers.host + "/" + PRESELECT
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:

            def context() -> Any:
                ctx = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
                ctx.add_init_script(_PROBE)
                return ctx

            # The first step's downloads, from a cold cache.
            ctx = context()
            page = ctx.new_page()
            seen: list[Any] = []
            page.on("response", lambda response: seen.append(response))
            shown_at = measure(page, subjects_url, "subjects")  # also warms up the server
            # Let background fetches finish, then tell them apart by when they started.
            page.wait_for_load_state("networkidle")
            started = dict(
                page.evaluate(
                    "performance.getEntriesByType('resource').map(e => [e.name, e.startTime])"
                )
            )
            files: list[dict[str, Any]] = []
            api: list[dict[str, Any]] = []
            later: list[dict[str, Any]] = []
            page_assets: list[dict[str, Any]] = []
            for response in list(seen):
                if not response.url.startswith(servers.api):
                    continue
                path = response.url.removeprefix(servers.api)
                body = response.body()
                entry = file_entry(
                    path,
                    response.request.resource_type,
                    body,
                    response.request.sizes()["responseBodySize"],
                )
                if not path.startswith(("/embed.js", "/plugin/", "/api/")):
                    page_assets.append(entry)  # the host page's icon: not the widget's
                elif started.get(response.url, 0.0) > shown_at:
                    later.append(entry)
                else:
                    (api if path.startswith("/api/") else files).append(entry)
            ctx.close()

            timing: dict[str, Any] = {
                "clock": "performance.now() in the page: ms since navigation start, "
                "sampled every animation frame",
                "runs": RUNS,
                "browser": f"headless Chromium {browser.version}",
            }
            for what, url in (("subjects", subjects_url), ("slots", slots_url)):
                cold = []
                for _ in range(RUNS):
                    ctx = context()
                    cold.append(measure(ctx.new_page(), url, what))
                    ctx.close()
                ctx = context()
                page = ctx.new_page()
                measure(page, url, what)  # fills the cache
                warm = [measure(page, url, what, reload=True) for _ in range(RUNS)]
                ctx.close()
                timing[what] = {"cold": summary(cold), "warm": summary(warm)}
            timing["subjects"]["what"] = "navigation start -> first subject button visible"
            timing["slots"]["what"] = (
                "navigation start -> first free time visible (subject, meeting type and "
                "office preselected by the URL hash)"
            )
            timing["subjects"]["target_ms"] = SUBJECTS_TARGET_MS
            timing["subjects"]["ok"] = (
                timing["subjects"]["cold"]["median_ms"] <= SUBJECTS_TARGET_MS
                and timing["subjects"]["warm"]["median_ms"] <= SUBJECTS_TARGET_MS
            )
        finally:
            browser.close()
    return files, api, later, page_assets, timing


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as workdir:
        servers = start_servers(Path(workdir))
        try:
            report: dict[str, Any] = {"sizes": {"embed_js": embed_sizes(servers)}}
            if CHROMIUM.exists():
                files, api, later, page_assets, timing = browser_part(servers)
                report["sizes"]["widget"] = widget_sizes(
                    files, "recorded in headless Chromium", later
                )
                report["sizes"]["api_for_first_step"] = api
                report["sizes"]["page_assets_not_counted"] = page_assets
                report["timing"] = timing
            else:
                files = widget_files_without_browser(servers)
                report["sizes"]["widget"] = widget_sizes(
                    files, "every plugin file with one language, fetched over HTTP"
                )
                report["timing"] = {"skipped": f"no Chromium at {CHROMIUM}"}
        finally:
            servers.stop()
    ours = report["sizes"]
    report["sizes"]["comparison"] = {
        "calcom": CALCOM,
        "embed_js_vs_calcom_snippet": round(
            ours["embed_js"]["gzip9_bytes"] / CALCOM["snippet_gzip_bytes"], 2
        ),
        "widget_vs_calcom_embed_js": round(
            ours["widget"]["total_with_embed"]["gzip9_bytes"] / (CALCOM["embed_js_gzip_kb"] * 1024),
            2,
        ),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
