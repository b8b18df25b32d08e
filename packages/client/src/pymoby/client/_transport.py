"""HTTP/1.1 over anyio streams (h11): connections to unix, tcp and TLS daemons.

A :class:`Transport` keeps idle keep-alive connections for reuse. An answer
is read head first; its body is then either read whole, streamed chunk by
chunk, or (after ``101 UPGRADED``) left as a raw stream: the hijack.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Sequence
from typing import Any

import anyio
import anyio.abc
import h11

from pymoby import errdefs

from ._hosts import DEFAULT_HOST, Host, RawResponse, TLSConfig, parse_docker_host

__all__ = [
    "DEFAULT_HOST",
    "HijackedConnection",
    "Host",
    "RawResponse",
    "TLSConfig",
    "Transport",
    "parse_docker_host",
]

#: A request body: bytes sent with a ``Content-Length``, or chunks sent as they come (chunked encoding).
Body = bytes | AsyncIterable[bytes] | None


class _Connection:
    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=1 << 20)

    async def send(self, event: Any) -> None:
        data = self.h11.send(event)
        if data:
            await self.stream.send(data)

    async def next_event(self) -> Any:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self.stream.receive(65536)
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                data = b""
            self.h11.receive_data(data)


class HijackedConnection(anyio.abc.ByteStream):
    """The raw stream of a hijacked request (attach, exec start)."""

    def __init__(self, stream: anyio.abc.ByteStream, initial: bytes) -> None:
        self._stream = stream
        self._initial = initial

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """Bytes from the daemon; ``anyio.EndOfStream`` at its end."""
        if self._initial:
            data, self._initial = self._initial[:max_bytes], self._initial[max_bytes:]
            return data
        return await self._stream.receive(max_bytes)

    async def send(self, item: bytes) -> None:
        """Bytes to the daemon (the container's stdin)."""
        await self._stream.send(item)

    async def send_eof(self) -> None:
        """Close our writing side: the container sees the end of stdin."""
        await self._stream.send_eof()

    async def aclose(self) -> None:
        """Close the connection."""
        await self._stream.aclose()

    @property
    def extra_attributes(self) -> Any:
        return self._stream.extra_attributes


class StreamedResponse:
    """An answer whose head has arrived (``status``, ``headers``); iterate it for the body's chunks.

    It owns its connection: reading the body to its end hands the connection
    back to the transport for reuse; :meth:`aclose` (or an error while
    reading, raised as ``errdefs.Unavailable``) closes it.
    """

    def __init__(self, transport: Transport, connection: _Connection, response: RawResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self._transport = transport
        self._connection: _Connection | None = connection

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    @property
    def closed(self) -> bool:
        """Whether the body was read to its end or the answer closed."""
        return self._connection is None

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        connection = self._connection
        if connection is None:
            return
        try:
            while True:
                event = await connection.next_event()
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    self._connection = None
                    await self._transport._finish(connection)
                    return
        except (h11.RemoteProtocolError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            await self.aclose()
            raise errdefs.Unavailable(f"error reading from the daemon: {exc}") from exc

    async def read(self) -> bytes:
        """The whole remaining body."""
        return b"".join([chunk async for chunk in self._chunks()])

    async def aclose(self) -> None:
        """Stop reading and drop the connection (nothing when the body was read to its end)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with anyio.CancelScope(shield=True):
                await connection.stream.aclose()


class Transport:
    """Sends requests to one daemon, reusing keep-alive connections."""

    def __init__(self, host: Host, tls: TLSConfig | None = None, timeout: float | None = 60.0) -> None:
        self.host = host
        self.timeout = timeout
        self._ssl = tls.context() if tls is not None else None
        self._idle: list[_Connection] = []
        self._authority = host.authority

    async def _connect(self) -> _Connection:
        try:
            with anyio.fail_after(self.timeout):
                stream: anyio.abc.ByteStream
                if self.host.proto == "unix":
                    stream = await anyio.connect_unix(self.host.address)
                elif self._ssl is not None:
                    stream = await anyio.connect_tcp(
                        self.host.address, self.host.port, ssl_context=self._ssl, tls_standard_compatible=False
                    )
                else:
                    stream = await anyio.connect_tcp(self.host.address, self.host.port)
        except OSError as exc:
            raise errdefs.Unavailable(
                f"Cannot connect to the Docker daemon at {self.host.describe()}. Is the docker daemon running? ({exc})"
            ) from exc
        return _Connection(stream)

    async def aclose(self) -> None:
        """Close the idle connections."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.stream.aclose()

    async def _start(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: Body
    ) -> tuple[_Connection, RawResponse, Any]:
        streamed = body is not None and not isinstance(body, bytes)
        last_error: Exception | None = None
        for attempt in range(2):
            # A streamed body cannot be sent twice: it never goes on a kept-alive connection the daemon may have closed.
            reused = bool(self._idle) and attempt == 0 and not streamed
            connection = self._idle.pop() if reused else await self._connect()
            all_headers = [("Host", self._authority), ("User-Agent", "pymoby-client/0.1.0"), *headers]
            if isinstance(body, bytes):
                all_headers.append(("Content-Length", str(len(body))))
            elif streamed:
                all_headers.append(("Transfer-Encoding", "chunked"))
            try:
                await connection.send(h11.Request(method=method, target=target, headers=all_headers))
                if isinstance(body, bytes):
                    if body:
                        await connection.send(h11.Data(data=body))
                    await connection.send(h11.EndOfMessage())
                elif body is not None:
                    await self._send_streamed(connection, body)
                else:
                    await connection.send(h11.EndOfMessage())
                event = await connection.next_event()
                while isinstance(event, h11.InformationalResponse) and event.status_code == 100:
                    event = await connection.next_event()
            except (h11.RemoteProtocolError, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                await connection.stream.aclose()
                last_error = exc
                if reused:
                    continue  # a keep-alive connection the daemon had closed: try a fresh one
                raise errdefs.Unavailable(f"error during connect: {exc}") from exc
            if not isinstance(event, h11.Response | h11.InformationalResponse):
                await connection.stream.aclose()
                raise errdefs.System(f"unexpected answer from the daemon: {event!r}")
            headers_out = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
            return connection, RawResponse(event.status_code, headers_out), event
        raise errdefs.Unavailable(f"error during connect: {last_error}")

    @staticmethod
    async def _send_streamed(connection: _Connection, body: AsyncIterable[bytes]) -> None:
        """Send a body chunk by chunk.

        The daemon may refuse a request (a missing container) and close its
        side before the upload ends: the write then fails, and the answer
        already on the wire is read rather than the broken pipe reported.
        """
        try:
            async for chunk in body:
                if chunk:
                    await connection.send(h11.Data(data=chunk))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            return
        await connection.send(h11.EndOfMessage())

    async def _finish(self, connection: _Connection) -> None:
        if connection.h11.our_state is h11.DONE and connection.h11.their_state is h11.DONE:
            connection.h11.start_next_cycle()
            self._idle.append(connection)
        else:
            await connection.stream.aclose()

    async def request(
        self, method: str, target: str, headers: Sequence[tuple[str, str]] = (), body: Body = None
    ) -> tuple[RawResponse, bytes]:
        """Send a request and read the whole answer (a streamed body has no time limit)."""
        with anyio.fail_after(self.timeout if body is None or isinstance(body, bytes) else None):
            connection, response, _ = await self._start(method, target, headers, body)
            parts = []
            while True:
                event = await connection.next_event()
                if isinstance(event, h11.Data):
                    parts.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            await self._finish(connection)
        return response, b"".join(parts)

    async def open(
        self, method: str, target: str, headers: Sequence[tuple[str, str]] = (), body: Body = None
    ) -> StreamedResponse:
        """Send a request and return once the answer's head is in; its body streams from the result.

        The head must come within the transport's timeout unless the request
        body is streamed (an upload takes what it takes).
        """
        with anyio.fail_after(self.timeout if body is None or isinstance(body, bytes) else None):
            connection, response, _ = await self._start(method, target, headers, body)
        return StreamedResponse(self, connection, response)

    async def hijack(
        self, method: str, target: str, headers: Sequence[tuple[str, str]] = (), body: bytes | None = None
    ) -> tuple[RawResponse, HijackedConnection | bytes]:
        """Send an ``Upgrade: tcp`` request; a raw stream on ``101``, else the error body."""
        upgrade = [("Connection", "Upgrade"), ("Upgrade", "tcp"), *headers]
        with anyio.fail_after(self.timeout):
            connection, response, _ = await self._start(method, target, upgrade, body)
            if response.status == 101:
                leftover, _ = connection.h11.trailing_data
                return response, HijackedConnection(connection.stream, bytes(leftover))
            parts = []
            while True:
                event = await connection.next_event()
                if isinstance(event, h11.Data):
                    parts.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            await connection.stream.aclose()
        return response, b"".join(parts)
