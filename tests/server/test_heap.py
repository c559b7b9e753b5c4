"""A serving process keeps its long-lived objects out of the garbage collector's scans
(`server/heap.py`): at start, and again after each reload of the organisation file."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from server import heap
from server.app import create_app
from server.settings import Settings
from tests.support import edit_file, eventually

pytestmark = pytest.mark.organisation("minimal")


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """The test process's collector as it was: nothing frozen before or after."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_a_serving_app_freezes_what_lives_long_and_again_after_a_reload(
    settings: Settings,
) -> None:
    settings = dataclasses.replace(settings, reload_interval=0.05, reload_settle=0)
    with TestClient(create_app(settings, serving=True)) as client:
        frozen = gc.get_freeze_count()
        # What a full collection still scans is what requests make, not what the
        # process holds for its lifetime (this test process's own objects included).
        assert frozen > 10_000
        assert len(gc.get_objects()) < frozen / 10
        gc.unfreeze()  # as if a request had thawed everything: the reload settles again
        before = client.get("/healthz").json()["config_version"]
        edit_file(settings.config_path, "# The least", "# Edited while running. The least")
        eventually(
            lambda: client.get("/healthz").json()["config_version"],
            lambda version: version != before,
            timeout=5,
            what="the reload",
        )
        eventually(gc.get_freeze_count, lambda count: count > 10_000, what="the new freeze")
        assert client.app.state.runtime.after_reload is heap.settle  # type: ignore[attr-defined]


@pytest.mark.usefixtures("unfrozen")
def test_tests_and_tools_keep_the_collector_as_it_is(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert gc.get_freeze_count() == 0
        assert client.app.state.runtime.after_reload is None  # type: ignore[attr-defined]
