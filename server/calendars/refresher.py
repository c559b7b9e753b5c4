"""The background task that reads agents' calendars (SPEC 12), in every server process.

A round (`run_once`):

1. a cheap read (no lock): is any calendar due that no live lease holds?
2. a short write transaction leases a batch of due calendars to this process
   (`Transaction.claim_calendars`: one statement, serialised by the database, so that
   several processes or machines never read one calendar at once);
3. outside any transaction, each is read (`feeds.fetch` for ICS with its conditional
   headers, `dav.read` for CalDAV) and expanded in a child process
   (`isolation.Parsers`), several at a time;
4. as each read ends, a short write transaction saves its result while the lease is
   still this process's (`state.after_read`), with the notices a breakage or a recovery
   causes (`notices.write`), in the outbox: a slow calendar delays no other's result.

Rounds repeat while there is work; then the task notes which calendars cannot be used
(`watch`: the catalog's view, `Runtime.calendar_unavailable`), sleeps (`TICK` seconds
at most) and looks again. Each calendar is due `RENDEZVOUS_CALENDAR_REFRESH` seconds after its last
read (300 by default; 0: this process reads none). When the organisation file changes,
the rows are made to match it first (`sync`): new links are due at once.

The busy time is read over a window from a day ago to the longest booking horizon plus
`EXTRA` days, so that a `304 Not Modified` can confirm it for a week before a full read
is needed again. Slot and booking requests never wait for any of this: they read what
is stored (`server.calendars.intervals`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import secrets
import socket
from collections.abc import Mapping
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit

import httpx

from server import background
from server.calendars import dav, feeds, links, notices, state
from server.calendars.intervals import pack, usable
from server.calendars.isolation import Parsers
from server.calendars.links import Link
from server.calendars.problems import CalendarProblem
from server.runtime import Runtime
from server.store import CalendarRow

logger = logging.getLogger("rendezvous.calendars")

BATCH: Final = 50
CONCURRENCY: Final = 16
#: Longer than a batch can take: 50 calendars, 16 at a time, each at most 30 s to fetch
#: (CalDAV) and 30 s to expand.
LEASE: Final = timedelta(minutes=10)
#: The longest sleep between two looks at what is due.
TICK: Final = 5.0
#: Seconds between two reads when this process reads none on its own (the setting is 0).
DEFAULT_REFRESH: Final = 300.0
#: Read this far before now, and this far past the horizon (for 304s to stay valid).
BEFORE: Final = timedelta(days=1)
EXTRA: Final = timedelta(days=7)
#: A slot that starts on the horizon's last day runs into the next ones.
_SPILL: Final = timedelta(days=2)


class Refresher:
    """Refreshes due calendars for one server process."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        http: httpx.AsyncClient | None = None,
        parsers: Parsers | None = None,
        environ: Mapping[str, str] | None = None,
        owner: str | None = None,
        batch: int = BATCH,
        concurrency: int = CONCURRENCY,
        lease: timedelta = LEASE,
    ) -> None:
        self.runtime = runtime
        self.http = http or feeds.client()
        self.parsers = parsers or Parsers()
        self.environ = os.environ if environ is None else environ
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.batch = batch
        self.lease = lease
        self._slots = asyncio.Semaphore(concurrency)
        self._synced: str | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def refresh(self) -> timedelta:
        """When a calendar is due again after a read: `RENDEZVOUS_CALENDAR_REFRESH`, or
        the default when this process reads none on its own (0)."""
        seconds = self.runtime.settings.calendar_refresh
        return timedelta(seconds=seconds if seconds > 0 else DEFAULT_REFRESH)

    # -- the background task ------------------------------------------------------------

    def start(self) -> None:
        """Watch the calendars' states (for the catalog), and read them unless
        `RENDEZVOUS_CALENDAR_REFRESH` is 0, every `TICK` seconds at most."""
        interval = self.runtime.settings.calendar_refresh
        tick = min(interval, TICK) if interval > 0 else TICK
        self._task = asyncio.create_task(
            self._loop(tick, interval > 0), name="rendezvous-calendars"
        )

    async def stop(self) -> None:
        await background.cancel(self._task)
        self._task = None
        await self.http.aclose()
        await self.parsers.close()

    async def _loop(self, tick: float, reading: bool) -> None:
        while True:
            try:
                if reading:
                    while await self.run_once():
                        pass
                await self.watch()
            except Exception:  # never let the task die silently; try again later
                logger.exception("the calendar refresher's round failed")
            await asyncio.sleep(tick)

    async def watch(self) -> frozenset[str]:
        """Which linked agents' calendars cannot be used now, kept on the runtime for
        the catalog (`Runtime.calendar_unavailable`); one read without the intervals."""
        snapshot = self.runtime.snapshot
        if not snapshot.calendars:
            found: frozenset[str] = frozenset()
        else:
            rows = await self.runtime.store.calendars(snapshot.calendars, busy=False)
            now = self.runtime.now()
            policy = snapshot.calendar_policy
            found = frozenset(
                agent
                for agent in snapshot.calendars
                if agent not in rows or not usable(rows[agent], policy, now)
            )
        self.runtime.calendar_unavailable = found
        return found

    # -- one round ------------------------------------------------------------------------

    async def sync(self, *, all_due: bool = False) -> None:
        """Make the stored calendars match the organisation file (once per version);
        with `all_due`, make every calendar due now."""
        snapshot = self.runtime.snapshot
        if self._synced == snapshot.version and not all_due:
            return
        linked = {
            agent: (link.fingerprint, link.kind) for agent, link in snapshot.calendars.items()
        }
        async with self.runtime.store.write() as tx:
            await tx.sync_calendars(linked, self.runtime.now(), all_due=all_due)
        self._synced = snapshot.version

    async def run_once(self) -> int:
        """Lease, read and save one batch of due calendars; returns how many."""
        await self.sync()
        store = self.runtime.store
        now = self.runtime.now()
        due = await store.next_calendar_due(now)
        if due is None or due > now:
            return 0
        async with store.write() as tx:
            rows = await tx.claim_calendars(self.owner, now, now + self.lease, self.batch)
        if not rows:
            return 0
        snapshot = self.runtime.snapshot
        told = await asyncio.gather(
            *(self._refresh(row, snapshot.calendars.get(row.agent)) for row in rows)
        )
        if any(told):
            self.runtime.outbox_bell.set()
        return len(rows)

    async def _refresh(self, row: CalendarRow, link: Link | None) -> int:
        """Read one leased calendar and save what came of it at once (a slow calendar
        delays no other's result); returns how many notices were written."""
        outcome = await self._read(row, link)
        return await self._save(row, link, outcome)

    async def _read(
        self, row: CalendarRow, link: Link | None
    ) -> state.Read | CalendarProblem | None:
        if link is None:
            return None  # no longer linked: the next sync removes it
        async with self._slots:
            try:
                return await self._read_link(row, link)
            except CalendarProblem as exc:
                return exc

    async def _read_link(self, row: CalendarRow, link: Link) -> state.Read:
        snapshot = self.runtime.snapshot
        now = self.runtime.now()
        access = links.access(link, self.environ)
        horizon = timedelta(days=snapshot.calendar_horizon) + _SPILL
        start, until = now - BEFORE, now + horizon + EXTRA
        if link.kind == "ics":
            covered = (
                row.link == link.fingerprint
                and row.worked_at is not None
                and row.busy_until is not None
                and row.busy_until >= now + horizon
            )
            feed = await feeds.fetch(
                self.http,
                access.url,
                etag=row.etag if covered else None,
                last_modified=row.last_modified if covered else None,
            )
            if feed.data is None:
                assert row.busy_from is not None and row.busy_until is not None
                return state.Read(
                    None,
                    row.busy_from,
                    row.busy_until,
                    etag=feed.etag,
                    last_modified=feed.last_modified,
                )
            sources = [feed.data]
            etag, last_modified = feed.etag, feed.last_modified
        else:
            sources = await dav.read(access, start, until)
            etag = last_modified = None
        own_host = urlsplit(snapshot.public_url).hostname
        found = await self.parsers.busy(sources, start, until, link.zone, own_host)
        return state.Read(
            busy=pack(found.intervals),
            busy_from=start,
            busy_until=until,
            intervals=len(found.intervals),
            free_all_day=found.free_all_day,
            etag=etag,
            last_modified=last_modified,
        )

    async def _save(
        self, row: CalendarRow, link: Link | None, outcome: state.Read | CalendarProblem | None
    ) -> int:
        snapshot = self.runtime.snapshot
        now = self.runtime.now()
        told = 0
        async with self.runtime.store.write() as tx:
            stored = (await tx.calendars([row.agent])).get(row.agent)
            if stored is None or stored.lease_owner != self.owner:
                return 0  # the lease ran out and another process took it
            if link is None or outcome is None:
                released = dataclasses.replace(stored, lease_owner=None, lease_until=None)
                await tx.save_calendar(released, owner=self.owner)
                return 0
            new, notice = state.after_read(stored, link, outcome, now, self.refresh)
            await tx.save_calendar(new, owner=self.owner)
            host = notices.host_of(link, self.environ)
            if notice is not None:
                told = await notices.write(tx, snapshot, new, notice, host, now)
        if isinstance(outcome, CalendarProblem):
            logger.warning(
                "the calendar of %s (%s at %s) cannot be read: %s",
                row.agent,
                link.kind,
                host,
                outcome.message,
            )
        if notice is not None:
            logger.warning(
                "the calendar of %s is %s; %d notice(s) written", row.agent, notice.value, told
            )
        return told

    async def refresh_all(self, *, now: bool = False) -> int:
        """Rounds until nothing is due; with `now`, every calendar is due first (tests,
        benchmarks, `rendezvous calendars --refresh`). Returns how many were read."""
        if now:
            await self.sync(all_due=True)
        total = 0
        while found := await self.run_once():
            total += found
        return total


def start_calendars(runtime: Runtime) -> Refresher:
    """The refresher of a starting server process (the app's lifespan): missing secrets
    logged now, its task started (it reads nothing when `RENDEZVOUS_CALENDAR_REFRESH` is
    0, and still keeps the catalog's view of unusable calendars)."""
    refresher = Refresher(runtime)
    snapshot = runtime.snapshot
    for problem in links.secret_problems(snapshot.file.agents, refresher.environ):
        logger.error("calendar secret: %s; that calendar cannot be read until it is set", problem)
    if snapshot.calendars:
        logger.info(
            "%d agents' calendars are read every %g s",
            len(snapshot.calendars),
            runtime.settings.calendar_refresh,
        )
    refresher.start()
    return refresher


__all__ = ["BATCH", "LEASE", "TICK", "Refresher", "start_calendars"]
