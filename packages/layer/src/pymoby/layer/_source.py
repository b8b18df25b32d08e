"""Reading a layer stream: compression detected by magic, decompressed and hashed on a worker thread.

A layer arrives as a tar stream that may be compressed (gzip, bzip2, xz or
zstd). :class:`ChunkSource` reads it on a worker thread, decompresses it and
hashes the uncompressed bytes (the layer's diff ID) while the caller's thread
parses and writes files, so that the two halves of the work overlap on two
cores. Memory is bounded: at most a few chunks of ``CHUNK`` bytes are in flight.
"""

from __future__ import annotations

import bz2
import enum
import hashlib
import lzma
import queue
import threading
import zlib
from collections.abc import Iterator
from typing import IO, cast

import zstandard

from ._errors import InvalidTar

__all__ = ["CHUNK", "ChunkFile", "ChunkSource", "Compression", "detect_compression"]

#: Size of the chunks read from the stream and handed to the tar reader.
CHUNK = 1 << 20
_QUEUE_DEPTH = 6


class Compression(enum.Enum):
    """The compression of a layer stream, as found by :func:`detect_compression`."""

    NONE = "none"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    ZSTD = "zstd"


def detect_compression(head: bytes) -> Compression:
    """The compression of a stream that starts with ``head`` (at least 6 bytes for a sure answer)."""
    if head.startswith(b"\x1f\x8b\x08"):
        return Compression.GZIP
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return Compression.ZSTD
    if head.startswith(b"BZh"):
        return Compression.BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return Compression.XZ
    return Compression.NONE


class _ZlibAdapter:
    """zlib's decompressobj behind the bz2/lzma decompressor interface (input kept on needs_input)."""

    def __init__(self) -> None:
        self._d = zlib.decompressobj(wbits=31)
        self._pending = b""

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    @property
    def needs_input(self) -> bool:
        return not self._pending

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        out = self._d.decompress(self._pending + data if self._pending else data, max(max_length, 0))
        self._pending = self._d.unconsumed_tail
        return out


def _new_decompressor(kind: Compression) -> _ZlibAdapter | bz2.BZ2Decompressor | lzma.LZMADecompressor:
    if kind is Compression.GZIP:
        return _ZlibAdapter()
    if kind is Compression.BZIP2:
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)


def _decompress(kind: Compression, compressed: Iterator[bytes]) -> Iterator[bytes]:
    """Decompress a (multi-member) gzip, bzip2 or xz stream, yielding at most CHUNK bytes at a time.

    Zero padding after the last member is accepted (some writers pad to a
    record size); anything else after it, or a member cut short, is an error.
    """
    d = _new_decompressor(kind)
    started = False
    trailing = False
    try:
        for chunk in compressed:
            data = chunk
            while data:
                if trailing or d.eof:
                    if data.strip(b"\x00"):
                        if trailing:
                            raise InvalidTar(f"unexpected data after the end of the {kind.value} stream")
                        d = _new_decompressor(kind)
                        started = False
                    else:
                        trailing = True
                        break
                out = d.decompress(data, CHUNK)
                started = True
                if out:
                    yield out
                while not d.eof and not d.needs_input:
                    out = d.decompress(b"", CHUNK)
                    if out:
                        yield out
                data = d.unused_data if d.eof else b""
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
        raise InvalidTar(f"invalid {kind.value} stream: {exc}") from exc
    if started and not d.eof:
        raise InvalidTar(f"unexpected end of the {kind.value} stream")


class ChunkFile:
    """A readable file over an iterator of byte chunks: ``read(size)`` gathers chunks until it has
    ``size`` bytes (all of them when negative); an empty chunk ends the stream."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _decompress_zstd(compressed: Iterator[bytes]) -> Iterator[bytes]:
    reader = zstandard.ZstdDecompressor().stream_reader(
        cast(IO[bytes], ChunkFile(compressed)), read_size=CHUNK, read_across_frames=True
    )
    try:
        while chunk := reader.read(CHUNK):
            yield chunk
    except zstandard.ZstdError as exc:
        raise InvalidTar(f"invalid zstd stream: {exc}") from exc


def _raw_chunks(stream: IO[bytes], first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    read = stream.read
    while chunk := read(CHUNK):
        yield chunk


_EOF = object()


class ChunkSource:
    """The uncompressed bytes of a layer stream, in chunks, hashed as they pass.

    Use as a context manager: entering starts the worker thread, leaving stops
    it (also when the consumer gave up half way). :meth:`next_chunk` returns
    the next chunk, ``b""`` at the end, and re-raises any error of the worker
    (InvalidTar for a corrupt compressed stream, OSError from the stream).
    After the end, :attr:`digest` is the diff ID and :attr:`size` the
    uncompressed length.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._queue: queue.Queue[object] = queue.Queue(_QUEUE_DEPTH)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._hash = hashlib.sha256()
        self._done = False
        self.size = 0
        self.compression = Compression.NONE

    def __enter__(self) -> ChunkSource:
        self._thread = threading.Thread(target=self._produce, name="layer-source", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            while self._thread.is_alive():
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    self._thread.join(0.05)
            self._thread = None

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the uncompressed stream; valid once :meth:`next_chunk` returned ``b""``."""
        return "sha256:" + self._hash.hexdigest()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _chunks(self) -> Iterator[bytes]:
        first = self._stream.read(CHUNK)
        self.compression = detect_compression(first[:6])
        raw = _raw_chunks(self._stream, first)
        if self.compression is Compression.NONE:
            return raw
        if self.compression is Compression.ZSTD:
            return _decompress_zstd(raw)
        return _decompress(self.compression, raw)

    def _produce(self) -> None:
        update = self._hash.update
        try:
            for chunk in self._chunks():
                update(chunk)
                self.size += len(chunk)
                if not self._put(chunk):
                    return
            self._put(_EOF)
        except Exception as exc:  # handed to the consumer thread, which re-raises it
            self._put(exc)

    def next_chunk(self) -> bytes:
        """The next chunk of uncompressed bytes, or ``b""`` at the end of the stream."""
        if self._done:
            return b""
        item = self._queue.get()
        if item is _EOF:
            self._done = True
            return b""
        if isinstance(item, Exception):
            self._done = True
            raise item
        assert isinstance(item, bytes)
        return item
