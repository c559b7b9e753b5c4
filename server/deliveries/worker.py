"""The delivery worker: a background task in every server process that sends what the
outbox holds (SPEC 10).

One round (`run_once`):

1. a cheap read (no lock): is any pending delivery due now that no live claim holds?
2. a short write transaction claims a batch of them for this worker, with a lease
   (`Transaction.claim_deliveries`: one statement, serialised by the database, so two
   workers in any number of processes never claim one row at once);
3. outside any transaction, each is rendered and sent: e-mails over one SMTP
   connection (or into the Maildir), webhooks over one HTTP client;
4. a short write transaction records every result: `sent`, `pending` with the next
   attempt (`retries`), `failed`, or `skipped` (a reminder of an appointment that was
   cancelled, declined, moved or is over, checked again here).

Rounds repeat while they find work, then the worker waits for the outbox bell (rung by
a transaction of this process that wrote deliveries) or `RENDEZVOUS_DELIVERY_INTERVAL`
seconds (other processes' deliveries, retries and reminders coming due).

Delivery is at least once: a worker that dies between sending and recording leaves its
claimed rows to be claimed again when their lease expires, and they are sent again
(with the same Message-ID or webhook-id, so receivers can tell). A round records its
results together, so at most one batch is sent twice. A claim's lease is longer than
the worst case of a batch; should a batch still run short of it, the rows not yet tried
are given back untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Protocol

import httpx
import msgspec

from server import background
from server.calendars import notices, writeback
from server.deliveries import email, retries, webhooks
from server.deliveries.email import Outgoing
from server.deliveries.kinds import NOTICE_KINDS, REMINDER_KINDS
from server.deliveries.maildir import MaildirTransport
from server.deliveries.outbox import Change, read_change, read_sign_in
from server.deliveries.retries import Outcome, SendFailed
from server.deliveries.smtp import SMTPSettings, SMTPTransport
from server.runtime import Runtime
from server.settings import Settings
from server.store import DeliveryRow

logger = logging.getLogger("rendezvous.deliveries")

BATCH = 20
LEASE = timedelta(minutes=5)
#: A batch stops trying new rows this long before its lease ends.
LEASE_MARGIN = timedelta(seconds=60)


class MailSession(Protocol):
    async def send(self, outgoing: Outgoing) -> None: ...


class MailTransport(Protocol):
    def describe(self) -> str: ...

    def session(self) -> AbstractAsyncContextManager[MailSession]: ...


def mail_transport(settings: Settings) -> MailTransport:
    """SMTP when `RENDEZVOUS_SMTP_URL` is set, else the Maildir (ValueError for a bad URL)."""
    if settings.smtp_url:
        return SMTPTransport(SMTPSettings.from_url(settings.smtp_url))
    return MaildirTransport(settings.maildir_path)


class DeliveryWorker:
    """Sends due deliveries for one server process."""

    def __init__(
        self,
        runtime: Runtime,
        mail: MailTransport,
        http: httpx.AsyncClient | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        owner: str | None = None,
        batch: int = BATCH,
        lease: timedelta = LEASE,
    ) -> None:
        self.runtime = runtime
        self.mail = mail
        self.http = http or webhooks.client()
        self.environ = os.environ if environ is None else environ
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.batch = batch
        self.lease = lease
        self._task: asyncio.Task[None] | None = None

    # -- the background task ------------------------------------------------------------

    def start(self, interval: float) -> None:
        self._task = asyncio.create_task(self._loop(interval), name="rendezvous-deliveries")

    async def stop(self) -> None:
        await background.cancel(self._task)
        self._task = None
        await self.http.aclose()

    async def _loop(self, interval: float) -> None:
        bell = self.runtime.outbox_bell
        while True:
            bell.clear()
            try:
                while await self.run_once():
                    pass
            except Exception:  # never let the worker die silently; try again later
                logger.exception("the delivery worker's round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bell.wait(), timeout=interval)

    # -- one round ------------------------------------------------------------------------

    async def run_once(self, only: str | None = None) -> int:
        """Claim, send and record one batch of due deliveries (only the delivery `only`,
        when given); returns how many were claimed."""
        store = self.runtime.store
        now = self.runtime.now()
        if only is None:
            due = await store.next_delivery_due(now)
            if due is None or due > now:
                return 0
        async with store.write() as tx:
            rows = await tx.claim_deliveries(self.owner, now, now + self.lease, self.batch, only)
        if not rows:
            return 0
        deadline = time.monotonic() + (self.lease - LEASE_MARGIN).total_seconds()
        outcomes = await self._send_all(rows, deadline)
        finished = self.runtime.now()
        async with store.write() as tx:
            for row, outcome in outcomes:
                await tx.finish_delivery(
                    row.id,
                    self.owner,
                    now=finished,
                    status=outcome.status,
                    attempts=outcome.attempts,
                    next_attempt_at=outcome.next_attempt_at,
                    last_error=outcome.last_error,
                )
        return len(rows)

    async def _send_all(
        self, rows: list[DeliveryRow], deadline: float
    ) -> list[tuple[DeliveryRow, Outcome]]:
        outcomes = []
        async with self.mail.session() as session:
            for row in rows:
                if time.monotonic() > deadline:
                    outcomes.append((row, retries.released(row)))
                    continue
                outcomes.append((row, await self._deliver(row, session)))
        return outcomes

    async def _deliver(self, row: DeliveryRow, session: MailSession) -> Outcome:
        if row.kind in NOTICE_KINDS:
            return await self._deliver_notice(row, session)
        if row.channel == "caldav" or notices.is_notice(row):
            return await self._deliver_calendar(row, session)
        try:
            change = read_change(row.payload)
        except msgspec.ValidationError as exc:
            return self._failed(row, SendFailed(f"unreadable payload: {exc}", permanent=True))
        if row.kind in REMINDER_KINDS:
            reason = await self._stale_reminder(row, change)
            if reason is not None:
                return retries.skipped(row, self.runtime.now(), reason)
        try:
            if row.channel == "email":
                snapshot = self.runtime.snapshot
                outgoing = email.build(snapshot, self.runtime.tokens, row, change)
                await session.send(outgoing)
            elif row.channel == "webhook":
                await webhooks.send(
                    self.http, self.runtime.snapshot, row, change, self.environ, self.runtime.now()
                )
            else:
                raise SendFailed(f"no sender for the channel {row.channel}", permanent=True)
        except email.NotSendable as exc:
            return self._failed(row, SendFailed(str(exc), permanent=True))
        except SendFailed as exc:
            return self._failed(row, exc)
        except Exception as exc:  # a bug must not stop the other deliveries
            logger.exception("delivery %s (%s) failed unexpectedly", row.id, row.kind)
            return self._failed(row, SendFailed(f"internal error: {type(exc).__name__}"))
        return retries.sent(row, self.runtime.now())

    async def _deliver_notice(self, row: DeliveryRow, session: MailSession) -> Outcome:
        """A message about no appointment: the desk's sign-in link. One whose link has
        expired is not sent (`skipped`): it could not sign anybody in."""
        try:
            notice = read_sign_in(row.payload)
        except msgspec.ValidationError as exc:
            return self._failed(row, SendFailed(f"unreadable payload: {exc}", permanent=True))
        now = self.runtime.now()
        if notice.expires_at <= now:
            return retries.skipped(row, now, "the sign-in link has expired")
        try:
            outgoing = email.build_sign_in(self.runtime.snapshot, self.runtime.tokens, row, notice)
            await session.send(outgoing)
        except email.NotSendable as exc:
            return self._failed(row, SendFailed(str(exc), permanent=True))
        except SendFailed as exc:
            return self._failed(row, exc)
        except Exception as exc:  # a bug must not stop the other deliveries
            logger.exception("delivery %s (%s) failed unexpectedly", row.id, row.kind)
            return self._failed(row, SendFailed(f"internal error: {type(exc).__name__}"))
        return retries.sent(row, self.runtime.now())

    async def _deliver_calendar(self, row: DeliveryRow, session: MailSession) -> Outcome:
        """SPEC 12: an appointment written to an agent's CalDAV calendar, or a notice
        that an agent's calendar broke or works again."""
        try:
            if row.channel == "caldav":
                await writeback.send(self.runtime, row, self.environ)
            else:
                await notices.send(
                    self.runtime.snapshot, row, session, self.http, self.environ, self.runtime.now()
                )
        except SendFailed as exc:
            return self._failed(row, exc)
        except Exception as exc:  # a bug must not stop the other deliveries
            logger.exception("delivery %s (%s) failed unexpectedly", row.id, row.kind)
            return self._failed(row, SendFailed(f"internal error: {type(exc).__name__}"))
        return retries.sent(row, self.runtime.now())

    async def _stale_reminder(self, row: DeliveryRow, change: Change) -> str | None:
        """Why a reminder must not go out any more (None: it may)."""
        current = await self.runtime.store.appointment(change.appointment.id)
        if current is None:
            return "the appointment no longer exists"
        if current.status != "confirmed":
            return f"the appointment is {current.status}"
        if current.start != change.appointment.start:
            return "the appointment has moved"
        if row.kind == "agent_reminder" and current.agent != change.appointment.agent:
            return "the appointment has another agent"
        if current.start <= self.runtime.now():
            return "the appointment has started"
        return None

    def _failed(self, row: DeliveryRow, error: SendFailed) -> Outcome:
        # A customer's address never reaches the log or `rendezvous outbox` in full.
        masked = SendFailed(mask_in(str(error), row.recipient), permanent=error.permanent)
        outcome = retries.failed(row, self.runtime.now(), masked)
        logger.warning(
            "delivery %s (%s %s, attempt %d) %s: %s",
            row.id,
            row.channel,
            row.kind,
            outcome.attempts,
            "given up" if outcome.status == "failed" else "will be tried again",
            outcome.last_error,
        )
        return outcome


def mask(address: str) -> str:
    """`a***@example.com`: enough for an operator to tell whose and which domain."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    return f"{local[:1]}***@{domain}"


def mask_in(text: str, address: str) -> str:
    """`text` with `address` (any case) masked."""
    if "@" not in address:
        return text
    return re.sub(re.escape(address), mask(address), text, flags=re.IGNORECASE)


def start_deliveries(runtime: Runtime) -> DeliveryWorker:
    """The worker of a starting server process (the app's lifespan): its transports from
    the settings, the webhook secrets checked (a missing one is logged now, not at the
    first delivery), and its task started unless `RENDEZVOUS_DELIVERY_INTERVAL` is 0."""
    settings = runtime.settings
    worker = DeliveryWorker(runtime, mail_transport(settings))
    snapshot = runtime.snapshot
    for problem in webhooks.secret_problems(snapshot.file.webhooks, worker.environ):
        logger.error("webhook secret: %s; its deliveries wait until it is set", problem)
    if snapshot.settings.notifications is None:
        logger.info("e-mail is off: the organisation file has no [organisation.notifications]")
    else:
        logger.info("e-mails are %s", worker.mail.describe())
    if settings.delivery_interval > 0:
        worker.start(settings.delivery_interval)
    return worker


__all__ = [
    "BATCH",
    "LEASE",
    "DeliveryWorker",
    "MailTransport",
    "mail_transport",
    "mask",
    "start_deliveries",
]
