"""Calendars are read in child processes, so that no feed can take the server's time or
memory (SPEC 9: external calendar feeds are untrusted input).

`Parsers` keeps up to `size` children (`python -m server.calendars.isolation`), each
reading one request at a time from its stdin and answering on its stdout (msgpack,
length-prefixed). A child limits its own address space (`MEMORY`); the server kills it
when an answer takes longer than `timeout` seconds (a recurrence rule that never
matches makes `dateutil` search to the year 9999 inside a single step, which no check
between steps can interrupt) and starts another for the next request. The expansion
itself also stops at `Limits.seconds` and at its instance caps, with a clearer message.

Parsing in another process also keeps the event loop's process free: a large feed
never holds the GIL while slots are being searched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import msgspec

from server.calendars.expansion import Expansion, Limits
from server.calendars.problems import CalendarProblem, TooComplex, TooLarge, Unparsable

logger = logging.getLogger("rendezvous.calendars")

#: The address space a child may use (bytes): a 10 MB feed needs a few hundred MB.
MEMORY: Final = 1536 * 1024 * 1024
_HEADER = struct.Struct(">I")
_MAX_FRAME: Final = 64 * 1024 * 1024


class Request(msgspec.Struct, frozen=True):
    sources: list[bytes]
    start: int  # unix seconds
    end: int
    zone: str
    own_host: str | None
    per_series: int
    total: int
    seconds: float


class Answer(msgspec.Struct, frozen=True):
    intervals: list[tuple[int, int]] = []
    events: int = 0
    free_all_day: int = 0
    problem: str | None = None  # a problem code: the request failed
    message: str | None = None


_encode = msgspec.msgpack.Encoder().encode
_request = msgspec.msgpack.Decoder(Request).decode
_answer = msgspec.msgpack.Decoder(Answer).decode


class _Child:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> _Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.calendars.isolation",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=None,
        )
        return cls(process)

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def ask(self, request: Request) -> Answer:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        body = _encode(request)
        stdin.write(_HEADER.pack(len(body)) + body)
        await stdin.drain()
        (size,) = _HEADER.unpack(await stdout.readexactly(_HEADER.size))
        if size > _MAX_FRAME:
            raise TooLarge("the calendar's busy time is too large to keep")
        return _answer(await stdout.readexactly(size))

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        with contextlib.suppress(Exception):
            await self.process.wait()

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=5)
        except TimeoutError:
            await self.kill()


class Parsers:
    """Up to `size` child processes that turn iCalendar data into busy intervals."""

    def __init__(self, size: int = 2, timeout: float = 30.0, limits: Limits = Limits()) -> None:  # noqa: B008
        self.size = max(1, size)
        self.timeout = timeout
        self.limits = limits
        self._idle: list[_Child] = []
        self._slots = asyncio.Semaphore(self.size)
        self._closed = False

    async def busy(
        self,
        sources: Sequence[bytes],
        start: datetime,
        end: datetime,
        zone: str,
        own_host: str | None,
    ) -> Expansion:
        """The busy time of `sources` in `[start, end)`; a `CalendarProblem` when the data
        cannot be read, is too complex, or a child does not answer in time."""
        request = Request(
            sources=list(sources),
            start=int(start.timestamp()),
            end=int(end.timestamp()),
            zone=zone,
            own_host=own_host,
            per_series=self.limits.per_series,
            total=self.limits.total,
            seconds=self.limits.seconds,
        )
        async with self._slots:
            child = await self._child()
            try:
                answer = await asyncio.wait_for(child.ask(request), timeout=self.timeout)
            except TimeoutError:
                await child.kill()
                raise TooComplex(
                    f"reading the calendar took longer than {self.timeout:g} s"
                    " (a repeating event whose rule never matches)"
                ) from None
            except (OSError, asyncio.IncompleteReadError):
                await child.kill()
                raise TooLarge("reading the calendar needed more memory than allowed") from None
            except BaseException:
                await child.kill()
                raise
            self._idle.append(child)
        if answer.problem is not None:
            raise _problem(answer.problem, answer.message or "the calendar cannot be read")
        return Expansion(list(answer.intervals), answer.events, answer.free_all_day)

    async def _child(self) -> _Child:
        while self._idle:
            child = self._idle.pop()
            if child.alive:
                return child
        if self._closed:
            raise RuntimeError("the calendar parsers are closed")
        return await _Child.start()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(child.close() for child in idle))


def _problem(code: str, message: str) -> CalendarProblem:
    if code == TooComplex.problem:
        return TooComplex(message)
    if code == TooLarge.problem:
        return TooLarge(message)
    return Unparsable(message)


# -- the child ----------------------------------------------------------------------------


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    except (ImportError, ValueError, OSError):  # not on this platform: the timeout still holds
        pass


def _answer_to(request: Request) -> Answer:
    from server.calendars.expansion import busy_intervals

    try:
        found = busy_intervals(
            request.sources,
            datetime.fromtimestamp(request.start, UTC),
            datetime.fromtimestamp(request.end, UTC),
            request.zone,
            request.own_host,
            Limits(request.per_series, request.total, request.seconds),
        )
    except CalendarProblem as exc:
        return Answer(problem=exc.problem, message=exc.message)
    except MemoryError:
        return Answer(problem=TooLarge.problem, message="the calendar needs too much memory")
    except RecursionError:
        return Answer(problem=Unparsable.problem, message="the calendar is nested too deeply")
    return Answer(found.intervals, found.events, found.free_all_day)


def main() -> None:
    """Serve requests on stdin until it closes."""
    _limit_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        body = stdin.read(size)
        if len(body) < size:
            return
        try:
            answer = _answer_to(_request(body))
        except MemoryError:
            answer = Answer(problem=TooLarge.problem, message="the calendar needs too much memory")
        except Exception as exc:  # never die on one calendar: say why and go on
            logger.exception("reading a calendar failed")
            answer = Answer(
                problem=Unparsable.problem, message=f"internal error: {type(exc).__name__}"
            )
        data = _encode(answer)
        stdout.write(_HEADER.pack(len(data)) + data)
        stdout.flush()


if __name__ == "__main__":
    main()
