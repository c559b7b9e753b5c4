"""The server's log: one JSON object a line, the same in every process (docs/operations.md).

`rendezvous serve` hands `log_config(level)` to uvicorn, which applies it in the parent
process and again in each worker it starts (workers are spawned, not forked: they
inherit no logging set-up). Every line carries `time` (UTC, ISO 8601), `level`,
`logger`, `message` and `pid`; the access log (`rendezvous.access`) adds `method`,
`path`, `status` and `duration_ms`.

What a line never carries: query strings, request bodies, or tokens. The access log
names the path with its token segments replaced by `{token}` (server/errors.py), and
this formatter passes every message and traceback through the same redaction, whoever
logged it (uvicorn's own messages quote request lines too).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import msgspec

from server.errors import redact

#: Attributes of a record that the access log sets (`extra=`) and the line carries.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")

_ENCODER = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON; tokens in the message and traceback redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "pid": record.process,
        }
        for field in ACCESS_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = redact(value) if isinstance(value, str) else value
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return _ENCODER.encode(line).decode()


def log_config(level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` document: every logger through one JSON handler on
    stderr, at `level`. uvicorn's own loggers propagate to it instead of keeping their
    coloured text handlers; its access log stays off (ours leaves customer data out)."""
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "server.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": upper},
        "loggers": {
            "uvicorn": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


__all__ = ["ACCESS_FIELDS", "JsonFormatter", "log_config"]
