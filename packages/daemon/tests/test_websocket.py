"""Websockets (RFC 6455): the handshake, frames both ways, and a websocket route on a real server."""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Sequence
from typing import Any

import anyio
import anyio.abc
import pytest

from pymoby.daemon.server import (
    BadHandshake,
    Request,
    Route,
    WebSocketStream,
    get,
    websocket_accept,
    websocket_response,
)
from pymoby.daemon.server._websocket import MAX_FRAME, frame

pytestmark = pytest.mark.anyio

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 section 1.3's example
GOOD = {
    "upgrade": "websocket",
    "connection": "keep-alive, Upgrade",
    "sec-websocket-version": "13",
    "sec-websocket-key": KEY,
}


def _request(headers: dict[str, str], method: str = "GET") -> Request:
    return Request(method, "/ws", headers=dict(headers), upgrade=True)


def test_accept_is_the_rfc_example() -> None:
    assert websocket_accept(_request(GOOD)) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize(
    ("change", "method", "message"),
    [
        ({"upgrade": "h2c"}, "GET", "not websocket protocol"),
        ({"connection": "keep-alive"}, "GET", "not websocket protocol"),
        ({}, "POST", "bad method"),
        ({"sec-websocket-version": "8"}, "GET", "missing or bad WebSocket Version"),
        ({"sec-websocket-key": ""}, "GET", "mismatch challenge/response"),
        ({"sec-websocket-key": "not base64!"}, "GET", "mismatch challenge/response"),
        ({"sec-websocket-key": base64.b64encode(b"short").decode()}, "GET", "mismatch challenge/response"),
    ],
)
def test_bad_handshakes_are_invalid_parameters(change: dict[str, str], method: str, message: str) -> None:
    with pytest.raises(BadHandshake, match=message):
        websocket_accept(_request({**GOOD, **change}, method))


@pytest.mark.parametrize(("size", "header_length"), [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_frame_lengths_use_the_shortest_form(size: int, header_length: int) -> None:
    encoded = frame(0x2, b"x" * size)
    assert encoded[0] == 0x82
    assert len(encoded) == size + header_length


def client_frame(opcode: int, payload: bytes, *, masked: bool = True, fin: bool = True) -> bytes:
    """A frame as a client sends it (masked unless told otherwise)."""
    first = (0x80 if fin else 0) | opcode
    mask_bit = 0x80 if masked else 0
    if len(payload) < 126:
        head = bytes([first, mask_bit | len(payload)])
    elif len(payload) < 1 << 16:
        head = bytes([first, mask_bit | 126]) + struct.pack("!H", len(payload))
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack("!Q", len(payload))
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Pipe(anyio.abc.ByteStream):
    """A raw connection: reads from ``incoming`` (in chunks of ``chunk``), records what is sent."""

    def __init__(self, incoming: bytes, chunk: int = 3) -> None:
        self.incoming = bytearray(incoming)
        self.chunk = chunk
        self.sent = b""
        self.closed = False

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if not self.incoming:
            raise anyio.EndOfStream
        data = bytes(self.incoming[: self.chunk])
        del self.incoming[: self.chunk]
        return data

    async def send(self, item: bytes) -> None:
        self.sent += item

    async def send_eof(self) -> None:
        pass

    async def aclose(self) -> None:
        self.closed = True

    @property
    def extra_attributes(self) -> Any:
        return {}


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Split what the server sent into (opcode, payload) pairs, checking it never masks."""
    frames = []
    while data:
        first, second = data[0], data[1]
        assert first & 0x80
        assert not second & 0x80
        length, offset = second & 0x7F, 2
        if length == 126:
            (length,), offset = struct.unpack("!H", data[2:4]), 4
        elif length == 127:
            (length,), offset = struct.unpack("!Q", data[2:10]), 10
        frames.append((first & 0x0F, data[offset : offset + length]))
        data = data[offset + length :]
    return frames


async def read_all(ws: WebSocketStream) -> bytes:
    data = b""
    while True:
        try:
            data += await ws.receive()
        except anyio.EndOfStream:
            return data


async def test_data_frames_of_every_kind_and_size_are_input() -> None:
    big = os.urandom(70_000)
    incoming = (
        client_frame(0x2, b"binary ")
        + client_frame(0x1, b"text ", fin=False)
        + client_frame(0x0, b"continued ")
        + client_frame(0x2, b"unmasked ", masked=False)
        + client_frame(0x2, big)
        + client_frame(0x8, struct.pack("!H", 1001))
    )
    pipe = Pipe(incoming, chunk=1000)
    ws = WebSocketStream(pipe)
    assert await read_all(ws) == b"binary text continued unmasked " + big
    assert server_frames(pipe.sent) == [(0x8, struct.pack("!H", 1001))]  # the close is echoed once
    with pytest.raises(anyio.ClosedResourceError):
        await ws.send(b"too late")


async def test_ping_is_answered_with_pong_and_pong_is_ignored() -> None:
    pipe = Pipe(client_frame(0x9, b"hi") + client_frame(0xA, b"x") + client_frame(0x2, b"data"))
    ws = WebSocketStream(pipe)
    assert await ws.receive() == b"data"
    assert server_frames(pipe.sent) == [(0xA, b"hi")]


async def test_receive_respects_max_bytes() -> None:
    ws = WebSocketStream(Pipe(client_frame(0x2, b"abcdef")))
    assert [await ws.receive(4), await ws.receive(4)] == [b"abcd", b"ef"]


async def test_output_goes_in_binary_or_text_frames_and_ends_with_one_close() -> None:
    pipe = Pipe(b"")
    ws = WebSocketStream(pipe)
    await ws.send(b"out")
    await ws.send(b"")  # nothing to frame
    await ws.send_eof()
    await ws.aclose()
    assert server_frames(pipe.sent) == [(0x2, b"out"), (0x8, struct.pack("!H", 1000))]
    assert pipe.closed
    text = Pipe(b"")
    await WebSocketStream(text, binary=False).send(b"old API")
    assert server_frames(text.sent) == [(0x1, b"old API")]


async def test_a_frame_too_large_closes_with_1009() -> None:
    head = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", MAX_FRAME + 1) + b"mask"
    pipe = Pipe(head, chunk=100)
    with pytest.raises(anyio.BrokenResourceError):
        await WebSocketStream(pipe).receive()
    assert server_frames(pipe.sent) == [(0x8, struct.pack("!H", 1009))]


async def test_an_unknown_opcode_closes_with_1002() -> None:
    pipe = Pipe(client_frame(0x3, b""))
    with pytest.raises(anyio.BrokenResourceError):
        await WebSocketStream(pipe).receive()
    assert server_frames(pipe.sent) == [(0x8, struct.pack("!H", 1002))]


async def test_the_end_of_the_connection_is_the_end_of_input() -> None:
    ws = WebSocketStream(Pipe(client_frame(0x2, b"last")))
    assert await read_all(ws) == b"last"


class Echo:
    """A websocket route that echoes each input upper-cased."""

    def routes(self) -> Sequence[Route]:
        return (get("/ws", self.get_ws, hijack=True),)

    async def get_ws(self, request: Request) -> Any:
        async def run(ws: WebSocketStream) -> None:
            while True:
                try:
                    data = await ws.receive()
                except anyio.EndOfStream:
                    return
                await ws.send(data.upper())

        return websocket_response(request, run)


async def test_a_websocket_route_on_the_server(serve: Any, raw: Any) -> None:
    async with serve([Echo()]) as path:
        with anyio.fail_after(10):
            async with await anyio.connect_unix(path) as stream:
                await stream.send(
                    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + KEY.encode() + b"\r\n\r\n"
                    + client_frame(0x2, b"hello")
                )  # fmt: skip
                received = b""
                while b"HELLO" not in received:
                    received += await stream.receive()
                head, _, rest = received.partition(b"\r\n\r\n")
                assert head.split(b"\r\n")[0] == b"HTTP/1.1 101 Switching Protocols"
                assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
                assert b"Content-Type" not in head
                assert server_frames(rest) == [(0x2, b"HELLO")]
                await stream.send(client_frame(0x8, struct.pack("!H", 1000)))
                tail = b""
                while True:
                    try:
                        tail += await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        break
                assert server_frames(tail) == [(0x8, struct.pack("!H", 1000))]
        answer = await raw(path, b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 Bad Request")
        assert b'{"message":"not websocket protocol"}' in answer
