"""A real Server on a unix socket in tmp_path, driven over raw sockets and pymoby-client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio
import pytest

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
