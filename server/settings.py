"""Settings from the environment, read once (SPEC 8)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = _ROOT / "examples" / "demo-bank" / "organisation.toml"


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path = DEFAULT_CONFIG
    #: The SQLite file; with a `database_url`, only the folder beside which the secret
    #: key and the Maildir are kept by default.
    database_path: Path = Path("var/rendezvous.sqlite3")
    #: A PostgreSQL URL (postgresql://user:password@host:port/db, SPEC 13): the database
    #: that every instance shares instead of the SQLite file. Never logged (the password).
    database_url: str | None = None
    #: Connections the process keeps open to PostgreSQL at most (its pool).
    database_pool: int = 10
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    #: Seconds between checks of the organisation file for changes (0 disables).
    reload_interval: float = 1.0
    #: A changed organisation file is loaded once it stayed the same this many seconds
    #: (two checks apart): a file still being written is never put in service.
    reload_settle: float = 1.0
    #: Cap on request bodies, in bytes (SPEC 9).
    max_body_bytes: int = 64 * 1024
    #: State-changing API calls a client address may make a minute, per process (0: no limit).
    rate_limit_per_minute: int = 60
    #: Proxies whose X-Forwarded-For is believed (comma-separated; None: none).
    forwarded_allow_ips: str | None = None
    plugin_dir: Path = _ROOT / "plugin"
    embed_path: Path = _ROOT / "embed.js"
    # -- deliveries (SPEC 10; docs/deliveries.md) --
    #: How mail leaves: smtp://, smtp+starttls:// or smtps:// (None: the Maildir).
    smtp_url: str | None = None
    #: The Maildir when there is no SMTP URL (None: `mail/` beside the database).
    maildir: Path | None = None
    #: Seconds between the delivery worker's looks at the outbox (0: this process sends
    #: nothing; its own writes still wake it when it runs).
    delivery_interval: float = 2.0
    # -- agents' calendars (SPEC 12; docs/calendars.md) --
    #: Seconds between two reads of one agent's calendar (0: this process reads none).
    calendar_refresh: float = 300.0

    @property
    def database(self) -> str | Path:
        """What `server.store.open_store` opens: the PostgreSQL URL, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def maildir_path(self) -> Path:
        return self.maildir or self.database_path.parent / "mail"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        config = Config(environ=dict(os.environ if environ is None else environ))
        # A path, or a PostgreSQL URL (which a Path would mangle: read it as text first).
        database = config("RENDEZVOUS_DATABASE", cast=str, default="var/rendezvous.sqlite3")
        url = database if database.startswith(("postgresql://", "postgres://")) else None
        return cls(
            config_path=config("RENDEZVOUS_CONFIG", cast=Path, default=DEFAULT_CONFIG),
            database_path=Path("var/rendezvous.sqlite3" if url else database),
            database_url=url,
            database_pool=config("RENDEZVOUS_DATABASE_POOL", cast=int, default=10),
            secret_key=config("RENDEZVOUS_SECRET_KEY", cast=str, default=None) or None,
            host=config("RENDEZVOUS_HOST", cast=str, default="127.0.0.1"),
            port=config("RENDEZVOUS_PORT", cast=int, default=8000),
            reload_interval=config("RENDEZVOUS_RELOAD_INTERVAL", cast=float, default=1.0),
            reload_settle=config("RENDEZVOUS_RELOAD_SETTLE", cast=float, default=1.0),
            rate_limit_per_minute=config("RENDEZVOUS_RATE_LIMIT", cast=int, default=60),
            forwarded_allow_ips=config("RENDEZVOUS_FORWARDED_ALLOW_IPS", cast=str, default=None)
            or None,
            # Where the widget's files are read from: tests point it at a copy they edit.
            plugin_dir=config("RENDEZVOUS_PLUGIN_DIR", cast=Path, default=_ROOT / "plugin"),
            embed_path=config("RENDEZVOUS_EMBED_JS", cast=Path, default=_ROOT / "embed.js"),
            # Deliveries (SPEC 10).
            smtp_url=config("RENDEZVOUS_SMTP_URL", cast=str, default=None) or None,
            maildir=config("RENDEZVOUS_MAILDIR", cast=Path, default=None),
            delivery_interval=config("RENDEZVOUS_DELIVERY_INTERVAL", cast=float, default=2.0),
            # Agents' calendars (SPEC 12).
            calendar_refresh=config("RENDEZVOUS_CALENDAR_REFRESH", cast=float, default=300.0),
        )
