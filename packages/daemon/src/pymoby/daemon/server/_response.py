"""What a handler returns: a whole answer, a stream, or a hijack.

- :class:`Response`: status, body bytes, headers. ``json_response`` encodes a
  wire type.
- :class:`StreamingResponse`: an async iterator of chunks, written with
  chunked transfer encoding and flushed chunk by chunk (events, pull
  progress, logs). ``json_stream`` turns wire types into JSON lines.
- :class:`HijackResponse`: the connection leaves HTTP. The server answers
  ``101 UPGRADED`` (``Upgrade: tcp``) or the older ``200 OK`` hijack, then
  hands the raw byte stream to ``run`` (attach, exec start); the connection
  closes when ``run`` returns. A websocket (:mod:`._websocket`) answers
  ``101 Switching Protocols`` with its own headers instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from pymoby import api

if TYPE_CHECKING:
    from anyio.abc import ByteStream

__all__ = [
    "JSON",
    "RAW_STREAM",
    "MULTIPLEXED_STREAM",
    "AnyResponse",
    "HijackResponse",
    "Response",
    "StreamingResponse",
    "encode_headers",
    "json_response",
    "json_stream",
]

JSON = "application/json"
RAW_STREAM = "application/vnd.docker.raw-stream"
MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream"


def encode_headers(headers: dict[str, str] | list[tuple[str, str]]) -> bytes:
    """``Name: value\\r\\n`` lines for ``headers`` (computed once, at start-up, for constant ones)."""
    items = headers.items() if isinstance(headers, dict) else headers
    return b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in items)


class Response:
    """A whole answer. ``headers`` are raw header lines (see :func:`encode_headers`)."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(self, status: int = 200, body: bytes = b"", content_type: str | None = None, headers: bytes = b""):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers

    def add_header(self, name: str, value: str) -> None:
        """Add one header line."""
        self.headers += f"{name}: {value}\r\n".encode("latin-1")


class StreamingResponse:
    """A streamed answer: each chunk of ``chunks`` is sent (and flushed) as it comes."""

    __slots__ = ("chunks", "content_type", "headers", "status")

    def __init__(
        self, chunks: AsyncIterable[bytes], status: int = 200, content_type: str = JSON, headers: bytes = b""
    ) -> None:
        self.chunks = chunks
        self.status = status
        self.content_type = content_type
        self.headers = headers


class HijackResponse:
    """Take the connection over: ``run(stream)`` gets the raw bidirectional byte stream.

    ``switching_headers`` (raw header lines) make the answer ``101 Switching
    Protocols`` with exactly those headers (a websocket's handshake).
    """

    __slots__ = ("content_type", "run", "switching_headers")

    def __init__(
        self,
        run: Callable[[ByteStream], Awaitable[None]],
        content_type: str = RAW_STREAM,
        *,
        switching_headers: bytes | None = None,
    ) -> None:
        self.run = run
        self.content_type = content_type
        self.switching_headers = switching_headers


AnyResponse = Response | StreamingResponse | HijackResponse


def json_response(value: object, status: int = 200) -> Response:
    """A JSON answer for a wire type or plain data."""
    return Response(status, api.encode(value), JSON)


async def json_stream(values: AsyncIterable[object]) -> AsyncIterator[bytes]:
    """Encode each value as one JSON document followed by a newline, as Docker streams them."""
    async for value in values:
        yield api.encode(value) + b"\n"
