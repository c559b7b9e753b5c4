"""What a running server holds: the organisation snapshot (rebuilt when its file
changes), the store, the token signer and the clock."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request

from server import background, config
from server.settings import Settings
from server.snapshot import Snapshot
from server.store import Store, open_store
from server.tokens import Tokens, load_or_create_secret

logger = logging.getLogger("rendezvous.runtime")


Stamp = tuple[int, int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


@dataclass(frozen=True, slots=True)
class _Content:
    """The file's bytes as one check read them (or why they could not be read)."""

    data: bytes | None
    error: OSError | None
    digest: str | None

    @classmethod
    def read(cls, path: Path) -> _Content:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return cls(None, exc, None)
        return cls(data, None, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True, slots=True)
class _Seen:
    """A change the watcher saw and waits to see unchanged once more."""

    stamp: Stamp | None
    digest: str | None
    since: float  # time.monotonic() of the first check that saw it


#: What preparing a change gives: a snapshot to put in service, None (the same version
#: again), or why it cannot be used.
_Outcome = Snapshot | None | config.ConfigError | OSError


@dataclass
class OrganisationFile:
    """The last good organisation snapshot, and a cheap check whether its file changed on
    disk.

    A bad edit keeps the last good version in service and logs why; the next good
    edit replaces it, whole: everything derived from it is built before the swap.

    The server's watcher calls `poll`: a change is loaded only once two checks at least
    `settle` seconds apart saw the same size, modification time, inode and content (a
    file still being written is never put in service), and it is read, checked and
    built off the event loop, its TOML in a child process within the bounds of
    `server.config.bounded` (a hostile file cannot stall the server). `refresh` loads a
    change at once, in the calling thread: for tests and tools.
    """

    path: Path
    current: Snapshot
    _stamp: Stamp | None = None
    last_error: str | None = None
    bounds: config.Bounds = config.DEFAULT_BOUNDS
    _pending: _Seen | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: Path) -> OrganisationFile:
        stamp = _stamp(path)
        return cls(path=path, current=Snapshot.build(config.load(path)), _stamp=stamp)

    def refresh(self) -> bool:
        """Reload now when the file changed; True when a new version is now in service."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        self._pending = None
        return self._swap(self._prepare(_Content.read(self.path)))

    async def poll(self, settle: float) -> bool:
        """One check of the watcher; True when a new version is now in service."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            self._pending = None
            return False
        content = await asyncio.to_thread(_Content.read, self.path)
        now = time.monotonic()
        pending = self._pending
        if pending is None or (pending.stamp, pending.digest) != (stamp, content.digest):
            self._pending = _Seen(stamp, content.digest, now)  # changed: wait for it to settle
            return False
        if now - pending.since < settle:
            return False
        self._pending = None
        self._stamp = stamp
        return self._swap(await asyncio.to_thread(self._prepare, content))

    def _prepare(self, content: _Content) -> _Outcome:
        """Blocking: the snapshot the bytes make, or why they make none."""
        if content.data is None:
            return content.error
        try:
            loaded = config.load_bytes(content.data, self.path, self.bounds)
        except config.ConfigError as exc:
            return exc
        if loaded.version == self.current.version:
            return None
        return Snapshot.build(loaded)

    def _swap(self, outcome: _Outcome) -> bool:
        if isinstance(outcome, config.ConfigError):
            self.last_error = str(outcome)
            logger.error(
                "organisation file %s changed but is invalid; still serving version %s:\n%s",
                self.path,
                self.current.version,
                outcome,
            )
            return False
        if isinstance(outcome, OSError):
            self.last_error = str(outcome)
            logger.error("cannot read organisation file %s: %s", self.path, outcome)
            return False
        self.last_error = None
        if outcome is None:
            return False
        logger.info(
            "organisation file reloaded: version %s -> %s", self.current.version, outcome.version
        )
        self.current = outcome
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
    #: Called after a new version of the organisation file is put in service
    #: (`server.heap.settle` in a serving process).
    after_reload: Callable[[], None] | None = field(default=None, repr=False)

    def now(self) -> datetime:
        return self.clock()

    @property
    def snapshot(self) -> Snapshot:
        """The organisation now in service: read it once per request and keep it."""
        return self.organisation_file.current

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        organisation_file = OrganisationFile.load(settings.config_path)
        store = await open_store(settings.database, pool_size=settings.database_pool)
        secret = load_or_create_secret(settings.database_path, settings.secret_key)
        runtime = cls(settings, organisation_file, store, Tokens(secret))
        if settings.reload_interval > 0:
            runtime._watcher = asyncio.create_task(
                runtime._watch(settings.reload_interval, settings.reload_settle)
            )
        return runtime

    async def _watch(self, interval: float, settle: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                if await self.organisation_file.poll(settle) and self.after_reload is not None:
                    self.after_reload()
            except Exception:  # never let the watcher die silently
                logger.exception("checking the organisation file failed")

    async def stop(self) -> None:
        await background.cancel(self._watcher)
        await self.store.close()


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
