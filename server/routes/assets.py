"""The widget's assets: the loader and the versioned plugin files (SPEC 7). The hosted
page /book that embeds the widget is `server.routes.book`.

Cache rules ("never stale"):

- ``/embed.js`` is ``no-cache`` with a strong ETag, so a revalidation is a 304
  without a body; its body names the current plugin version.
- ``/plugin/{version}/...`` is immutable for the current version. An older or
  unknown version still gets the current files, marked ``no-cache``, so a page
  that holds a stale loader keeps working instead of meeting a 404. A file edited
  since the version was last computed is ``no-cache`` too: a URL is only cached for
  good with the very bytes its version hashed.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

VERSION_PLACEHOLDER = b"__RENDEZVOUS_VERSION__"

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}


def content_type(path: Path) -> str:
    known = _CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class PluginAssets:
    """The plugin's files and their content-hash version.

    The version is the first 12 hex digits of a sha256 over every file's relative
    path and bytes. It is recomputed when a file's size or mtime changes, looked at
    no more than once every ``check_interval`` seconds, so an edited stylesheet is
    served on the next reload without a restart.
    """

    def __init__(
        self,
        plugin_dir: Path,
        embed_path: Path,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plugin_dir = plugin_dir.resolve()
        self.embed_path = embed_path
        self._check_interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._version = ""
        #: Each file's digest (relative path -> `_digest`) as hashed into `_version`.
        self._digests: dict[str, str] = {}
        self._embed_key: tuple[str, int, int] | None = None
        self._embed: tuple[bytes, str] = (b"", '""')

    def _files(self) -> list[Path]:
        if not self.plugin_dir.is_dir():
            return []
        return sorted(
            p for p in self.plugin_dir.rglob("*") if p.is_file() and not _hidden(p, self.plugin_dir)
        )

    def _refresh(self) -> None:
        now = self._clock()
        if self._checked_at is not None and now - self._checked_at < self._check_interval:
            return
        self._checked_at = now
        try:
            files = self._files()
            signature = tuple(
                (p.relative_to(self.plugin_dir).as_posix(), st.st_mtime_ns, st.st_size)
                for p in files
                for st in (p.stat(),)
            )
            if signature == self._signature:
                return
            digest = hashlib.sha256()
            digests = {}
            for p in files:
                name, data = p.relative_to(self.plugin_dir).as_posix(), p.read_bytes()
                digest.update(name.encode())
                digest.update(b"\0")
                digest.update(data)
                digest.update(b"\0")
                digests[name] = _digest(data)
        except OSError:  # a file vanished mid-edit: look again on the next request
            self._checked_at = None
            return
        self._signature = signature
        self._version = digest.hexdigest()[:12]
        self._digests = digests

    @property
    def version(self) -> str:
        with self._lock:
            self._refresh()
            return self._version

    def is_current(self, version: str, path: Path, body_digest: str) -> bool:
        """Whether these bytes of `path` are what `version` hashed: only then may they be
        cached for good. A file edited since the last look (at most `check_interval`
        ago) must not be kept for a year under the old version's URL."""
        name = path.relative_to(self.plugin_dir).as_posix()
        with self._lock:
            self._refresh()
            return version == self._version and self._digests.get(name) == body_digest

    def embed(self) -> tuple[bytes, str]:
        """The loader's body, naming the current version, and its strong ETag."""
        version = self.version
        st = self.embed_path.stat()
        key = (version, st.st_mtime_ns, st.st_size)
        with self._lock:
            if key != self._embed_key:
                body = self.embed_path.read_bytes().replace(VERSION_PLACEHOLDER, version.encode())
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                self._embed_key, self._embed = key, (body, etag)
            return self._embed

    def file(self, relative: str) -> Path | None:
        """The file at ``relative`` inside the plugin directory, or None."""
        if not relative or "\0" in relative or "\\" in relative:
            return None
        candidate = (self.plugin_dir / relative).resolve()
        if not candidate.is_relative_to(self.plugin_dir) or not candidate.is_file():
            return None
        if _hidden(candidate, self.plugin_dir):
            return None
        return candidate


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates or "*" in candidates


def _cached(request: Request, body: bytes, etag: str, headers: dict[str, str]) -> Response:
    headers = {**headers, "ETag": etag, "Access-Control-Allow-Origin": "*"}
    if _etag_matches(request, etag):
        headers.pop("Content-Type", None)
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers)


def asset_routes(plugin_dir: Path, embed_path: Path) -> list[BaseRoute]:
    """``/embed.js`` and ``/plugin/{version}/{path}``.

    Mount with ``Mount("", routes=asset_routes(...))`` or add to the app's routes.
    """
    assets = PluginAssets(plugin_dir, embed_path)

    async def embed(request: Request) -> Response:
        body, etag = assets.embed()
        return _cached(
            request,
            body,
            etag,
            {"Content-Type": _CONTENT_TYPES[".js"], "Cache-Control": NO_CACHE},
        )

    async def plugin_file(request: Request) -> Response:
        path = assets.file(request.path_params["path"])
        if path is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        body = path.read_bytes()
        tag = _digest(body)
        current = assets.is_current(request.path_params["version"], path, tag)
        return _cached(
            request,
            body,
            f'"{tag}"',
            {
                "Content-Type": content_type(path),
                "Cache-Control": IMMUTABLE if current else NO_CACHE,
                "X-Content-Type-Options": "nosniff",
            },
        )

    return [
        Route("/embed.js", embed, methods=["GET", "HEAD"]),
        Route("/plugin/{version}/{path:path}", plugin_file, methods=["GET", "HEAD"]),
    ]
