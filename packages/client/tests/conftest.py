"""A tiny fake daemon on a unix socket: canned answers, and a record of the requests it saw."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeDaemon:
    """Answers each request with ``answer(method, target, body) -> bytes`` (a whole raw answer)."""

    def __init__(self, path: Path, answer: Callable[[str, str, bytes], bytes | None]) -> None:
        self.path = path
        self.answer = answer
        self.seen: list[tuple[str, str]] = []
        self.bodies: list[bytes] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode().rstrip("\r\n").split("\r\n")
                method, target, _ = lines[0].split(" ")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                self.seen.append((method, target))
                if target.endswith("/refuse"):  # answer at once, without reading the body, and hang up
                    writer.write(b'HTTP/1.1 404 X\r\nContent-Length: 23\r\n\r\n{"message": "no route"}')
                    await writer.drain()
                    return
                if headers.get("transfer-encoding") == "chunked":
                    body = await _read_chunked(reader)
                else:
                    body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.bodies.append(body)
                reply = self.answer(method, target, body)
                if reply is None:
                    return  # close without answering
                writer.write(reply)
                await writer.drain()
                if headers.get("upgrade") == "tcp":
                    # echo raw bytes upper-cased until the client half-closes
                    while data := await reader.read(65536):
                        writer.write(data.upper())
                    writer.write(b"DONE")
                    await writer.drain()
                    return
        finally:
            writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return b"".join(parts)


@pytest.fixture
def fake_daemon(tmp_path: Path) -> Callable[..., Any]:
    @asynccontextmanager
    async def run(answer: Callable[[str, str, bytes], bytes | None]) -> AsyncIterator[FakeDaemon]:
        path = tmp_path / "fake.sock"
        daemon = FakeDaemon(path, answer)
        server = await asyncio.start_unix_server(daemon.handle, path)
        try:
            yield daemon
        finally:
            server.close()
            await server.wait_closed()

    return run
