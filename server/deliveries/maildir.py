"""E-mail written to a Maildir instead of sent (no `RENDEZVOUS_SMTP_URL`; SPEC 10).

The demo's mail server: every message is a file in `var/mail/new/` (or under
`RENDEZVOUS_MAILDIR`), exactly the bytes an SMTP server would have received, which any
mail client that reads Maildir (mutt, Thunderbird, Evolution) shows as real mail, and
`rendezvous mail preview` can be compared with. `mailbox.Maildir` creates the folders
readable by their owner only (0700); each message file is made 0600 too, as it holds a
customer's details. Writing is blocking file I/O: it runs in a thread.
"""

from __future__ import annotations

import asyncio
import mailbox
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from server.deliveries.email import SMTP_POLICY, Outgoing
from server.deliveries.retries import SendFailed


class MaildirTransport:
    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"written to the Maildir {self.path}/ (set RENDEZVOUS_SMTP_URL to send them)"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[MaildirTransport]:
        yield self

    async def send(self, outgoing: Outgoing) -> None:
        data = outgoing.message.as_bytes(policy=SMTP_POLICY)
        try:
            await asyncio.to_thread(self._write, data)
        except OSError as exc:
            raise SendFailed(f"cannot write to the Maildir {self.path}: {exc.strerror}") from None

    def _write(self, data: bytes) -> None:
        # The folder beside a SQLite file exists; with PostgreSQL `var/` may not yet.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        folder = mailbox.Maildir(self.path, create=True)
        key = folder.add(data)
        os.chmod(self.path / "new" / key, 0o600)


__all__ = ["MaildirTransport"]
