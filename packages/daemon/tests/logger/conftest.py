"""Fakes for the logger tests: in-memory byte pipes standing in for a container's FIFOs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio
import anyio.abc
import pytest
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream


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
