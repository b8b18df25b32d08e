"""Reading a rotating log file back: tail, since/until, follow (Docker's ``loggerutils`` read side).

- **tail**: the last N messages across the rotated files (oldest first) and
  the current one, newest file first until N are found; compressed files are
  decompressed into a temporary file first (as Docker does), or skipped
  whole when their header says their last entry is older than ``since``.
- **since/until**: messages before ``since`` are skipped until the first one
  at or after it (later ones pass even if their clocks went back, as in
  Docker); the first message after ``until`` ends the read, follow included.
- **follow**: from the position captured when the read began, read what each
  write adds. On a rotation the file being read is drained to its end (our
  descriptor outlives the rename), then the files of any rotations missed
  in between are read from their rotated names, then the new current file:
  nothing lost or read twice while the files exist. Following ends when the
  log file is closed and drained, or when ``until`` passes.

Results come in batches (``list[Message]``) to keep the per-message cost down.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, BinaryIO

import anyio

from ._codec import DecodeError, LogCodec
from ._gzip import decompress_to_tempfile, gzip_last_time
from ._message import Message, ReadConfig

if TYPE_CHECKING:
    from ._logfile import LogFile

__all__ = ["read_log_file"]

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
#: Reads (and tail scans) up to this size run on the event loop; bigger ones in a worker thread.
_INLINE = 64 << 10


class _Window:
    """Docker's forwarder: ``since`` until the first match, ``until`` ends everything."""

    __slots__ = ("since", "stopped", "until")

    def __init__(self, since: int | None, until: int | None) -> None:
        self.since = since
        self.until = until
        self.stopped = False

    def apply(self, batch: list[Message]) -> list[Message]:
        if self.since is not None:
            for i, message in enumerate(batch):
                if message.timestamp >= self.since:
                    batch = batch[i:]
                    self.since = None
                    break
            else:
                return []
        if self.until is not None:
            for i, message in enumerate(batch):
                if message.timestamp > self.until:
                    self.stopped = True
                    return batch[:i]
        return batch


def _read_decode(fd: int, offset: int, length: int, carry: bytes, codec: LogCodec) -> tuple[list[Message], bytes, int]:
    data = os.pread(fd, length, offset)
    buffer = carry + data if carry else data
    whole = codec.complete(buffer)
    return (codec.decode(buffer[:whole]) if whole else []), buffer[whole:], len(data)


class _Region:
    """An async iterator over the messages of ``file[start:end]``, skipping the first ``skip``."""

    def __init__(self, file: BinaryIO, start: int, end: int, skip: int, codec: LogCodec) -> None:
        self._fd = file.fileno()
        self._name = getattr(file, "name", "?")
        self._offset = start
        self._end = end
        self._skip = skip
        self._codec = codec
        self._carry = b""

    def __aiter__(self) -> _Region:
        return self

    async def __anext__(self) -> list[Message]:
        while self._offset < self._end:
            length = min(_BLOCK, self._end - self._offset)
            try:
                if length > _INLINE:
                    batch, self._carry, got = await anyio.to_thread.run_sync(
                        _read_decode, self._fd, self._offset, length, self._carry, self._codec
                    )
                else:
                    batch, self._carry, got = _read_decode(self._fd, self._offset, length, self._carry, self._codec)
            except DecodeError as exc:
                # Docker warns and goes on with the next file rather than end the stream.
                log.warning("Error decoding log file %s: %s", self._name, exc)
                batch, got = exc.messages, self._end - self._offset
            except OSError as exc:
                log.warning("Error reading log file %s: %s", self._name, exc)
                break
            if got == 0:
                break
            self._offset += got
            if self._skip:
                dropped = min(self._skip, len(batch))
                batch = batch[dropped:]
                self._skip -= dropped
            if batch:
                return batch
        raise StopAsyncIteration


def _tail(file: BinaryIO, size: int, count: int, codec: LogCodec) -> tuple[int, int, int]:
    fd = file.fileno()
    return codec.tail(lambda offset, length: os.pread(fd, length, offset), size, count)


class _Reader:
    """One read of a :class:`LogFile`; owns the files it opened."""

    def __init__(self, log_file: LogFile, config: ReadConfig) -> None:
        self.log_file = log_file
        self.config = config
        self.codec = log_file.codec
        self.window = _Window(config.since, config.until)
        self.files: list[BinaryIO] = []
        # Captured together, with no await in between: the files match the position.
        self.current, self.position = log_file.open_current()
        self.files.append(self.current)
        self.rotated: list[tuple[BinaryIO, bool]] = []
        if config.tail != 0:
            for index in range(log_file.max_files - 1, 0, -1):
                opened = log_file.open_rotated(index)
                if opened is not None:
                    self.rotated.append(opened)
                    self.files.append(opened[0])

    def release(self, file: BinaryIO) -> None:
        """Close one file this read opened."""
        if file in self.files:
            self.files.remove(file)
        with contextlib.suppress(OSError):
            file.close()

    def close(self) -> None:
        for file in self.files:
            with contextlib.suppress(OSError):
                file.close()
        self.files.clear()

    async def _plain(self, file: BinaryIO, compressed: bool) -> tuple[BinaryIO, int] | None:
        """``file`` readable at offsets (decompressed if need be) and its size; ``None`` to skip it."""
        if compressed:
            since = self.window.since
            last = await anyio.to_thread.run_sync(gzip_last_time, file)
            if since is not None and last is not None and last < since:
                return None
            try:
                file = await anyio.to_thread.run_sync(decompress_to_tempfile, file, str(self.log_file.directory))
            except OSError as exc:
                log.warning("Error reading compressed log file %s: %s", getattr(file, "name", "?"), exc)
                return None
            self.files.append(file)
        return file, os.fstat(file.fileno()).st_size

    async def _plan(self) -> list[tuple[BinaryIO, int, int, int]]:
        """The regions to read before following: ``(file, start, end, skip)``, oldest first."""
        sources: list[tuple[BinaryIO, bool, int | None]] = [(f, gz, None) for f, gz in self.rotated]
        sources.append((self.current, False, self.position[0]))
        tail = self.config.tail
        plan: list[tuple[BinaryIO, int, int, int]] = []
        if tail < 0:
            for file, compressed, limit in sources:
                plain = await self._plain(file, compressed)
                if plain is not None:
                    plan.append((plain[0], 0, plain[1] if limit is None else limit, 0))
            return plan
        remaining = tail
        for file, compressed, limit in reversed(sources):
            if remaining <= 0:
                break
            plain = await self._plain(file, compressed)
            if plain is None:
                continue
            size = plain[1] if limit is None else limit
            if size > _INLINE:
                start, skip, found = await anyio.to_thread.run_sync(_tail, plain[0], size, remaining, self.codec)
            else:
                start, skip, found = _tail(plain[0], size, remaining, self.codec)
            plan.insert(0, (plain[0], start, size, skip))
            remaining -= found
        return plan

    async def messages(self) -> AsyncIterator[list[Message]]:
        window = self.window
        if self.config.tail != 0:
            for file, start, end, skip in await self._plan():
                async for batch in _Region(file, start, end, skip, self.codec):
                    batch = window.apply(batch)
                    if batch:
                        yield batch
                    if window.stopped:
                        return
        if not self.config.follow:
            return
        log_file = self.log_file
        file = self.current
        read_size, read_rotation = self.position
        while await log_file.wait_change((read_size, read_rotation), self.config.until):
            size, rotation = log_file.position
            regions: list[tuple[BinaryIO, int, int]] = []
            if rotation != read_rotation:
                # Drain the file we hold (complete since it was rotated), then what came after it.
                regions.append((file, read_size, os.fstat(file.fileno()).st_size))
                file, (size, rotation) = log_file.open_current()
                self.files.append(file)
                # Open every file first, with no await: the rotated names shift at the next rotation.
                between = [log_file.open_rotated(rotation - passed) for passed in range(read_rotation + 1, rotation)]
                missed = between.count(None)
                for opened in between:
                    if opened is None:
                        continue
                    self.files.append(opened[0])
                for opened in between:
                    if opened is None:
                        continue
                    plain = await self._plain(*opened)
                    if plain is not None:
                        regions.append((plain[0], 0, plain[1]))
                    if plain is None or plain[0] is not opened[0]:
                        self.release(opened[0])
                if missed:
                    log.warning(
                        "%d file rotations were missed while following logs; some log messages have been skipped over",
                        missed,
                    )
                read_size = 0
            regions.append((file, read_size, size))
            read_size, read_rotation = size, rotation
            for region_file, start, end in regions:
                async for batch in _Region(region_file, start, end, 0, self.codec):
                    batch = window.apply(batch)
                    if batch:
                        yield batch
                    if window.stopped:
                        return
                if region_file is not file:
                    self.release(region_file)


@asynccontextmanager
async def read_log_file(log_file: LogFile, config: ReadConfig) -> AsyncIterator[AsyncIterator[list[Message]]]:
    """Read ``log_file`` back per ``config``; yields an async iterator of message batches.

    The files are opened (and the follow position captured) on entry;
    leaving the context closes them. Raises ``OSError`` when the current
    file cannot be opened.
    """
    reader = _Reader(log_file, config)
    iterator = reader.messages()
    try:
        yield iterator
    finally:
        try:
            await iterator.aclose()  # type: ignore[attr-defined]
        finally:
            reader.close()
