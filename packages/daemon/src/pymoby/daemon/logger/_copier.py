"""The copier: a container's stdout/stderr into its log driver and its attach broadcasters.

One task per stream reads (up to 64 KiB, a pipe's worth) from an async byte
stream such as libcontainerd's ``FifoReader``, hands the raw bytes to the
stream's *tee* (the attach broadcaster, any ``anyio.abc.ByteSendStream``),
splits them into messages (:class:`LineSplitter`: Docker's 16 KiB partial
rule), stamps them with the time of the read and logs them:

- ``mode=blocking`` (Docker's default): the entries of each read go to the
  driver at once, so a slow driver slows the container down.
- ``mode=non-blocking``: entries wait in a buffer of ``max-buffer-size``
  bytes that one task drains into the driver in batches; what does not fit
  is dropped (counted in :attr:`Copier.dropped`), as Docker's ring buffer
  does, so the container never waits for the driver.

A driver error is logged and the copy goes on (Docker does the same).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

import anyio
import anyio.abc

from ._driver import Logger
from ._message import Entry, LineBlock, LogMode
from ._splitter import LineSplitter

__all__ = ["Copier"]

log = logging.getLogger(__name__)

READ_SIZE = 65536
#: Bytes buffered in ``blocking`` mode while the driver writes (only the other stream's reads).
_BLOCKING_QUEUE = 4 << 20


def _size(entries: list[Entry]) -> int:
    return sum(len(e.data) if isinstance(e, LineBlock) else len(e.line) for e in entries)


class Copier:
    """Copies named sources (``"stdout"``, ``"stderr"``) into ``logger`` and ``tees``.

    ``logger`` may be ``None`` (exec processes, ``--log-driver none`` with
    attach only): the copier then only feeds the tees. Run it in the
    container's task group; :meth:`run` returns once every source has ended
    and everything read has been logged. It never closes the sources, the
    tees or the logger: the owner does, in that order, when the process has
    exited.
    """

    def __init__(
        self,
        sources: Mapping[str, anyio.abc.ByteReceiveStream],
        logger: Logger | None,
        *,
        tees: Mapping[str, anyio.abc.ByteSendStream] | None = None,
        mode: LogMode = LogMode.BLOCKING,
        max_buffer_size: int = 1_000_000,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.sources = dict(sources)
        self.logger = logger
        self.tees = dict(tees or {})
        self.mode = mode
        self.max_buffer_size = max_buffer_size
        self.dropped = 0
        self._clock = clock
        self._queue: list[Entry] = []
        self._queued = 0
        self._producers = 0
        self._wake: anyio.Event | None = None
        self._room: anyio.Event | None = None
        self._done: anyio.Event | None = None
        self._finished = False
        self._scope: anyio.CancelScope | None = None

    async def run(self) -> None:
        """Copy until every source ends (or :meth:`stop`), then return once the driver has it all."""
        self._done = self._done or anyio.Event()
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                async with anyio.create_task_group() as tg:
                    self._producers = len(self.sources)
                    if self.logger is not None and (self.mode is LogMode.NON_BLOCKING or len(self.sources) > 1):
                        tg.start_soon(self._drain)
                    for name, source in self.sources.items():
                        tg.start_soon(self._copy, name, source)
        finally:
            self._finished = True
            self._done.set()

    async def wait(self) -> None:
        """Wait until :meth:`run` has returned."""
        if self._finished:
            return
        self._done = self._done or anyio.Event()
        await self._done.wait()

    def stop(self) -> None:
        """Stop copying now (what was read but not logged is lost), as Docker's ``Copier.Close``."""
        if self._scope is not None:
            self._scope.cancel()

    async def _copy(self, name: str, source: anyio.abc.ByteReceiveStream) -> None:
        splitter = LineSplitter(name)
        tee = self.tees.get(name)
        try:
            while True:
                try:
                    data = await source.receive(READ_SIZE)
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    break
                except anyio.BrokenResourceError as exc:
                    log.error("Error scanning log stream: %s", exc)
                    break
                now = self._clock()
                if tee is not None:
                    try:
                        await tee.send(data)
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                        tee = None
                if self.logger is not None:
                    await self._deliver(splitter.feed(data, now))
            if self.logger is not None:
                await self._deliver(splitter.finish(self._clock()))
        finally:
            self._producers -= 1
            self._signal()

    async def _deliver(self, entries: list[Entry]) -> None:
        if not entries:
            return
        assert self.logger is not None
        if self.mode is LogMode.BLOCKING and len(self.sources) == 1:
            await self._log(entries)
            return
        size = _size(entries)
        if self.mode is LogMode.NON_BLOCKING:
            # Docker drops the new message when the ring is full (keeping at least one).
            if self._queue and self._queued + size > self.max_buffer_size:
                kept: list[Entry] = []
                for entry in entries:
                    entry_size = _size([entry])
                    if self._queued + entry_size > self.max_buffer_size and (self._queue or kept):
                        self.dropped += entry.count() if isinstance(entry, LineBlock) else 1
                        continue
                    kept.append(entry)
                    self._queued += entry_size
                self._queue.extend(kept)
                self._signal()
                return
        else:
            while self._queued >= _BLOCKING_QUEUE:
                self._room = self._room or anyio.Event()
                await self._room.wait()
        self._queue.extend(entries)
        self._queued += size
        self._signal()

    def _signal(self) -> None:
        if self._wake is not None:
            self._wake.set()
            self._wake = None

    async def _drain(self) -> None:
        while True:
            if not self._queue:
                if self._producers <= 0:
                    return
                self._wake = anyio.Event()
                await self._wake.wait()
                continue
            batch, self._queue, self._queued = self._queue, [], 0
            if self._room is not None:
                self._room.set()
                self._room = None
            await self._log(batch)

    async def _log(self, entries: list[Entry]) -> None:
        assert self.logger is not None
        try:
            await self.logger.log_batch(entries)
        except Exception as exc:  # a driver failure must not stop the container's output
            log.error("Failed to log messages with %s log driver: %s", self.logger.name(), exc)
