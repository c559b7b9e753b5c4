"""E-mail through an SMTP server with aiosmtplib (`RENDEZVOUS_SMTP_URL`, SPEC 10).

    smtp://host[:port]                          a relay, no TLS, no login (port 25)
    smtp+starttls://user:password@host[:port]   STARTTLS, then AUTH (port 587)
    smtps://user:password@host[:port]           TLS from the first byte, then AUTH (465)

The user and password are percent-decoded (`p%40ss` is `p@ss`); the login is optional
for the TLS forms too. Certificates are verified against the system's trust store
(Python's `ssl.create_default_context`, which honours `SSL_CERT_FILE`).

A session opens one connection on its first message and reuses it for the rest of a
worker's batch; after any error it is closed and the next message opens a new one.
A refusal with a 5xx code for the recipient or the message is permanent (the delivery
is `failed` at once); everything else (no connection, a timeout, a 4xx, the login or
the sender refused) is tried again later. Error messages never contain the password.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

import aiosmtplib

from server.deliveries.email import Outgoing
from server.deliveries.retries import SendFailed

Security = Literal["none", "starttls", "tls"]
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class SMTPSettings:
    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SMTPSettings:
        """Read `RENDEZVOUS_SMTP_URL`; ValueError says what is wrong (never the password)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError(
                "RENDEZVOUS_SMTP_URL: the port is not a number from 1 to 65535"
            ) from None
        if parts.scheme not in _SCHEMES:
            raise ValueError(
                "RENDEZVOUS_SMTP_URL: expected smtp://host:port, smtp+starttls://user:password"
                f"@host:587 or smtps://user:password@host:465, not a {parts.scheme or 'bare'} URL"
            )
        if not parts.hostname:
            raise ValueError("RENDEZVOUS_SMTP_URL: the host is missing")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("RENDEZVOUS_SMTP_URL: expected no path, query or fragment")
        security, default_port = _SCHEMES[parts.scheme]
        return cls(
            host=parts.hostname,
            port=port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def describe(self) -> str:
        """The URL without the password, for the start banner and the logs."""
        scheme = {"none": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


class SMTPTransport:
    """Sends `Outgoing` messages to one SMTP server."""

    def __init__(
        self, settings: SMTPSettings, *, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self.settings = settings
        self._tls_context = tls_context

    def describe(self) -> str:
        return f"sent through {self.settings.describe()}"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[_Session]:
        session = _Session(self.settings, self._tls_context)
        try:
            yield session
        finally:
            await session.close()


class _Session:
    def __init__(self, settings: SMTPSettings, tls_context: ssl.SSLContext | None) -> None:
        self._settings = settings
        self._tls_context = tls_context
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, outgoing: Outgoing) -> None:
        try:
            client = await self._connected()
            await client.send_message(
                outgoing.message, sender=outgoing.sender, recipients=[outgoing.recipient]
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.close()
            codes = [refused.code for refused in exc.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            raise SendFailed(
                f"the recipient was refused: {text}", permanent=all(c >= 500 for c in codes)
            ) from None
        except aiosmtplib.SMTPRecipientRefused as exc:
            await self.close()
            raise SendFailed(
                f"the recipient was refused: {exc.code} {exc.message}", permanent=exc.code >= 500
            ) from None
        except aiosmtplib.SMTPDataError as exc:
            await self.close()
            raise SendFailed(
                f"the message was refused: {exc.code} {exc.message}", permanent=exc.code >= 500
            ) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            await self.close()
            raise SendFailed(f"the SMTP login was refused: {exc.code} {exc.message}") from None
        except aiosmtplib.SMTPSenderRefused as exc:
            await self.close()
            raise SendFailed(f"the sender was refused: {exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            await self.close()
            raise SendFailed(f"SMTP {self._settings.describe()}: {_words(exc)}") from None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            tls_context=self._tls_context,
            timeout=TIMEOUT,
        )
        await client.connect()
        self._client = client
        return client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()


def _words(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["SMTPSettings", "SMTPTransport", "Security"]
