"""`rendezvous calendars` (who has synchronised their calendar) and `rendezvous doctor
--agent A --date D` (an agent's day drawn), on the database a server wrote."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from server import cli
from server.app import create_app
from server.settings import Settings
from server.store import TimeOffRow, new_id, open_store
from tests.server.calendars._servers import FeedServer, event, feed
from tests.server.calendars.conftest import organisation, refresh, runtime_of
from tests.support import Clock

pytestmark = [pytest.mark.organisation("calendars"), pytest.mark.both_backends]

BRUSSELS = ZoneInfo("Europe/Brussels")


def next_tuesday() -> date:
    """A Tuesday a week or more after today (the commands read the real clock)."""
    day = datetime.now(UTC).date() + timedelta(days=7)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BRUSSELS).astimezone(UTC)


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(settings.config_path))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(settings.database))


@pytest.fixture
def today(clock: Clock) -> Clock:
    clock.set(datetime.now(UTC).replace(microsecond=0))
    return clock


def test_calendars_lists_each_agent_with_its_state(
    environment: None,
    feeds: FeedServer,
    client: TestClient,
    today: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    day = next_tuesday()
    vacation = event("v", local(day, 0), local(day, 0)).replace(
        f"DTSTART:{local(day, 0):%Y%m%dT%H%M%SZ}\r\nDTEND:{local(day, 0):%Y%m%dT%H%M%SZ}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\nDTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}\r\n"
        "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
    )
    monkeypatch.setenv(
        "ALICE_CALENDAR_URL",
        feeds.serve("/a.ics", feed(event("m", local(day, 10), local(day, 11)), vacation)),
    )
    assert cli.main(["calendars"]) == 1  # never read yet
    assert "not read yet" in capsys.readouterr().out

    refresh(client)
    assert cli.main(["calendars"]) == 0
    out = capsys.readouterr().out
    alice = next(line for line in out.splitlines() if line.startswith("alice"))
    bob = next(line for line in out.splitlines() if line.startswith("bob"))
    assert alice.split()[:2] == ["alice", "ics"] and alice.rstrip().endswith("works")
    assert alice.split()[4:6] == ["1", "1"]  # one busy interval, one all-day event marked Free
    assert "no calendar linked" in bob
    assert "alice: 1 all-day event(s) in the booking horizon are marked Free" in out
    assert "1 of 2 agents link a calendar" in out

    feeds.serve("/a.ics", status=401)
    today.advance(minutes=5)
    refresh(client)
    assert cli.main(["calendars"]) == 1
    alice = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("alice"))
    assert "broken since" in alice and "(refused)" in alice and "last good data used" in alice
    assert "a.ics" not in alice


def test_doctor_draws_an_agent_s_day(
    environment: None,
    feeds: FeedServer,
    settings: Settings,
    today: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Hour-long slots on a half-hour grid: a start half an hour before busy time is not
    # offered, and the drawing says why.
    text = settings.config_path.read_text()
    settings.config_path.write_text(text.replace("duration = 30", "duration = 60"))
    day = next_tuesday()
    monkeypatch.setenv(
        "ALICE_CALENDAR_URL",
        feeds.serve("/a.ics", feed(event("m", local(day, 10), local(day, 11)))),
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = today
        refresh(client)
        wanted = {"subject": "mortgage", "meeting_type": "OFFICE", "office": "brussels"}
        customer = {"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"}
        at_eleven = {**wanted, "agent": "alice", "start": local(day, 11).isoformat()}
        booked = client.post("/api/v1/appointments", json={**at_eleven, "customer": customer})
        assert booked.status_code == 201, booked.text
        at_two = {**wanted, "agent": "alice", "start": local(day, 14).isoformat()}
        assert client.post("/api/v1/holds", json=at_two).status_code == 201

    assert cli.main(["doctor", "--agent", "alice", "--date", day.isoformat()]) == 0
    out = capsys.readouterr().out
    rows = {line[2:7]: line[2:] for line in out.splitlines() if line[2:4].isdigit()}
    assert out.startswith(f"Alice Peeters (alice) on Tuesday {day.isoformat()}, in Europe/Brussels")
    assert "Calendar: ics, last worked" in out and "1 busy intervals; works" in out
    assert min(rows) == "09:00" and max(rows) == "16:30"  # from the first to the last thing
    assert rows["09:00"].endswith("yes: mortgage OFFICE, mortgage VIDEO")
    assert rows["09:30"].endswith(
        "no (mortgage OFFICE, mortgage VIDEO): BUSY_EXTERNAL, the slot runs into busy time"
        " in the agent's calendar"
    )
    assert rows["10:00"].split() == ["10:00", "Brussels", "·", "▓▓", "·", "·"]
    assert rows["10:30"].split() == ["10:30", "Brussels", "·", "▓▓", "·", "·"]
    assert rows["11:00"].split() == ["11:00", "Brussels", "██", "·", "·", "·"]
    assert rows["11:30"].split() == ["11:30", "Brussels", "██", "·", "·", "·"]
    assert rows["12:00"].split() == ["12:00", "·", "·", "·", "·", "·"]
    assert rows["13:00"].endswith("yes: mortgage OFFICE, mortgage VIDEO")  # ends at 14:00
    assert rows["13:30"].endswith(
        "no (mortgage OFFICE, mortgage VIDEO): HELD, the slot runs into a hold"
    )
    assert rows["14:00"].split() == ["14:00", "Brussels", "·", "·", "░░", "·"]
    assert rows["14:30"].split() == ["14:30", "Brussels", "·", "·", "░░", "·"]
    assert rows["15:00"].endswith("yes: mortgage OFFICE, mortgage VIDEO")
    assert rows["16:30"].endswith(
        "no (mortgage OFFICE, mortgage VIDEO): OUTSIDE_HOURS, not a start time (off the grid,"
        " or the slot runs past the block)"
    )
    assert "tax inspector" not in out  # titles are never stored, so never shown


async def take_time_off(settings: Settings, agent: str, start: datetime, end: datetime) -> None:
    """Time off as the desk stores it (SPEC 11), with a private note."""
    store = await open_store(settings.database)
    try:
        async with store.write() as tx:
            await tx.insert_time_off(
                TimeOffRow(
                    id=new_id(),
                    agent=agent,
                    start=start,
                    end=end,
                    timezone="Europe/Brussels",
                    whole_days=False,
                    note="dentist appointment",
                    created_by=agent,
                    created_at=start - timedelta(days=3),
                    updated_at=start - timedelta(days=3),
                )
            )
    finally:
        await store.close()


def test_doctor_draws_an_agent_s_time_off(
    environment: None, settings: Settings, today: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    # Bob links no calendar; he takes 10:15-11:15 off on the desk.
    day = next_tuesday()
    asyncio.run(take_time_off(settings, "bob", local(day, 10, 15), local(day, 11, 15)))

    assert cli.main(["doctor", "--agent", "bob", "--date", day.isoformat()]) == 0
    out = capsys.readouterr().out
    rows = {line[2:7]: line[2:] for line in out.splitlines() if line[2:4].isdigit()}
    assert "Calendar: none linked" in out
    assert rows["09:30"].endswith("yes: mortgage OFFICE, mortgage VIDEO")
    assert rows["10:00"].endswith(
        "no (mortgage OFFICE, mortgage VIDEO): TIME_OFF, the slot runs into the agent's time off"
    )
    assert rows["10:30"].split() == ["10:30", "Brussels", "·", "·", "·", "╳╳"]
    assert rows["11:00"].split() == ["11:00", "Brussels", "·", "·", "·", "╳╳"]
    assert rows["11:30"].endswith("yes: mortgage OFFICE, mortgage VIDEO")
    assert "╳╳ time off (entered on the desk)" in out
    assert "dentist" not in out  # the note is private


def test_doctor_draws_a_day_of_time_off_alone(
    environment: None, settings: Settings, today: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    # A Saturday: no hours, only time off; the drawing still shows it.
    day = next_tuesday() + timedelta(days=4)
    asyncio.run(take_time_off(settings, "bob", local(day, 9), local(day, 12)))
    assert cli.main(["doctor", "--agent", "bob", "--date", day.isoformat()]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line[2:4].isdigit()]
    assert [row.split() for row in rows] == [
        [f"{hour:02}:{minute:02}", "·", "·", "·", "·", "╳╳"]
        for hour in (9, 10, 11)
        for minute in (0, 30)
    ]


def test_doctor_names_an_unreadable_calendar(
    environment: None,
    feeds: FeedServer,
    settings: Settings,
    today: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bob = '[agents.calendar]\nkind = "ics"\nurl_env = "BOB_CALENDAR_URL"\n'
    settings.config_path.write_text(organisation(bob=bob))
    monkeypatch.setenv("ALICE_CALENDAR_URL", feeds.serve("/a.ics", status=404))
    monkeypatch.setenv("BOB_CALENDAR_URL", feeds.serve("/b.ics", status=404))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        runtime_of(client).clock = today
        refresh(client)  # never read: nobody offers anything
    day = next_tuesday()
    assert cli.main(["doctor", "--agent", "alice", "--date", day.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "Calendar: ics, last worked never, 0 busy intervals; cannot be read" in out
    nine = next(line for line in out.splitlines() if line.startswith("  09:00"))
    assert nine.endswith(
        "no (mortgage OFFICE, mortgage VIDEO): CALENDAR_UNAVAILABLE,"
        " the agent's calendar cannot be read"
    )
    assert cli.main(["doctor", "--subject", "mortgage"]) == 1  # nothing can be booked
    report = capsys.readouterr().out
    assert (
        "Alice Peeters's own calendar cannot be read (see `rendezvous calendars`): they are"
        " offered nowhere until it works again"
    ) in report
    assert "Bob Janssens's own calendar cannot be read" in report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--agent", "zoe"], '--agent: no such id "zoe"', id="unknown-agent"),
        pytest.param(
            ["--agent", "alice", "--date", "24/11"], "--date: expected YYYY-MM-DD", id="bad-date"
        ),
        pytest.param(["--date", "2026-11-24"], "--date: give --agent too", id="date-alone"),
    ],
)
def test_doctor_refuses_bad_options(
    environment: None, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["doctor", *args]) == 2
    assert message in capsys.readouterr().err


def test_calendars_refresh_reads_every_calendar_at_once(
    environment: None,
    feeds: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    day = next_tuesday()
    monkeypatch.setenv(
        "ALICE_CALENDAR_URL",
        feeds.serve("/a.ics", feed(event("m", local(day, 10), local(day, 11)))),
    )
    assert cli.main(["calendars", "--refresh"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Read 1 calendar(s) now.")
    assert feeds.count("/a.ics") == 1
    alice = next(line for line in out.splitlines() if line.startswith("alice"))
    assert alice.rstrip().endswith("works")
