"""The synchronous facade: the same client, driven through an anyio blocking portal.

The portal runs an event loop in a thread of its own for the client's
lifetime; each call hands one coroutine to it and waits for the result.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

from pymoby import api

from ._client import AsyncClient, FiltersArg, Ping, Query
from ._sync_containers import SyncContainerMethods
from ._transport import HijackedConnection, TLSConfig

__all__ = ["Client", "SyncHijackedConnection"]


class SyncHijackedConnection:
    """A hijacked stream used synchronously: ``recv``, ``send``, ``send_eof``, ``close``."""

    def __init__(self, portal: BlockingPortal, stream: HijackedConnection) -> None:
        self._portal = portal
        self._stream = stream

    def recv(self, max_bytes: int = 65536) -> bytes:
        """Bytes from the daemon; ``b""`` at the end of the stream."""
        try:
            return self._portal.call(self._stream.receive, max_bytes)
        except anyio.EndOfStream:
            return b""

    def send(self, data: bytes) -> None:
        """Bytes to the daemon."""
        self._portal.call(self._stream.send, data)

    def send_eof(self) -> None:
        """Close our writing side."""
        self._portal.call(self._stream.send_eof)

    def close(self) -> None:
        """Close the connection."""
        self._portal.call(self._stream.aclose)


class Client(SyncContainerMethods):
    """The Engine API client for synchronous code; see :class:`AsyncClient` for the arguments.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        host: str | None = None,
        *,
        tls: TLSConfig | None = None,
        version: str | None = None,
        timeout: float | None = 60.0,
    ) -> None:
        self._portal_cm = start_blocking_portal("asyncio")
        self._portal = self._portal_cm.__enter__()

        async def make() -> AsyncClient:
            return AsyncClient(host, tls=tls, version=version, timeout=timeout)

        self._client = self._portal.call(make)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close connections and stop the portal's thread."""
        if self._portal_cm is not None:
            try:
                self._portal.call(self._client.aclose)
            finally:
                self._portal_cm.__exit__(None, None, None)
                self._portal_cm = None  # type: ignore[assignment]

    def _iterate(self, agen: AsyncIterator[Any]) -> Iterator[Any]:
        try:
            while True:
                try:
                    yield self._portal.call(agen.__anext__)
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                self._portal.call(aclose)

    def api_version(self) -> str:
        """The API version in use (negotiated on first use)."""
        return self._portal.call(self._client.api_version)

    def request(self, method: str, path: str, *, query: Query | None = None, body: object = None) -> bytes:
        """Send a request; its body (errdefs kind raised on >= 400)."""

        async def call() -> bytes:
            return (await self._client.request(method, path, query=query, body=body))[1]

        return self._portal.call(call)

    def stream(self, method: str, path: str, *, query: Query | None = None, body: object = None) -> Iterator[bytes]:
        """The chunks of a streamed answer."""
        return self._iterate(self._client.stream(method, path, query=query, body=body))

    def hijack(
        self, method: str, path: str, *, query: Query | None = None, body: object = None
    ) -> SyncHijackedConnection:
        """An upgrade request's raw stream (attach, exec start)."""

        async def call() -> HijackedConnection:
            return await self._client.hijack(method, path, query=query, body=body)

        return SyncHijackedConnection(self._portal, self._portal.call(call))

    def ping(self) -> Ping:
        """``GET /_ping``."""
        return self._portal.call(self._client.ping)

    def version(self) -> api.SystemVersion:
        """``GET /version``."""
        return self._portal.call(self._client.version)

    def info(self) -> api.SystemInfo:
        """``GET /info``."""
        return self._portal.call(self._client.info)

    def disk_usage(self, types: Sequence[str] = ()) -> api.DiskUsage:
        """``GET /system/df``."""
        return self._portal.call(self._client.disk_usage, types)

    def auth(self, username: str, password: str, server_address: str = "") -> api.AuthResponse:
        """``POST /auth``."""
        return self._portal.call(self._client.auth, username, password, server_address)

    def events(
        self,
        *,
        since: str | int | float | None = None,
        until: str | int | float | None = None,
        filters: FiltersArg = None,
    ) -> Iterator[api.EventMessage]:
        """``GET /events`` as an iterator."""
        return self._iterate(self._client.events(since=since, until=until, filters=filters))
