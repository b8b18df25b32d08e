"""The synchronous facade: plain calls over a blocking transport, streams through an anyio portal.

Request/response calls (``version``, ``containers``, ``inspect_container``,
``start``...) go over :class:`~pymoby.client.BlockingClient`, with no event
loop. Streamed and hijacked calls (``events``, ``logs``, ``attach``,
``exec_start``, ``wait``...) run on an event loop in a thread of its own,
started on the first such call and stopped by :meth:`Client.close`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._blocking import BlockingClient, Ping
from ._sync_containers import BlockingCalls, SyncContainerMethods

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from pymoby import api

    from ._client import AsyncClient, FiltersArg, Query
    from ._hosts import TLSConfig
    from ._transport import HijackedConnection

__all__ = ["Client", "SyncHijackedConnection"]


class SyncHijackedConnection:
    """A hijacked stream used synchronously: ``recv``, ``send``, ``send_eof``, ``close``."""

    def __init__(self, portal: BlockingPortal, stream: HijackedConnection) -> None:
        self._portal = portal
        self._stream = stream

    def recv(self, max_bytes: int = 65536) -> bytes:
        """Bytes from the daemon; ``b""`` at the end of the stream."""
        import anyio

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

    Use as a context manager, or call :meth:`close`. Raises what
    :class:`AsyncClient` raises (``InvalidParameter`` here for unreadable TLS files).
    """

    def __init__(
        self,
        host: str | None = None,
        *,
        tls: TLSConfig | None = None,
        version: str | None = None,
        timeout: float | None = 60.0,
    ) -> None:
        self._blocking = BlockingClient(host, tls=tls, version=version, timeout=timeout)
        self._calls = BlockingCalls(self._blocking)
        self._settings = (host, tls, timeout)
        self._portal_cm: Any = None
        self._started: tuple[BlockingPortal, AsyncClient] | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _loop(self) -> tuple[BlockingPortal, AsyncClient]:
        """The portal and async client for streamed calls, started on first use."""
        if self._started is None:
            from anyio.from_thread import start_blocking_portal

            from ._client import AsyncClient

            version = self._blocking.api_version()
            host, tls, timeout = self._settings
            portal_cm = start_blocking_portal("asyncio")
            portal = portal_cm.__enter__()

            async def make() -> AsyncClient:
                return AsyncClient(host, tls=tls, version=version, timeout=timeout)

            try:
                client = portal.call(make)
            except BaseException:
                portal_cm.__exit__(None, None, None)
                raise
            self._portal_cm = portal_cm
            self._started = (portal, client)
        return self._started

    @property
    def _portal(self) -> BlockingPortal:
        return self._loop()[0]

    @property
    def _client(self) -> AsyncClient:
        return self._loop()[1]

    def close(self) -> None:
        """Close connections and stop the event loop's thread (if streamed calls started it)."""
        self._blocking.close()
        started, self._started = self._started, None
        if started is not None:
            portal, client = started
            try:
                portal.call(client.aclose)
            finally:
                self._portal_cm.__exit__(None, None, None)
                self._portal_cm = None

    def _iterate(self, agen: AsyncIterator[Any]) -> Iterator[Any]:
        portal = self._portal
        try:
            while True:
                try:
                    yield portal.call(agen.__anext__)
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                portal.call(aclose)

    def api_version(self) -> str:
        """The API version in use (negotiated on first use)."""
        return self._blocking.api_version()

    def request(self, method: str, path: str, *, query: Query | None = None, body: object = None) -> bytes:
        """Send a request; its body (errdefs kind raised on >= 400).

        An async iterable ``body`` is streamed (chunked) through the event loop.
        """
        if isinstance(body, AsyncIterable):
            client = self._client

            async def call() -> bytes:
                return (await client.request(method, path, query=query, body=body))[1]

            answer: bytes = self._portal.call(call)
            return answer
        return self._blocking.request(method, path, query=query, body=body)[1]

    def stream(self, method: str, path: str, *, query: Query | None = None, body: object = None) -> Iterator[bytes]:
        """The chunks of a streamed answer."""
        return self._iterate(self._client.stream(method, path, query=query, body=body))

    def hijack(
        self, method: str, path: str, *, query: Query | None = None, body: object = None
    ) -> SyncHijackedConnection:
        """An upgrade request's raw stream (attach, exec start)."""
        client = self._client

        async def call() -> HijackedConnection:
            return await client.hijack(method, path, query=query, body=body)

        return SyncHijackedConnection(self._portal, self._portal.call(call))

    def ping(self) -> Ping:
        """``GET /_ping``."""
        return self._blocking.ping()

    def version(self) -> api.SystemVersion:
        """``GET /version``."""
        from pymoby import api

        return self._blocking.request_json("GET", "/version", api.SystemVersion)

    def info(self) -> api.SystemInfo:
        """``GET /info``."""
        from pymoby import api

        return self._blocking.request_json("GET", "/info", api.SystemInfo)

    def disk_usage(self, types: Sequence[str] = ()) -> api.DiskUsage:
        """``GET /system/df``."""
        from pymoby import api

        return self._blocking.request_json("GET", "/system/df", api.DiskUsage, query={"type": list(types)})

    def auth(self, username: str, password: str, server_address: str = "") -> api.AuthResponse:
        """``POST /auth``."""
        from pymoby import api

        config = api.AuthConfig(username=username, password=password, serveraddress=server_address)
        return self._blocking.request_json("POST", "/auth", api.AuthResponse, body=config)

    def events(
        self,
        *,
        since: str | int | float | None = None,
        until: str | int | float | None = None,
        filters: FiltersArg = None,
    ) -> Iterator[api.EventMessage]:
        """``GET /events`` as an iterator."""
        return self._iterate(self._client.events(since=since, until=until, filters=filters))
