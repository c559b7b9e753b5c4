"""Helpers shared by the booking tests: offered starts, request bodies, answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from server.runtime import Runtime


def runtime(client: TestClient) -> Runtime:
    found: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return found


def offered(
    client: TestClient,
    subject: str,
    meeting_type: str,
    office: str | None = None,
    agent: str | None = None,
    *,
    first_day: date = date(2026, 11, 24),
    days: int = 14,
) -> list[datetime]:
    """The starts offered now, from GET /api/v1/slots for days in Brussels."""
    params = {
        "subject": subject,
        "meeting_type": meeting_type,
        "from": first_day.isoformat(),
        "to": (first_day + timedelta(days=days - 1)).isoformat(),
        "tz": "Europe/Brussels",
    }
    if office:
        params["office"] = office
    if agent:
        params["agent"] = agent
    response = client.get("/api/v1/slots", params=params)
    assert response.status_code == 200, response.text
    return [datetime.fromisoformat(slot["start"]) for slot in response.json()["slots"]]


def iso(moment: datetime) -> str:
    return moment.isoformat()


CUSTOMER = {
    "first_name": "Ann",
    "last_name": "Smith",
    "email": "ann@example.com",
    "phone": "+32 470 12 34 56",
    "language": "en",
    "timezone": "Europe/Brussels",
}


def appointment_body(
    subject: str,
    meeting_type: str,
    start: datetime,
    office: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A booking's body for CUSTOMER, without answers unless `answers=` is given."""
    body: dict[str, Any] = {
        "subject": subject,
        "meeting_type": meeting_type,
        "start": iso(start),
        "customer": dict(CUSTOMER),
        "answers": {},
    }
    if office is not None:
        body["office"] = office
    body.update(extra)
    return body


def book(client: TestClient, body: Mapping[str, Any], **kwargs: Any) -> Any:
    return client.post("/api/v1/appointments", json=body, **kwargs)


def error(response: Any) -> tuple[int, str, list[str]]:
    """(status, code, detail paths) of an error answer."""
    body = response.json()["error"]
    return response.status_code, body["code"], [detail["path"] for detail in body["details"]]


def manage_token(response: Any) -> str:
    manage: str = response.json()["links"]["manage"]
    return manage.split("manage=", 1)[1]


def count_rows(client: TestClient, table: str = "appointments") -> int:
    """Rows of a table, read beside the app (SQLite file or PostgreSQL database)."""
    settings = runtime(client).settings
    if settings.database_url is not None:
        from tests.databases import PostgreSQLServer

        return int(
            PostgreSQLServer().scalar(settings.database_url, f"SELECT count(*) FROM {table}")
        )
    import sqlite3

    with sqlite3.connect(settings.database_path) as conn:
        (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)
