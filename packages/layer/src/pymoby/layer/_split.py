"""Tar-split: what is needed to rebuild a layer's exact tar stream from its files.

When a layer is registered, every byte of its tar stream that does not end up
as the contents of a file on disk (headers, pax records, padding, the end
blocks, any trailing bytes) is kept, in order, together with a reference
(path, size) for each file payload. Reassembling reads the references back
from the layer's directory, so the stream comes out byte for byte as it went
in and has the same diff ID, which is what a push to another registry needs.
Docker keeps the same information in ``tar-split.json.gz``; this is our own,
compact binary form of it::

    file   = MAGIC zlib(record*)
    record = b"R" u32 length raw-bytes          bytes kept as they were
           | b"F" u64 size u16 length path      a file's payload, read from disk
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from ._errors import TarSplitMismatch
from ._rootfs import InRoot

__all__ = ["SplitReader", "SplitWriter", "reassemble"]

MAGIC = b"PYMOBY-TARSPLIT-1\n"
_RAW = struct.Struct(">cI")
_FILE = struct.Struct(">cQH")
_FLUSH_AT = 256 << 10
_READ = 1 << 20


class SplitWriter:
    """Records a tar stream's layout into a file as the stream is applied."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")
        self._file.write(MAGIC)
        self._zlib = zlib.compressobj(1)
        self._out = bytearray()
        self._raw_at = -1  # offset in _out of the open raw record's header, -1 if none

    def raw(self, data: bytes | memoryview) -> None:
        """Keep ``data`` as it is."""
        out = self._out
        if self._raw_at < 0:
            self._raw_at = len(out)
            out += b"R\x00\x00\x00\x00"
        elif len(out) - self._raw_at + len(data) > 0xFFFF0000:
            self._close_raw()
            self._raw_at = len(out)
            out += b"R\x00\x00\x00\x00"
        out += data
        if len(out) >= _FLUSH_AT:
            self._close_raw()
            self._file.write(self._zlib.compress(out))
            out.clear()

    def _close_raw(self) -> None:
        at = self._raw_at
        if at >= 0:
            _RAW.pack_into(self._out, at, b"R", len(self._out) - at - _RAW.size)
            self._raw_at = -1

    def payload(self, name: str, size: int) -> None:
        """Note that the next ``size`` bytes are the contents of the file ``name`` in the layer."""
        self._close_raw()
        out = self._out
        encoded = name.encode("utf-8", "surrogateescape")
        out += _FILE.pack(b"F", size, len(encoded))
        out += encoded
        if len(out) >= _FLUSH_AT:
            self._file.write(self._zlib.compress(out))
            out.clear()

    def raw_then_payload(self, data: bytes, name: str, size: int) -> None:
        """:meth:`raw` then :meth:`payload`: a file's header and its contents, the common pair.

        The header goes in a record of its own, without the bookkeeping of a raw record left open.
        """
        self._close_raw()
        self._out += _RAW.pack(b"R", len(data))
        self._out += data
        self.payload(name, size)

    def close(self) -> None:
        """Write what is buffered and close the file."""
        if self._file.closed:
            return
        self._close_raw()
        self._file.write(self._zlib.compress(self._out))
        self._file.write(self._zlib.flush())
        self._out.clear()
        self._file.close()

    def abort(self) -> None:
        """Close without finishing (the layer is being thrown away)."""
        self._file.close()


class SplitReader:
    """Iterates over the records of a tar-split file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __iter__(self) -> Iterator[tuple[bytes, str | bytes, int]]:
        """Yield ``(b"R", raw_bytes, 0)`` and ``(b"F", path, size)`` records in order."""
        with self._path.open("rb") as file:
            if file.read(len(MAGIC)) != MAGIC:
                raise TarSplitMismatch(f"{self._path}: not a tar-split file")
            d = zlib.decompressobj()
            buf = bytearray()
            eof = False
            while True:
                while len(buf) < 16 and not eof:
                    chunk = file.read(_READ)
                    if not chunk:
                        eof = True
                        buf += d.flush()
                    else:
                        buf += d.decompress(chunk)
                if not buf:
                    return
                tag = buf[:1]
                if tag == b"R":
                    _, length = _RAW.unpack_from(buf)
                    need = _RAW.size + length
                    while len(buf) < need and not eof:
                        chunk = file.read(_READ)
                        if not chunk:
                            eof = True
                            buf += d.flush()
                        else:
                            buf += d.decompress(chunk)
                    if len(buf) < need:
                        raise TarSplitMismatch(f"{self._path}: truncated")
                    yield b"R", bytes(buf[_RAW.size : need]), 0
                    del buf[:need]
                elif tag == b"F":
                    _, size, length = _FILE.unpack_from(buf)
                    need = _FILE.size + length
                    while len(buf) < need and not eof:
                        chunk = file.read(_READ)
                        if not chunk:
                            eof = True
                            buf += d.flush()
                        else:
                            buf += d.decompress(chunk)
                    if len(buf) < need:
                        raise TarSplitMismatch(f"{self._path}: truncated")
                    yield b"F", bytes(buf[_FILE.size : need]).decode("utf-8", "surrogateescape"), size
                    del buf[:need]
                else:
                    raise TarSplitMismatch(f"{self._path}: corrupt record")


def reassemble(split: Path, content: Path, diff_id: str) -> Iterator[bytes]:
    """The original tar stream of a layer, rebuilt from its tar-split and its files under ``content``.

    Raises TarSplitMismatch if a file changed size or went missing, or if the
    stream does not hash to ``diff_id`` (detected at the end of the stream).
    """
    digest = hashlib.sha256()
    root = InRoot(content)
    try:
        for tag, value, size in SplitReader(split):
            if tag == b"R":
                assert isinstance(value, bytes)
                digest.update(value)
                yield value
                continue
            assert isinstance(value, str)
            try:
                fd = root.open_file(posixpath.normpath(value))  # the name as the tar had it: "./etc/passwd"
            except OSError as exc:
                raise TarSplitMismatch(f"layer file {value!r} is missing: {exc.strerror}") from exc
            try:
                left = size
                while left:
                    chunk = os.read(fd, min(_READ, left))
                    if not chunk:
                        raise TarSplitMismatch(f"layer file {value!r} is shorter than when it was registered")
                    left -= len(chunk)
                    digest.update(chunk)
                    yield chunk
            finally:
                os.close(fd)
    finally:
        root.close()
    if "sha256:" + digest.hexdigest() != diff_id:
        raise TarSplitMismatch(f"the files of layer {diff_id} no longer reproduce its diff ID")
