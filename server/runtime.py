"""What a running server holds: the organisation snapshot (rebuilt when its file
changes), the store, the token signer and the clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request

from server import config
from server.settings import Settings
from server.snapshot import Snapshot
from server.store import Store, open_store
from server.tokens import Tokens, load_or_create_secret

logger = logging.getLogger("rendezvous.runtime")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


@dataclass
class OrganisationFile:
    """The last good organisation snapshot, and a cheap check whether its file changed on
    disk.

    A bad edit keeps the last good version in service and logs why; the next good
    edit replaces it, whole: everything derived from it is built before the swap.
    """

    path: Path
    current: Snapshot
    _stamp: tuple[int, int, int] | None = None
    last_error: str | None = None

    @classmethod
    def load(cls, path: Path) -> OrganisationFile:
        stamp = _stamp(path)
        return cls(path=path, current=Snapshot.build(config.load(path)), _stamp=stamp)

    def refresh(self) -> bool:
        """Reload when the file changed; True when a new version is now in service."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            loaded = config.load(self.path)
        except config.ConfigError as exc:
            self.last_error = str(exc)
            logger.error(
                "organisation file %s changed but is invalid; still serving version %s:\n%s",
                self.path,
                self.current.version,
                exc,
            )
            return False
        except OSError as exc:
            self.last_error = str(exc)
            logger.error("cannot read organisation file %s: %s", self.path, exc)
            return False
        self.last_error = None
        if loaded.version == self.current.version:
            return False
        logger.info(
            "organisation file reloaded: version %s -> %s", self.current.version, loaded.version
        )
        self.current = Snapshot.build(loaded)
        return True


@dataclass
class Runtime:
    settings: Settings
    organisation_file: OrganisationFile
    store: Store
    tokens: Tokens
    #: The clock; tests replace it. Everything in the server asks `runtime.now()`.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _watcher: asyncio.Task[None] | None = field(default=None, repr=False)
    #: Rung after a transaction wrote deliveries: this process's delivery worker
    #: (`server.deliveries.worker`) wakes up at once instead of at its next poll.
    outbox_bell: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    #: Agents whose own calendar cannot be read (SPEC 12, CALENDAR_UNAVAILABLE), as the
    #: calendars' task (`server.calendars.refresher`) last saw them: the catalog leaves
    #: out what only they serve. Slot and booking requests read the store instead.
    calendar_unavailable: frozenset[str] = field(default_factory=frozenset)

    def now(self) -> datetime:
        return self.clock()

    @property
    def snapshot(self) -> Snapshot:
        """The organisation now in service: read it once per request and keep it."""
        return self.organisation_file.current

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        organisation_file = OrganisationFile.load(settings.config_path)
        store = await open_store(settings.database_path)
        secret = load_or_create_secret(settings.database_path, settings.secret_key)
        runtime = cls(settings, organisation_file, store, Tokens(secret))
        if settings.reload_interval > 0:
            runtime._watcher = asyncio.create_task(runtime._watch(settings.reload_interval))
        return runtime

    async def _watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self.organisation_file.refresh()
            except Exception:  # never let the watcher die silently
                logger.exception("checking the organisation file failed")

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self.store.close()


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
