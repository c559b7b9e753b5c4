"""Real servers and real Chromium for the browser tests.

The API server (`rendezvous serve`) and the example host pages (`examples/serve_host.py`)
run as separate processes on two ports, so the widget is embedded cross-origin as it
is on a customer's website. Each server gets its own copy of the organisation file and
of the widget's files, which a test may edit.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright; never a downloaded
browser. Without it the browser tests are skipped, except in CI (`CI=true`), where a
missing browser is a failure.

The browser packages (Playwright, axe; the `browser` extra) are imported by the test
modules here, and only by them: without the packages those modules are not imported,
and each stands in the run as one test that says what is missing (skipped, or failed
in CI), so `make test-fast` (`-m "not browser"`) runs without them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support import eventually

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("RENDEZVOUS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


#: What the browser test modules import: the `browser` extra.
BROWSER_PACKAGES = ("playwright", "axe_playwright_python")


def _missing_packages() -> list[str]:
    missing = []
    for name in BROWSER_PACKAGES:
        try:
            found = importlib.util.find_spec(name)
        except ImportError:
            found = None
        if found is None:
            missing.append(name)
    return missing


MISSING_PACKAGES = _missing_packages()


class _BrowserPackagesMissing(pytest.Item):
    def runtest(self) -> None:
        message = (
            f"the browser tests need {', '.join(MISSING_PACKAGES)}:"
            " pip install -e '.[browser]' (make test installs it)"
        )
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + "; in CI a missing package is a failure", pytrace=False)
        pytest.skip(message)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name}: browser packages missing"


class _UnimportedModule(pytest.File):
    """A browser test module, not imported: the packages it imports are missing."""

    def collect(self) -> Iterator[pytest.Item]:
        yield _BrowserPackagesMissing.from_parent(self, name="browser packages")


if MISSING_PACKAGES:

    def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.File:
        file: pytest.File = _UnimportedModule.from_parent(parent, path=module_path)
        return file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30
) -> None:
    def status() -> int | None:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{output}")
        try:
            return httpx.get(url, timeout=1).status_code
        except httpx.HTTPError:
            return None

    eventually(
        status,
        lambda code: code is not None and code < 500,
        timeout=timeout,
        interval=0.1,
        what=url,
    )


@dataclass
class Servers:
    """An API server and a host-page server on another origin, with their own files."""

    api: str
    host: str
    config_path: Path
    plugin_dir: Path
    database: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def start_servers(
    directory: Path,
    *,
    hold_minutes: int | None = None,
    organisation: Callable[[str, str], str] | None = None,
) -> Servers:
    """Start the pair on free ports: the demo organisation, or `organisation(api, host)`'s
    text (an organisation made for a test, given the two origins)."""
    api_port, host_port = free_port(), free_port()
    api, host = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{host_port}"
    directory.mkdir(parents=True, exist_ok=True)

    config_path = directory / "organisation.toml"
    if organisation is not None:
        text = organisation(api, host)
    else:
        text = (ROOT / "examples" / "demo-bank" / "organisation.toml").read_text()
        text = text.replace('public_url = "http://127.0.0.1:8000"', f'public_url = "{api}"', 1)
        text = text.replace("allowed_origins = [", f'allowed_origins = [\n  "{host}",', 1)
    if hold_minutes is not None:
        text = text.replace(
            "[organisation]\n", f"[organisation]\nhold_minutes = {hold_minutes}\n", 1
        )
    config_path.write_text(text)

    plugin_dir = directory / "plugin"
    shutil.copytree(ROOT / "plugin", plugin_dir)
    embed_path = directory / "embed.js"
    shutil.copyfile(ROOT / "embed.js", embed_path)
    database = directory / "var" / "rendezvous.sqlite3"

    env = {
        **os.environ,
        "RENDEZVOUS_CONFIG": str(config_path),
        "RENDEZVOUS_DATABASE": str(database),
        "RENDEZVOUS_SECRET_KEY": "browser-test-secret",
        "RENDEZVOUS_PLUGIN_DIR": str(plugin_dir),
        "RENDEZVOUS_EMBED_JS": str(embed_path),
        "RENDEZVOUS_RELOAD_INTERVAL": "0.2",
    }
    servers = Servers(api, host, config_path, plugin_dir, database)
    bin_dir = Path(sys.executable).parent
    # The servers' output goes to files: a pipe nobody reads fills up (64 KiB of access
    # log) and then blocks the server mid-request.
    api_log, host_log = directory / "api.log", directory / "host.log"
    try:
        with api_log.open("wb") as out:
            api_process = subprocess.Popen(
                [
                    str(bin_dir / "rendezvous"),
                    "serve",
                    "--port",
                    str(api_port),
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        servers.processes.append(api_process)
        with host_log.open("wb") as out:
            host_process = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "examples" / "serve_host.py"),
                    "--port",
                    str(host_port),
                    "--api",
                    api,
                ],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        servers.processes.append(host_process)
        wait_until_up(f"{api}/healthz", api_process, api_log)
        wait_until_up(f"{host}/", host_process, host_log)
    except BaseException:
        servers.stop()
        raise
    return servers


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + "; in CI a missing browser is a failure", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    servers = start_servers(tmp_path_factory.mktemp("servers"))
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def own_servers(tmp_path: Path) -> Iterator[Servers]:
    """A server pair of the test's own, whose organisation file and widget it may edit."""
    servers = start_servers(tmp_path)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
