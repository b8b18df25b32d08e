"""The frames of a multiplexed stdout/stderr stream (Docker's ``stdcopy``).

Attach, exec and logs without a TTY send each chunk behind an 8-byte header:
the stream (0 stdin, 1 stdout, 2 stderr, 3 system error), three zero bytes,
then the payload length as a big-endian uint32.
"""

from __future__ import annotations

import enum
import struct

from pymoby import errdefs

__all__ = ["FrameDecoder", "FrameError", "StdStream", "encode_frame"]

_HEADER = struct.Struct(">BxxxL")
HEADER_SIZE = _HEADER.size


class StdStream(enum.IntEnum):
    """Which stream a frame belongs to."""

    STDIN = 0
    STDOUT = 1
    STDERR = 2
    SYSTEMERR = 3


class FrameError(errdefs.DataLoss):
    """A multiplexed stream had a malformed header."""


def encode_frame(stream: StdStream, payload: bytes) -> bytes:
    """One frame: the 8-byte header for ``stream`` and ``payload``, then the payload."""
    return _HEADER.pack(stream, len(payload)) + payload


class FrameDecoder:
    """Incremental decoder: feed bytes as they come, take complete frames out.

    >>> d = FrameDecoder(); d.feed(encode_frame(StdStream.STDOUT, b"hi"))
    [(<StdStream.STDOUT: 1>, b'hi')]
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[StdStream, bytes]]:
        """Add ``data``; return the frames now complete. Raises :class:`FrameError` on a bad header."""
        self._buffer += data
        frames: list[tuple[StdStream, bytes]] = []
        while len(self._buffer) >= HEADER_SIZE:
            kind, size = _HEADER.unpack_from(self._buffer)
            if kind > StdStream.SYSTEMERR:
                raise FrameError(f"unrecognized stream: {kind}")
            if len(self._buffer) < HEADER_SIZE + size:
                break
            frames.append((StdStream(kind), bytes(self._buffer[HEADER_SIZE : HEADER_SIZE + size])))
            del self._buffer[: HEADER_SIZE + size]
        return frames

    @property
    def pending(self) -> int:
        """Bytes held that do not yet make a whole frame."""
        return len(self._buffer)
