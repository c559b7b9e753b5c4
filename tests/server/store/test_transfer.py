"""`rendezvous migrate`, `export` and `import` (SPEC 13; server/store/transfer.py), on a
SQLite file and on the machine's PostgreSQL server."""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server import cli
from server.store import (
    DeliveryRow,
    HoldRow,
    InviteRow,
    SessionRow,
    SignInLinkRow,
    Store,
    TimeOffRow,
    migrations,
    open_store,
)
from server.store.transfer import EXPORT_COLUMNS
from tests.databases import PostgreSQLServer, run
from tests.server.store._rows import NOW, appointment

pytestmark = pytest.mark.usefixtures("environment")

TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RENDEZVOUS_DATABASE", "RENDEZVOUS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def empty_postgresql(postgresql: PostgreSQLServer) -> Iterator[str]:
    """A new PostgreSQL database without any table."""
    url = postgresql.create(migrated=False)
    yield url
    postgresql.drop(url)


def use(monkeypatch: pytest.MonkeyPatch, database: str | Path) -> None:
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(database))


# -- migrate -----------------------------------------------------------------------------


def all_migrations() -> list[str]:
    return [name for _, name, _ in migrations()]


def test_migrate_creates_a_sqlite_database_and_then_has_nothing_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "var" / "rendezvous.sqlite3"
    use(monkeypatch, database)

    assert cli.main(["migrate"]) == 0
    first = capsys.readouterr().out
    assert cli.main(["migrate"]) == 0
    second = capsys.readouterr().out

    last = max(version for version, _, _ in migrations())
    assert [line.removeprefix("applied ") for line in first.splitlines()[:-1]] == all_migrations()
    assert first.splitlines()[-1].endswith(f"now at {last}")
    assert second.strip() == f"{database}: up to date (migration {last})"
    with sqlite3.connect(database) as conn:
        stored = [row[0] for row in conn.execute("SELECT name FROM schema_migrations")]
    assert sorted(stored) == all_migrations()


def test_migrate_applies_postgresqls_migrations_once(
    empty_postgresql: str,
    postgresql: PostgreSQLServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use(monkeypatch, empty_postgresql)

    assert cli.main(["migrate"]) == 0
    first = capsys.readouterr().out
    assert cli.main(["migrate"]) == 0
    second = capsys.readouterr().out

    assert [line.removeprefix("applied ") for line in first.splitlines()[:-1]] == all_migrations()
    assert "up to date" in second and "applied" not in second
    count = postgresql.scalar(empty_postgresql, "SELECT count(*) FROM schema_migrations")
    assert count == len(all_migrations())


def test_migrate_says_when_the_server_cannot_be_reached(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, "postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere")

    assert cli.main(["migrate"]) == 2

    err = capsys.readouterr().err
    assert "127.0.0.1:1" in err
    assert "s3cret-pw" not in err  # the password is never printed


# -- export ------------------------------------------------------------------------------


async def fill_for_export(store: Store) -> list[str]:
    """Three appointments (one cancelled), written out of order; their ids by start."""
    rows = [
        replace(appointment(TUESDAY + timedelta(days=1)), id="second"),
        replace(
            appointment(TUESDAY),
            id="first",
            customer={
                "first_name": FORMULA,
                "last_name": "-Smith",
                "email": "ann@example.com",
                "phone": "+32 2 555 01 23",
                "language": "en",
            },
            location={
                "street": "Rue Haute 1",
                "postal_code": "1000",
                "city": "Brussels",
                "country": "BE",
            },
            answers={"amount": 250000, "note": 'Ça va, "quotes", commas'},
            video_url="https://video.example/r/1",
        ),
        replace(appointment(TUESDAY + timedelta(days=2)), id="third", status="cancelled"),
    ]
    async with store.write() as tx:
        for row in rows:
            await tx.insert_appointment(row)
    await store.close()
    return ["first", "second", "third"]


@pytest.fixture(params=["sqlite", "postgresql"])
def exported_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str | Path:
    if request.param == "sqlite":
        database: str | Path = tmp_path / "rendezvous.sqlite3"
    else:
        server: PostgreSQLServer = request.getfixturevalue("postgresql")
        database = server.create()
        request.addfinalizer(lambda: server.drop(str(database)))

    async def fill() -> None:
        await fill_for_export(await open_store(database))

    run(fill())
    use(monkeypatch, database)
    return database


def test_export_csv_writes_every_appointment_by_start_to_a_private_file(
    exported_database: str | Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "appointments.csv"
    target.write_text("old content, readable by all")
    target.chmod(0o644)

    assert cli.main(["export", "--output", str(target)]) == 0

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "3 appointment(s)" in capsys.readouterr().err
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [row["id"] for row in rows] == ["first", "second", "third"]
    first = rows[0]
    assert first["start"] == "2026-11-24T09:00:00Z" and first["end"] == "2026-11-24T09:30:00Z"
    assert first["start_local"] == "2026-11-24T10:00:00+01:00"
    assert first["customer_email"] == "ann@example.com"
    assert first["customer_phone"] == "+32 2 555 01 23"  # a phone number is left alone
    assert first["customer_first_name"] == "'" + FORMULA  # a formula is not run
    assert first["customer_last_name"] == "'-Smith"
    assert json.loads(first["answers"]) == {"amount": 250000, "note": 'Ça va, "quotes", commas'}
    assert json.loads(first["location"])["city"] == "Brussels"
    assert first["video_url"] == "https://video.example/r/1"
    assert rows[1]["location"] == "" and rows[1]["customer_phone"] == ""
    assert rows[2]["status"] == "cancelled"
    assert first["created_at"] == NOW.isoformat().replace("+00:00", "Z")


def test_export_json_to_standard_output_has_the_values_exactly(
    exported_database: str | Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["export", "--format", "json"]) == 0

    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in found] == ["first", "second", "third"]
    assert set(found[0]) == set(EXPORT_COLUMNS) - {
        f"customer_{field}"
        for field in ("first_name", "last_name", "email", "phone", "language", "timezone")
    } | {"customer"}
    assert found[0]["customer"] == {
        "first_name": FORMULA,
        "last_name": "-Smith",
        "email": "ann@example.com",
        "phone": "+32 2 555 01 23",
        "language": "en",
        "timezone": None,
    }
    assert found[0]["answers"] == {"amount": 250000, "note": 'Ça va, "quotes", commas'}
    assert found[1]["location"] is None and found[1]["metadata"] == {"campaign": "spring"}
    assert (found[2]["status"], found[2]["trailing_buffer"]) == ("cancelled", 0)


def test_export_of_a_missing_sqlite_database_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.sqlite3"
    use(monkeypatch, missing)

    assert cli.main(["export"]) == 2

    assert "no database" in capsys.readouterr().err
    assert not missing.exists()


# -- import ------------------------------------------------------------------------------


def delivery(n: int, appointment_id: str) -> DeliveryRow:
    return DeliveryRow(
        id=f"delivery-{n:02d}",
        channel="email",
        kind=f"kind-{(7 * n) % 10}",  # written in an order that is no sort of the kinds
        recipient_role="customer",
        recipient="ann@example.com",
        appointment_id=appointment_id,
        payload={"n": n, "text": "Café <b>"},
        due_at=NOW + timedelta(minutes=n),
        expires_at=NOW + timedelta(hours=48),
        created_at=NOW,
        status="failed" if n == 3 else "pending",
        attempts=1 if n == 3 else 0,
        last_error="550 no such user" if n == 3 else None,
    )


async def fill_every_table(database: Path) -> dict[str, Any]:
    """A row or more in every table, through the SQLite store; what it wrote."""
    store = await open_store(database)
    booked = replace(appointment(TUESDAY), id="appt-1", invite_id="inv-1")
    held = HoldRow(
        id="hold-1",
        agent="alice",
        subject="mortgage",
        meeting_type="OFFICE",
        office="brussels",
        start=TUESDAY + timedelta(hours=2),
        end=TUESDAY + timedelta(hours=3),
        trailing_buffer=10,
        expires_at=TUESDAY,
    )
    invite = InviteRow(
        id="inv-1",
        agent="alice",
        subject="mortgage",
        meeting_type=None,
        office=None,
        customer_email="ann@example.com",
        single_use=True,
        created_by="alice",
        created_at=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    link = SignInLinkRow(
        "link-1", "alice", "/desk/appointments/appt-1", NOW, NOW + timedelta(minutes=15)
    )
    session = SessionRow("session-1", "alice", NOW, NOW + timedelta(hours=12), language="nl")
    time_off = TimeOffRow(
        id="off-1",
        agent="alice",
        start=TUESDAY + timedelta(days=3),
        end=TUESDAY + timedelta(days=4),
        timezone="Europe/Brussels",
        whole_days=True,
        note="private",
        created_by="alice",
        created_at=NOW,
        updated_at=NOW,
    )
    outbox = [delivery(n, "appt-1") for n in range(12)]
    async with store.write() as tx:
        await tx.insert_appointment(booked)
        await tx.insert_hold(held)
        await tx.use_hold("hold-1", "appt-1")
        await tx.save_idempotency_key("key-1", "hash", "appt-1", NOW)
        await tx.insert_invite(invite)
        await tx.use_invite("inv-1", "appt-1", NOW)
        await tx.insert_deliveries(outbox)
        await tx.insert_sign_in_link(link)
        await tx.insert_session(session)
        await tx.set_feed("alice", "feed-secret", NOW)
        await tx.insert_time_off(time_off)
        await tx.note_client_activity("client-1", NOW, NOW - timedelta(hours=1))
        await tx.use_challenge("challenge-1", NOW + timedelta(minutes=10), NOW)
        await tx.sync_calendars({"alice": ("fp-a", "ics"), "bob": ("fp-b", "caldav")}, NOW)
        (leased, _) = await tx.claim_calendars("refresher", NOW, NOW + timedelta(minutes=10), 5)
        await tx.save_calendar(
            replace(
                leased,
                busy=(1_795_500_000).to_bytes(8, "little") + (1_795_503_600).to_bytes(8, "little"),
                busy_from=NOW,
                busy_until=NOW + timedelta(days=60),
                intervals=1,
                revision=3,
                etag='"v1"',
                worked_at=NOW,
                checked_at=NOW,
                next_check_at=NOW + timedelta(minutes=5),
                notified=True,
                lease_owner=None,
                lease_until=None,
                updated_at=NOW,
            )
        )
    written = await read_back(store)
    await store.close()
    return written


async def read_back(store: Store) -> dict[str, Any]:
    """Everything `fill_every_table` wrote, read through the store's interface."""
    return {
        "appointment": await store.appointment("appt-1"),
        "hold": await store.hold("hold-1"),
        "key": await store.idempotency_key("key-1", NOW),
        "invite_used": await store.invite_used("inv-1"),
        "invite": await store.invite("inv-1"),
        "outbox": await store.appointment_deliveries("appt-1"),
        "link": await store.sign_in_link("link-1"),
        "session": await store.session("session-1"),
        "feed": await store.feed_by_secret("feed-secret"),
        "time_off": await store.time_off(["alice"], NOW, NOW + timedelta(days=30)),
        "calendars": await store.calendars(),
        "client_activity": await _client_activity(store),
    }


async def _client_activity(store: Store) -> int:
    async with store.write() as tx:
        return await tx.client_activity("client-1", NOW - timedelta(hours=1))


def sqlite_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND name != 'schema_migrations'"
            )
        ]
        return {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables
        }


def test_import_moves_every_table_into_postgresql(
    tmp_path: Path,
    empty_postgresql: str,
    postgresql: PostgreSQLServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "var" / "rendezvous.sqlite3"
    written = run(fill_every_table(source))
    (source.parent / "secret_key").write_text("the-old-key\n")
    counts = sqlite_counts(source)

    assert cli.main(["import", str(source), "--to", empty_postgresql]) == 0

    out, err = capsys.readouterr()
    for table, count in counts.items():
        assert count > 0, f"the test writes no row in {table}"
        assert f"  {table:<22} {count}" in out.splitlines()
        assert postgresql.scalar(empty_postgresql, f'SELECT count(*) FROM "{table}"') == count
    assert "RENDEZVOUS_SECRET_KEY" in err and "the-old-key" not in err + out

    async def read_imported() -> dict[str, Any]:
        store = await open_store(empty_postgresql)
        try:
            return await read_back(store)
        finally:
            await store.close()

    imported = run(read_imported())
    assert imported == written  # every row, field for field, through the interface
    # The outbox keeps the order it was written in (not an order of ids or kinds).
    assert [row.id for row in imported["outbox"]] == [f"delivery-{n:02d}" for n in range(12)]
    assert imported["calendars"]["alice"].busy == written["calendars"]["alice"].busy != b""


def test_import_refuses_a_database_that_holds_rows_and_changes_nothing(
    tmp_path: Path,
    empty_postgresql: str,
    postgresql: PostgreSQLServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "rendezvous.sqlite3"
    run(fill_every_table(source))
    assert cli.main(["import", str(source), "--to", empty_postgresql]) == 0

    # A server used it since: one more session; then the same import again.
    async def sign_in() -> None:
        store = await open_store(empty_postgresql)
        async with store.write() as tx:
            await tx.insert_session(SessionRow("later", "bob", NOW, NOW + timedelta(hours=1)))
        await store.close()

    run(sign_in())
    before = postgresql.scalar(empty_postgresql, "SELECT count(*) FROM appointments")
    capsys.readouterr()
    assert cli.main(["import", str(source), "--to", empty_postgresql]) == 2

    assert "not empty" in capsys.readouterr().err
    assert postgresql.scalar(empty_postgresql, "SELECT count(*) FROM appointments") == before
    assert postgresql.scalar(empty_postgresql, "SELECT count(*) FROM desk_sessions") == 2


def test_import_refuses_a_sqlite_database_that_lacks_migrations(
    tmp_path: Path,
    empty_postgresql: str,
    postgresql: PostgreSQLServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "old.sqlite3"
    with sqlite3.connect(source) as conn:  # the first migration only, as an old version left it
        version, name, sql = migrations()[0]
        conn.executescript(sql)
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", [version, name])

    assert cli.main(["import", str(source), "--to", empty_postgresql]) == 2

    err = capsys.readouterr().err
    assert "lacks migration(s)" in err and "rendezvous migrate" in err
    assert postgresql.scalar(empty_postgresql, "SELECT count(*) FROM appointments") == 0


def test_import_needs_a_postgresql_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "rendezvous.sqlite3"
    run(fill_every_table(source))

    assert cli.main(["import", str(source), "--to", str(tmp_path / "other.sqlite3")]) == 2

    assert "PostgreSQL URL" in capsys.readouterr().err
    assert not (tmp_path / "other.sqlite3").exists()
