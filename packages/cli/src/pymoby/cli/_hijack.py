"""Copying between the local terminal and a hijacked connection (attach, exec, run).

As Docker's ``hijackedIOStreamer``: the output is copied raw with a TTY and
demultiplexed (stdcopy frames to stdout and stderr) without; stdin is
copied until its end, then the connection's writing side is closed. The
copy ends when the output ends; when stdin ends and no output is attached;
or when the detach keys are typed (stdin raw, TTY only), which
:func:`stream` reports by returning ``True``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Awaitable, Callable
from typing import IO

import anyio
import anyio.abc

from pymoby import api
from pymoby.client import HijackedConnection

from ._errors import CLIError
from ._terminal import DEFAULT_DETACH_KEYS, EscapeProxy, parse_detach_keys, raw_terminal

__all__ = ["StdinReader", "feed_frames", "stream"]

Write = Callable[[bytes], None]


class StdinReader:
    """Reads our stdin without blocking the event loop.

    A terminal or pipe is read when the loop says it is readable; a regular
    file (or a test's in-memory stream) in a worker thread, where a read never
    waits on a person.
    """

    def __init__(self, binary: IO[bytes]) -> None:
        self.binary = binary
        try:
            self.fd: int | None = binary.fileno()
        except (OSError, ValueError, AttributeError):
            self.fd = None

    async def read(self, size: int = 32768) -> bytes:
        """Some bytes; ``b""`` at the end of input."""
        if self.fd is None:
            return await anyio.to_thread.run_sync(self.binary.read, size)
        fd = self.fd
        if not (os.isatty(fd) or _is_pipe_or_socket(fd)):
            return await anyio.to_thread.run_sync(os.read, fd, size)
        blocking = os.get_blocking(fd)
        os.set_blocking(fd, False)
        try:
            while True:
                await anyio.wait_readable(fd)
                try:
                    return os.read(fd, size)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    if exc.errno == errno.EIO:  # the terminal went away
                        return b""
                    raise
        finally:
            os.set_blocking(fd, blocking)


async def _call(function: Callable[[], Awaitable[None]]) -> None:
    await function()


def _is_pipe_or_socket(fd: int) -> bool:
    import stat

    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


def feed_frames(decoder: api.FrameDecoder, data: bytes) -> list[tuple[api.StdStream, bytes]]:
    """The complete frames after ``data``; a bad header fails as Docker's stdcopy says it."""
    try:
        return decoder.feed(data)
    except api.FrameError as exc:
        # A byte that is no stream number is an "input header" Docker cannot read.
        raise CLIError(f"Unrecognized input header: {str(exc).rsplit(' ', 1)[-1]}") from exc


async def _copy_output(conn: HijackedConnection, tty: bool, out: Write | None, err: Write | None) -> None:
    decoder = api.FrameDecoder()
    while True:
        try:
            data = await conn.receive(65536)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            break
        if tty:
            if out is not None:
                out(data)
            continue
        for kind, payload in feed_frames(decoder, data):
            if kind == api.StdStream.STDERR or kind == api.StdStream.SYSTEMERR:
                if err is not None:
                    err(payload)
            elif out is not None:
                out(payload)


async def _copy_input(conn: HijackedConnection, reader: StdinReader, proxy: EscapeProxy | None) -> bool:
    """Copy stdin; ``True`` when the detach keys were typed."""
    while True:
        data = await reader.read()
        if not data:
            break
        detached = False
        if proxy is not None:
            data, detached = proxy.feed(data)
        if data:
            try:
                await conn.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return False
        if detached:
            return True
    try:
        await conn.send_eof()
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass
    return False


async def stream(
    conn: HijackedConnection,
    *,
    tty: bool,
    stdin: StdinReader | None,
    out: Write | None,
    err: Write | None,
    detach_keys: str = "",
    resize: Callable[[], Awaitable[None]] | None = None,
) -> bool:
    """Copy both ways until done; ``True`` when the user detached."""
    proxy: EscapeProxy | None = None
    raw_fd: int | None = None
    if stdin is not None and tty:
        keys = DEFAULT_DETACH_KEYS
        if detach_keys:
            keys = parse_detach_keys(detach_keys)
        proxy = EscapeProxy(keys)
        raw_fd = stdin.fd
    detached = False
    with raw_terminal(raw_fd):
        async with anyio.create_task_group() as tg:

            async def output() -> None:
                await _copy_output(conn, tty, out, err)
                tg.cancel_scope.cancel()

            async def input_() -> None:
                nonlocal detached
                assert stdin is not None
                detached = await _copy_input(conn, stdin, proxy)
                if detached or (out is None and err is None):
                    tg.cancel_scope.cancel()

            if out is not None or err is not None:
                tg.start_soon(output)
            if stdin is not None:
                tg.start_soon(input_)
            elif out is None and err is None:
                tg.cancel_scope.cancel()
            if resize is not None:
                tg.start_soon(_call, resize)
    with anyio.CancelScope(shield=True):
        await conn.aclose()
    return detached
