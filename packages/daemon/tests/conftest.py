"""Shared fixtures of the daemon's unit tests.

A real Server on a unix socket in tmp_path, driven over raw sockets and
pymoby-client; and in-memory byte pipes standing in for a container's FIFOs
and client connections (logger and stream tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pymoby.daemon.server import (
    ExperimentalMiddleware,
    Middleware,
    Router,
    Server,
    ServerConfig,
    VersionMiddleware,
    load_listeners,
    parse_host,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Serve = Callable[..., AbstractAsyncContextManager[Path]]


@pytest.fixture
def serve(tmp_path: Path) -> Serve:
    """``async with serve(routers, config=..., middlewares=...) as socket_path:``"""

    @asynccontextmanager
    async def run(
        routers: Sequence[Router],
        config: ServerConfig | None = None,
        middlewares: Sequence[Middleware] | None = None,
    ) -> AsyncIterator[Path]:
        path = tmp_path / "api.sock"
        if middlewares is None:
            middlewares = [ExperimentalMiddleware(False), VersionMiddleware("0.1.0")]
        server = Server(config or ServerConfig(), routers, middlewares)
        listeners = load_listeners([parse_host(f"unix://{path}", "")])
        async with anyio.create_task_group() as tg:
            await tg.start(server.serve, listeners)
            yield path
            tg.cancel_scope.cancel()

    return run


@pytest.fixture
def raw() -> Callable[..., Awaitable[bytes]]:
    """``await raw(socket_path, request_bytes, until=b"...")``: the server's raw answer."""
    return raw_exchange


async def raw_exchange(path: Path, data: bytes, *, until: bytes | None = None, limit: float = 5) -> bytes:
    """Send ``data`` and read until ``until`` appears or the server closes."""
    received = b""
    with anyio.fail_after(limit):
        async with await anyio.connect_unix(path) as stream:
            await stream.send(data)
            while until is None or until not in received:
                try:
                    received += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
    return received


class BytePipe(anyio.abc.ByteStream):
    """One direction of an in-memory byte stream (what a FIFO looks like to the daemon)."""

    def __init__(self, size: int = 1024) -> None:
        self._send: MemoryObjectSendStream[bytes]
        self._receive: MemoryObjectReceiveStream[bytes]
        self._send, self._receive = anyio.create_memory_object_stream[bytes](size)
        self.pending = b""

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if not self.pending:
            self.pending = await self._receive.receive()
        data, self.pending = self.pending[:max_bytes], self.pending[max_bytes:]
        return data

    async def send(self, item: bytes) -> None:
        await self._send.send(item)

    async def send_eof(self) -> None:
        self._send.close()

    async def aclose(self) -> None:
        # Like closing a FIFO's writing end: the reader drains, then reads end of file.
        self._send.close()

    def close_now(self) -> None:
        self._send.close()
        self._receive.close()

    @property
    def extra_attributes(self) -> Any:
        return {}


@pytest.fixture
def pipe() -> Iterator[Callable[..., BytePipe]]:
    """``pipe()``: a fresh in-memory byte pipe; ``send_eof()`` ends it. All are closed after the test."""
    made: list[BytePipe] = []

    def make(size: int = 1024) -> BytePipe:
        made.append(BytePipe(size))
        return made[-1]

    yield make
    for item in made:
        item.close_now()
