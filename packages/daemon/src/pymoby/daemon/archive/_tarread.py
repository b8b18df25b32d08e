"""Reading an uploaded tar stream: decompression by magic number, then entries one by one.

The reader pulls chunks from a ``receive()`` callable (the request body)
and never holds more than a chunk or two; the tar format itself is read by
pymoby-layer's :class:`~pymoby.layer.TarReader` (ustar, pax, GNU long names,
octal or base-256 numbers: what the docker CLI, docker-py, Go's archive/tar,
GNU tar and Python's tarfile write).
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable

from pymoby.layer import InvalidTar, TarEntry, TarReader, UnsupportedTarEntry

from ._errors import ExtractError, UnsupportedArchive

__all__ = ["TarEntry", "TarStream", "decompressed"]


def decompressed(receive: Callable[[], bytes]) -> Callable[[], bytes]:
    """``receive`` with gzip, bzip2 or xz undone (found by magic number, as Docker's DecompressStream)."""
    head = b""
    while len(head) < 6:
        chunk = receive()
        if not chunk:
            break
        head += chunk
    if head.startswith(b"\x1f\x8b"):
        engine: zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor | None = zlib.decompressobj(31)
    elif head.startswith(b"BZh"):
        engine = bz2.BZ2Decompressor()
    elif head.startswith(b"\xfd7zXZ\x00"):
        engine = lzma.LZMADecompressor()
    elif head.startswith(b"\x28\xb5\x2f\xfd"):
        raise UnsupportedArchive("zstd compressed archives are not supported")
    else:
        engine = None
    pending = [head]

    def plain() -> bytes:
        if pending:
            return pending.pop()
        return receive()

    if engine is None:
        return plain

    def inflate() -> bytes:
        while True:
            raw = plain()
            if not raw:
                # zlib's object keeps what it could not finish; bz2's and lzma's have no flush().
                flush = getattr(engine, "flush", None)
                return flush() if flush is not None else b""
            try:
                out = engine.decompress(raw)
            except (OSError, zlib.error, lzma.LZMAError, EOFError) as exc:
                raise UnsupportedArchive(f"the archive could not be decompressed: {exc}") from exc
            if out:
                return out

    return inflate


class TarStream:
    """The entries of a tar stream read from ``receive`` (``b""`` at its end), by pymoby-layer's reader.

    As Go's reader, which the daemon's Docker counterpart uses: a stream that
    ends at a block boundary or inside an entry's padding ends the archive (the
    docker CLI sends such tars), ``g`` headers are ignored. A damaged stream
    raises ExtractError.
    """

    def __init__(self, receive: Callable[[], bytes]) -> None:
        self._reader = TarReader(receive, end_in_padding=True)
        self._entry: TarEntry | None = None

    def next(self) -> TarEntry | None:
        """The next entry, or ``None`` at the end of the archive."""
        try:
            self._entry = self._reader.next_entry()
        except (InvalidTar, UnsupportedTarEntry) as exc:
            raise ExtractError(str(exc)) from exc
        return self._entry

    def copy_payload(self, write: Callable[[bytes | memoryview], object]) -> None:
        """Hand the current entry's payload to ``write`` piece by piece."""
        entry = self._entry
        if entry is not None and entry.data is not None:
            data, entry.data = entry.data, None  # handed out with the entry: already read
            if data:
                write(data)
            return
        try:
            for piece in self._reader.payload_pieces():
                write(piece)
        except InvalidTar as exc:
            raise ExtractError(str(exc)) from exc
