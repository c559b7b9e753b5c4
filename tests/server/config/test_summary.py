"""What `rendezvous check` prints about a good file (server/config/summary.py)."""

from __future__ import annotations

from server import config
from tests.server.config._base import BASE, edit
from tests.support import DEMO


def test_the_demo_bank_summary() -> None:
    summary = config.summary(config.load(DEMO))
    assert summary.startswith("Demo Bank (version ")
    assert "offices: 4 (3 active, 1 inactive)" in summary
    assert "meeting types in use: OFFICE, VIDEO, PHONE, ON_LOCATION" in summary
    assert "bookable combinations (subject × meeting type × office): " in summary


def test_bookable_combinations_need_an_agent_with_hours_there() -> None:
    loaded = config.loads(BASE, "test.toml")
    # savings is not assigned in any office; mortgage is, to Alice, in Brussels.
    assert config.bookable_combinations(loaded.engine) == [
        ("mortgage", "OFFICE", "brussels"),
        ("mortgage", "VIDEO", "brussels"),
    ]
    video_only = edit(
        '{ start = "13:00", end = "17:00", office = "brussels" }',
        '{ start = "13:00", end = "17:00", office = "brussels", meeting_types = ["VIDEO"] }',
    )
    video_only = edit(
        '    { start = "09:00", end = "12:00", office = "brussels" },\n', "", video_only
    )
    loaded = config.loads(video_only, "test.toml")
    assert config.bookable_combinations(loaded.engine) == [("mortgage", "VIDEO", "brussels")]


def test_the_summary_names_the_bot_defence() -> None:
    assert (
        "bots: at most 2 live holds per client; proof of work (up to 100,000 hashes)"
        " after 30 holds in 60 min by one client" in config.summary(config.loads(BASE, "test.toml"))
    )
    edited = BASE + '\n[organisation.bots]\nholds_per_client = 3\nchallenge = "always"\n'
    assert "bots: at most 3 live holds per client; proof of work (up to 100,000 hashes) always" in (
        config.summary(config.loads(edited, "test.toml"))
    )
