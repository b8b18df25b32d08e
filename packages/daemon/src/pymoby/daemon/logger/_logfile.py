"""A rotating log file: the write side of json-file and local (Docker's ``loggerutils.LogFile``).

Writes append whole entries; when the file has reached ``max_size`` the next
write first rotates: ``NAME.(n-1)`` is dropped, ``NAME.i`` becomes
``NAME.(i+1)``, ``NAME`` becomes ``NAME.1`` and a new ``NAME`` is started
(with ``max_files`` 1 the old file is simply unlinked). With ``compress`` the
new ``NAME.1`` is gzipped in a background thread; the next rotation waits for
it, as Docker's does.

Writes go straight to the page cache from the event loop: a ``write(2)`` of a
batch costs ~2 µs here where a hop to a worker thread costs ~100 µs, and the
copier hands over whole reads (at most a pipe's 64 KiB, batched by the
driver), so the loop is never held for long. Compression and reading back run
in worker threads.

Every write, rotation and close moves :attr:`position` on and wakes
followers; renames happen only on the event loop, so a reader that captures
the position and opens files without awaiting in between always sees a
consistent set.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import BinaryIO

import anyio

from pymoby import errdefs

from ._codec import LogCodec
from ._gzip import compress_file
from ._message import Message, ReadConfig
from ._reader import read_log_file

__all__ = ["LogFile", "LogFileClosed", "LogWriteError"]

log = logging.getLogger(__name__)


class LogFileClosed(errdefs.System):
    """A write came after the log file was closed."""


class LogWriteError(errdefs.System):
    """The log file could not be written or rotated."""


class LogFile:
    """An append-only, rotating log file of ``codec`` entries.

    ``max_size`` is the size at which to rotate (``None``: never),
    ``max_files`` the number of files kept including the current one,
    ``compress`` whether rotated files are gzipped. Opening creates the file
    (mode ``perms``) if needed and appends to what it holds. Raises
    ``OSError`` when the file cannot be opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        codec: LogCodec,
        *,
        max_size: int | None = None,
        max_files: int = 1,
        compress: bool = False,
        perms: int = 0o640,
    ) -> None:
        self.path = os.fspath(path)
        self.codec = codec
        self.max_size = max_size
        self.max_files = max_files
        self.compress = compress and max_files > 1
        self._perms = perms
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, perms)
        self._size = os.fstat(self._fd).st_size
        self._rotation = 0
        self._closed = False
        self._last_timestamp = 0
        self._lock: anyio.Lock | None = None
        self._changed: anyio.Event | None = None
        self._compressor: threading.Thread | None = None

    # -- state the readers use -------------------------------------------------
    @property
    def position(self) -> tuple[int, int]:
        """``(size of the current file, rotation count)`` as of the last completed write."""
        return self._size, self._rotation

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called: no more writes will come."""
        return self._closed

    async def wait_change(self, position: tuple[int, int], deadline_ns: int | None = None) -> bool:
        """Wait until :attr:`position` differs from ``position``.

        Returns ``False`` instead when the file is closed with nothing new
        (the follower has drained it), or when the wall clock passes
        ``deadline_ns``.
        """
        while self.position == position:
            if self._closed:
                return False
            if self._changed is None:
                self._changed = anyio.Event()
            event = self._changed
            if deadline_ns is None:
                await event.wait()
                continue
            with anyio.move_on_after(max(deadline_ns - _now_ns(), 0) / 1e9):
                await event.wait()
            if self.position == position and _now_ns() >= deadline_ns:
                return False
        return True

    def open_current(self) -> tuple[BinaryIO, tuple[int, int]]:
        """Open the current file for reading, with the position it corresponds to (no await between)."""
        return open(self.path, "rb"), self.position

    def open_rotated(self, index: int) -> tuple[BinaryIO, bool] | None:
        """Open ``NAME.index`` (or, compressed, ``NAME.index.gz``): ``(file, compressed)``; ``None`` if gone.

        The plain name is tried first: compression removes it only once the
        ``.gz`` is complete.
        """
        if index < 1 or index >= self.max_files:
            return None
        for suffix, compressed in ((f".{index}", False), (f".{index}.gz", True)):
            try:
                return open(self.path + suffix, "rb"), compressed
            except FileNotFoundError:
                continue
        return None

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    # -- writing ---------------------------------------------------------------
    async def write(self, blob: bytes, last_timestamp: int) -> None:
        """Append the whole entries ``blob``, rotating first (or in between) at ``max_size``.

        Raises :class:`LogFileClosed` after :meth:`close` and
        :class:`LogWriteError` when the file system fails.
        """
        if not blob:
            return
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._closed:
                raise LogFileClosed("cannot write because the output file was closed")
            while blob:
                if self.max_size is not None and self._size >= self.max_size:
                    await self._rotate()
                if self.max_size is not None and len(blob) > self.max_size - self._size:
                    split = self.codec.cut(blob, self.max_size - self._size)
                    piece, blob = blob[:split], blob[split:]
                else:
                    piece, blob = blob, b""
                self._last_timestamp = last_timestamp
                self._append(piece)

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        written = 0
        try:
            while written < len(view):
                written += os.write(self._fd, view[written:])
        except OSError as exc:
            raise LogWriteError(f"error writing log entry: {exc}") from exc
        finally:
            # What reached the file counts, even after an error: readers read up to here.
            self._size += written
            self._notify()

    async def _rotate(self) -> None:
        if self._compressor is not None:
            await anyio.to_thread.run_sync(self._compressor.join)
            self._compressor = None
        try:
            os.close(self._fd)
            self._shift_files()
            flags = os.O_WRONLY | os.O_TRUNC | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, self._perms)
        except OSError as exc:
            self._closed = True
            self._notify()
            raise LogWriteError(f"error rotating log file: {exc}") from exc
        self._size = 0
        self._rotation += 1
        self._notify()
        if self.compress:
            thread = threading.Thread(
                target=compress_file,
                args=(self.path + ".1", self._last_timestamp, self._perms),
                name="pymoby-log-compress",
                daemon=True,
            )
            thread.start()
            self._compressor = thread

    def _shift_files(self) -> None:
        if self.max_files < 2:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            return
        ext = ".gz" if self.compress else ""
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}.{self.max_files - 1}{ext}")
            for i in range(self.max_files - 1, 1, -1):
                with contextlib.suppress(FileNotFoundError):
                    os.rename(f"{self.path}.{i - 1}{ext}", f"{self.path}.{i}{ext}")
        except OSError as exc:
            # Docker goes on writing into a truncated file rather than stop logging.
            log.warning("Error rotating log file, log data may have been lost: %s", exc)
            return
        with contextlib.suppress(FileNotFoundError):
            os.rename(self.path, self.path + ".1")

    async def close(self) -> None:
        """Stop writing: followers drain what is on disk and end. Waits for a compression in progress."""
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if not self._closed:
                self._closed = True
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._notify()
        if self._compressor is not None:
            await anyio.to_thread.run_sync(self._compressor.join)
            self._compressor = None

    # -- reading ---------------------------------------------------------------
    def read(self, config: ReadConfig) -> AbstractAsyncContextManager[AsyncIterator[list[Message]]]:
        """Read back per ``config``: ``async with log_file.read(cfg) as batches: async for batch in batches``.

        See :func:`._reader.read_log_file`.
        """
        return read_log_file(self, config)

    @property
    def directory(self) -> Path:
        """Where the files live (temporary decompressed copies go there too)."""
        return Path(self.path).parent


_now_ns = time.time_ns
