"""FIFO sets for a process's stdio, as containerd's ``cio`` makes them.

The daemon creates the FIFOs, opens its ends, and hands the paths to
:meth:`Client.create_task` or :meth:`Client.exec`; the shim opens the other
ends. Our ends are non-blocking and read or written through anyio:

- stdout/stderr are opened read-only. A FIFO that no writer has opened yet
  reads as end-of-file, so a reader waits for readiness (which the kernel
  only signals once a writer came, wrote or left) before every read.
- stdin is opened read-write, so that writing never fails for want of a
  reader before the shim opens it. The shim holds a writer of its own, so
  the process reads end of file only after :meth:`Client.close_stdin` too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import anyio
import anyio.abc

from ._types import StdioPaths

__all__ = ["FifoReader", "FifoSet", "FifoWriter"]

_CHUNK = 65536


class FifoReader(anyio.abc.ByteReceiveStream):
    """The daemon's reading end of a process's stdout or stderr FIFO."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)

    async def receive(self, max_bytes: int = _CHUNK) -> bytes:
        """Read what the process wrote; raise ``anyio.EndOfStream`` once its writers closed."""
        while True:
            fd = self._fd
            if fd is None:
                raise anyio.ClosedResourceError
            await anyio.wait_readable(fd)
            if self._fd is None:
                raise anyio.ClosedResourceError
            try:
                data = os.read(fd, max_bytes)
            except BlockingIOError:
                continue
            if not data:
                raise anyio.EndOfStream
            return data

    async def aclose(self) -> None:
        """Close our end (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            anyio.notify_closing(fd)
            os.close(fd)


class FifoWriter(anyio.abc.ByteSendStream):
    """The daemon's writing end of a process's stdin FIFO."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)

    async def send(self, item: bytes) -> None:
        """Write all of ``item`` (waiting while the FIFO is full)."""
        view = memoryview(item)
        while view:
            fd = self._fd
            if fd is None:
                raise anyio.ClosedResourceError
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                await anyio.wait_writable(fd)
                continue
            except BrokenPipeError as exc:
                raise anyio.BrokenResourceError from exc
            view = view[written:]

    async def aclose(self) -> None:
        """Close our end (idempotent); the shim's own end goes with :meth:`Client.close_stdin`."""
        fd, self._fd = self._fd, None
        if fd is not None:
            anyio.notify_closing(fd)
            os.close(fd)


class FifoSet:
    """The stdin/stdout/stderr FIFOs of one process, with the daemon's ends open.

    Create with :meth:`create`; pass :attr:`paths` to ``create_task`` or
    ``exec``; read :attr:`stdout`/:attr:`stderr` and write :attr:`stdin`;
    :meth:`aclose` (or ``async with``) closes every end and removes the files.
    """

    def __init__(self, directory: Path, paths: StdioPaths, owns_directory: bool) -> None:
        self.directory = directory
        self.paths = paths
        self._owns_directory = owns_directory
        self.stdin: FifoWriter | None = None
        self.stdout: FifoReader | None = None
        self.stderr: FifoReader | None = None

    @classmethod
    def create(cls, directory: Path | None, process_id: str, *, stdin: bool = False, terminal: bool = False) -> FifoSet:
        """Make the FIFOs ``<process_id>-stdin``/``-stdout``/``-stderr`` in ``directory`` and open our ends.

        ``directory`` (created if missing) defaults to a fresh temporary one
        that :meth:`aclose` removes. With ``terminal`` there is no stderr (a
        pty merges it into stdout). Raises ``OSError`` when the FIFOs cannot
        be made.
        """
        owns = directory is None
        base = Path(tempfile.mkdtemp(prefix="pymoby-fifo-")) if directory is None else directory
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        names = {"stdout": base / f"{process_id}-stdout"}
        if stdin:
            names["stdin"] = base / f"{process_id}-stdin"
        if not terminal:
            names["stderr"] = base / f"{process_id}-stderr"
        fifos = cls(
            base,
            StdioPaths(
                stdin=str(names.get("stdin", "")),
                stdout=str(names["stdout"]),
                stderr=str(names.get("stderr", "")),
                terminal=terminal,
            ),
            owns,
        )
        try:
            for path in names.values():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                os.mkfifo(path, 0o700)
            fifos.stdout = FifoReader(names["stdout"])
            if "stderr" in names:
                fifos.stderr = FifoReader(names["stderr"])
            if "stdin" in names:
                fifos.stdin = FifoWriter(names["stdin"])
        except OSError:
            fifos._close_now()
            raise
        return fifos

    def _close_now(self) -> None:
        for end in (self.stdin, self.stdout, self.stderr):
            fd = getattr(end, "_fd", None)
            if end is not None and fd is not None:
                end._fd = None
                os.close(fd)
        for path in (self.paths.stdin, self.paths.stdout, self.paths.stderr):
            if path:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                self.directory.rmdir()

    async def close_stdin(self) -> None:
        """Close only our stdin end; follow with :meth:`Client.close_stdin` for the process to see EOF."""
        if self.stdin is not None:
            await self.stdin.aclose()

    async def aclose(self) -> None:
        """Close every end and remove the FIFOs (and the directory when it is empty or ours)."""
        for end in (self.stdin, self.stdout, self.stderr):
            if end is not None:
                await end.aclose()
        self._close_now()

    async def __aenter__(self) -> FifoSet:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
