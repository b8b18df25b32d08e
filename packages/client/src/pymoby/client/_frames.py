"""Reading a multiplexed stdout/stderr stream (attach, exec, logs without a TTY)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.abc

from pymoby import api

__all__ = ["demux"]


async def demux(stream: anyio.abc.ByteReceiveStream) -> AsyncIterator[tuple[api.StdStream, bytes]]:
    """Yield ``(stream, payload)`` frames until the end of ``stream``.

    Raises ``api.FrameError`` (a ``DataLoss``) on a malformed header or a
    stream that ends inside a frame.
    """
    decoder = api.FrameDecoder()
    while True:
        try:
            data = await stream.receive()
        except anyio.EndOfStream:
            break
        for frame in decoder.feed(data):
            yield frame
    if decoder.pending:
        raise api.FrameError(f"stream ended inside a frame ({decoder.pending} bytes left)")
