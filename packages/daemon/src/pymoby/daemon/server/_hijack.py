"""The raw byte stream of a hijacked connection (attach, exec start).

After the ``101 UPGRADED`` (or the older ``200 OK``) line the connection
carries raw bytes both ways. :class:`HijackedStream` is an
``anyio.abc.ByteStream`` over it: ``receive`` raises ``anyio.EndOfStream``
when the client half-closes (``docker`` does after stdin ends), ``send``
waits when the client reads slower than we write, ``send_eof`` half-closes
our side where the transport can (not over TLS).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

if TYPE_CHECKING:
    from ._connection import HTTPConnection

__all__ = ["HijackedStream"]

_HIGH_WATER = 1 << 20
_LOW_WATER = 1 << 18


class HijackedStream(anyio.abc.ByteStream):
    """Bidirectional raw stream of a hijacked HTTP connection."""

    def __init__(self, connection: HTTPConnection, initial: bytes = b"") -> None:
        self._conn = connection
        self._buffer = bytearray(initial)
        self._eof = False
        self._lost = False
        self._closed = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    # -- fed by the connection -------------------------------------------------
    def _feed(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > _HIGH_WATER and not self._paused:
            self._paused = True
            self._conn.pause_body()
        self._wake()

    def _feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def _connection_lost(self) -> None:
        self._eof = True
        self._lost = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- anyio ByteStream ------------------------------------------------------
    async def receive(self, max_bytes: int = 65536) -> bytes:
        """Up to ``max_bytes`` from the client; ``anyio.EndOfStream`` once it has closed its side."""
        while not self._buffer:
            if self._closed:
                raise anyio.ClosedResourceError
            if self._eof:
                raise anyio.EndOfStream
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = bytes(self._buffer[:max_bytes])
        del self._buffer[:max_bytes]
        if self._paused and len(self._buffer) < _LOW_WATER:
            self._paused = False
            self._conn.resume_body()
        return data

    async def send(self, item: bytes) -> None:
        """Write ``item`` to the client, waiting while its socket buffer is full."""
        if self._closed:
            raise anyio.ClosedResourceError
        if self._lost:
            raise anyio.BrokenResourceError
        await self._conn.write(item)

    async def send_eof(self) -> None:
        """Half-close our side (no-op where the transport cannot, e.g. TLS)."""
        transport = self._conn.transport
        if transport is not None and transport.can_write_eof() and not transport.is_closing():
            transport.write_eof()

    async def aclose(self) -> None:
        """Close the connection."""
        self._closed = True
        self._wake()
        self._conn.close()

    @property
    def extra_attributes(self) -> Any:
        return {}
