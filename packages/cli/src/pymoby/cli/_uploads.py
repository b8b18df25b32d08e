"""Request bodies streamed to the daemon as they are produced: build contexts, image archives, ``cp`` uploads.

A producer is a blocking function that writes the body to a file-like
object (``tarfile`` writing a context, ``shutil.copyfileobj`` copying an
archive); :func:`upload` runs it in a worker thread, owned by a task group,
and hands its output over in chunks of about a mebibyte, so memory stays
bounded whatever the size of the upload. When the request ends early (the
daemon refused it), the producer's next write fails and the thread ends.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import IO

import anyio
from anyio.abc import ObjectSendStream

__all__ = ["CHUNK", "Upload", "copy_from", "upload"]

#: How many bytes the producer hands over at a time.
CHUNK = 1 << 20


class UploadAborted(Exception):
    """The request the body was for ended before the body was sent: the producer stops."""


class _ChannelWriter:
    """A write-only file object, used in the worker thread, whose bytes go to the event loop in chunks."""

    def __init__(self, send: ObjectSendStream[bytes]) -> None:
        self._send = send
        self._buffer = bytearray()
        self.total = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buffer += data
        self.total += len(data)
        if len(self._buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            chunk, self._buffer = bytes(self._buffer), bytearray()
            try:
                anyio.from_thread.run(self._send.send, chunk)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
                raise UploadAborted("the request ended before its body was sent") from exc

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.total


class Upload:
    """The body of one request: iterate it (once) for its chunks; ``total`` bytes produced so far."""

    def __init__(self, writer: _ChannelWriter, chunks: AsyncIterator[bytes]) -> None:
        self._writer = writer
        self._chunks = chunks

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks

    @property
    def total(self) -> int:
        """Bytes produced so far (all of them once the body was sent)."""
        return self._writer.total


@asynccontextmanager
async def upload(produce: Callable[[IO[bytes]], None]) -> AsyncIterator[Upload]:
    """Run ``produce(file)`` in a worker thread while the request sends what it writes.

    Errors of the producer (a file that cannot be read) are raised from the
    ``async with`` block; leaving the block early stops the producer.
    """
    send, receive = anyio.create_memory_object_stream[bytes](4)
    writer = _ChannelWriter(send)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            produce(writer)  # type: ignore[arg-type]  # a file-like object: write/flush
            writer.flush()
        except UploadAborted:
            pass
        except Exception as exc:  # reported from the async side, where the command can show it
            failure.append(exc)

    async def producer() -> None:
        with send:
            await anyio.to_thread.run_sync(run)

    async def chunks() -> AsyncIterator[bytes]:
        async for chunk in receive:
            yield chunk

    async with anyio.create_task_group() as group:
        group.start_soon(producer)
        with receive:
            try:
                yield Upload(writer, chunks())
            finally:
                receive.close()
    if failure:
        raise failure[0]


def copy_from(source: IO[bytes]) -> Callable[[IO[bytes]], None]:
    """A producer copying ``source`` (an opened file, stdin) as it is read."""

    def produce(out: IO[bytes]) -> None:
        shutil.copyfileobj(source, out, CHUNK)

    return produce
