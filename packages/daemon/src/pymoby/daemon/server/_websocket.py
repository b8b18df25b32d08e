"""Websockets (RFC 6455) on a hijacked connection: ``GET /containers/{id}/attach/ws``.

:func:`websocket_response` checks the opening handshake (section 4.2.1)
and answers ``101 Switching Protocols`` with the ``Sec-WebSocket-Accept``
of the client's key; its handler then gets a :class:`WebSocketStream`, an
``anyio.abc.ByteStream`` of frame payloads, as moby's ``x/net/websocket``
connection with ``PayloadType = BinaryFrame`` is an ``io.ReadWriter``:

- ``receive`` returns the payload of the client's data frames (binary,
  text or continuation: all of it is input), answers pings with pongs,
  and raises ``anyio.EndOfStream`` after the client's close frame (echoed
  back, section 5.5.1);
- ``send`` writes one unmasked binary frame per call; after a close frame
  was sent or received it raises ``anyio.ClosedResourceError``;
- ``send_eof`` and ``aclose`` send the close frame (1000) if none was.

Client frames should be masked (section 5.3); unmasked ones are read too,
as Go's ``x/net/websocket`` reads them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc

from pymoby import errdefs

from ._request import Request
from ._response import HijackResponse

__all__ = ["BadHandshake", "WebSocketStream", "frame", "websocket_accept", "websocket_response"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA = frozenset({_CONTINUATION, _TEXT, _BINARY})
#: Larger frames from a client close the connection with 1009 ("message too big").
MAX_FRAME = 32 << 20
_NORMAL, _PROTOCOL_ERROR, _TOO_BIG = 1000, 1002, 1009


class BadHandshake(errdefs.InvalidParameter):
    """The request is not a websocket opening handshake this server can accept."""


def _tokens(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",")}


def websocket_accept(request: Request) -> str:
    """The ``Sec-WebSocket-Accept`` value for ``request``'s handshake; raises :class:`BadHandshake`.

    The checks and messages are Go's ``x/net/websocket`` (what dockerd runs).
    """
    headers = request.headers
    if request.method != "GET":
        raise BadHandshake("bad method")
    if "websocket" not in _tokens(headers.get("upgrade", "")) or "upgrade" not in _tokens(
        headers.get("connection", "")
    ):
        raise BadHandshake("not websocket protocol")
    key = headers.get("sec-websocket-key", "").strip()
    try:
        decoded = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 16:  # RFC 6455 section 4.2.1: 16 random bytes, base64-encoded
        raise BadHandshake("mismatch challenge/response")
    if headers.get("sec-websocket-version", "").strip() != "13":
        raise BadHandshake("missing or bad WebSocket Version")
    return base64.b64encode(hashlib.sha1(key.encode("latin-1") + _GUID).digest()).decode()


def websocket_response(
    request: Request, run: Callable[[WebSocketStream], Awaitable[None]], *, binary: bool = True
) -> HijackResponse:
    """A ``101 Switching Protocols`` answer whose ``run`` gets the websocket; raises :class:`BadHandshake`.

    ``binary=False`` sends text frames (Docker before API 1.28).
    """
    accept = websocket_accept(request)
    head = f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n".encode("latin-1")

    async def hijacked(stream: anyio.abc.ByteStream) -> None:
        websocket = WebSocketStream(stream, binary=binary)
        try:
            await run(websocket)
        finally:
            with anyio.CancelScope(shield=True):
                await websocket.send_eof()

    return HijackResponse(hijacked, switching_headers=head)


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame (what a server sends)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def _unmask(payload: bytes, mask: bytes) -> bytes:
    # XOR with the 4-byte key repeated: one big-integer operation instead of a loop per byte.
    if not payload:
        return payload
    key = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(len(payload), "big")


class WebSocketStream(anyio.abc.ByteStream):
    """The payloads of a websocket over a raw byte stream (see the module docstring)."""

    def __init__(self, raw: anyio.abc.ByteStream, *, binary: bool = True) -> None:
        self._raw = raw
        self._opcode = _BINARY if binary else _TEXT
        self._buffer = bytearray()
        self._pending = b""
        self._close_sent = False
        self._close_received = False

    async def _fill(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._buffer += await self._raw.receive()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    async def _read_frame(self) -> tuple[int, bytes]:
        first, second = await self._fill(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self._fill(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self._fill(8))
        if length > MAX_FRAME:
            await self._close(_TOO_BIG)
            raise anyio.BrokenResourceError(f"websocket frame of {length} bytes")
        mask = await self._fill(4) if second & 0x80 else b""
        payload = await self._fill(length)
        return opcode, _unmask(payload, mask) if mask else payload

    async def _close(self, code: int, reason: bytes = b"") -> None:
        if self._close_sent:
            return
        self._close_sent = True
        try:
            await self._raw.send(frame(_CLOSE, struct.pack("!H", code) + reason))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """The next input bytes from the client; ``anyio.EndOfStream`` after its close frame."""
        while not self._pending:
            if self._close_received:
                raise anyio.EndOfStream
            opcode, payload = await self._read_frame()
            if opcode in _DATA:
                self._pending = payload
            elif opcode == _PING:
                if not self._close_sent:
                    await self._raw.send(frame(_PONG, payload[:125]))
            elif opcode == _CLOSE:
                self._close_received = True
                code = payload[:2] if len(payload) >= 2 else struct.pack("!H", _NORMAL)
                await self._close(struct.unpack("!H", code)[0])
                raise anyio.EndOfStream
            elif opcode != _PONG:
                await self._close(_PROTOCOL_ERROR)
                raise anyio.BrokenResourceError(f"websocket opcode {opcode:#x}")
        data, self._pending = self._pending[:max_bytes], self._pending[max_bytes:]
        return data

    async def send(self, item: bytes) -> None:
        """One binary (or text) frame to the client; ``anyio.ClosedResourceError`` once the websocket is closing."""
        if self._close_sent:
            raise anyio.ClosedResourceError
        if item:
            await self._raw.send(frame(self._opcode, item))

    async def send_eof(self) -> None:
        """End our side: the close frame (normal closure), once."""
        await self._close(_NORMAL)

    async def aclose(self) -> None:
        """Send the close frame if none was, then close the connection."""
        await self._close(_NORMAL)
        await self._raw.aclose()

    @property
    def extra_attributes(self) -> Any:
        return {}
