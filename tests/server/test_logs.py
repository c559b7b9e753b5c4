"""The log's format (server/logs.py): one JSON object a line, tokens redacted whoever
logged them, the access fields on access lines; the same configuration in a process
that has none (a spawned worker)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

from server.logs import JsonFormatter, log_config
from tests.support import ROOT

TOKEN = "eyJhIjoiMTIzNDUifQ.c2VydmUtdGVzdC1zaWduYXR1cmUtMjctY2g"


def line(record: logging.LogRecord) -> dict[str, Any]:
    text = JsonFormatter().format(record)
    assert "\n" not in text
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, msg, args, None)
    made.__dict__.update(extra)
    return made


def test_a_line_has_time_level_logger_message_and_pid() -> None:
    found = line(record("worker %s ready", "one"))
    assert found == {
        "time": found["time"],
        "level": "WARNING",
        "logger": "uvicorn.error",
        "message": "worker one ready",
        "pid": os.getpid(),
    }
    assert found["time"].endswith("+00:00")


def test_tokens_are_redacted_in_messages_paths_and_tracebacks() -> None:
    try:
        raise ValueError(f"bad link /api/v1/holds/{TOKEN}")
    except ValueError:
        failed = record("GET /book?manage=%s failed", TOKEN, path=f"/api/v1/invites/{TOKEN}")
        failed.exc_info = sys.exc_info()
    found = line(failed)
    assert TOKEN not in json.dumps(found)
    assert found["message"] == "GET /book?manage={token} failed"
    assert found["path"] == "/api/v1/invites/{token}"
    assert "bad link /api/v1/holds/{token}" in found["exception"]


def test_access_fields_are_kept_with_their_types() -> None:
    found = line(record("GET /livez 200", method="GET", path="/livez", status=200, duration_ms=0.4))
    assert (found["method"], found["path"], found["status"], found["duration_ms"]) == (
        "GET",
        "/livez",
        200,
        0.4,
    )


def test_a_process_configured_with_log_config_writes_json_from_every_logger() -> None:
    script = (
        "import logging, logging.config\n"
        "from server.logs import log_config\n"
        "logging.config.dictConfig(log_config('info'))\n"
        "logging.getLogger('rendezvous.runtime').info('reloaded')\n"
        "logging.getLogger('uvicorn.error').info('started')\n"
        "logging.getLogger('uvicorn.access').info('not ours')\n"
        "logging.getLogger('rendezvous.access').debug('below the level')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=True,
    )
    lines = [json.loads(text) for text in result.stderr.splitlines()]
    assert [(found["logger"], found["message"]) for found in lines] == [
        ("rendezvous.runtime", "reloaded"),
        ("uvicorn.error", "started"),
    ]
    assert log_config("warning")["root"]["level"] == "WARNING"
