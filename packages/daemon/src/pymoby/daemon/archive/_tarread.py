"""Reading an uploaded tar stream: decompression by magic number, then entries one by one.

The reader pulls chunks from a ``receive()`` callable (the request body)
and never holds more than a chunk or two: a header is parsed straight out
of the buffer and a file's payload is written to its descriptor as it
arrives. It reads what the docker CLI, docker-py, Go's archive/tar, GNU tar
and Python's tarfile write: ustar, pax (``x`` records; ``g`` is ignored, as
Docker does) and GNU long names (``L``/``K``), octal or base-256 numbers.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ._errors import ExtractError, UnsupportedArchive

__all__ = ["TarEntry", "TarStream", "decompressed"]

_BLOCK = 512
_MAX_SPECIAL = 1 << 20
_XATTR = "SCHILY.xattr."
_HEADER_ONLY = frozenset((b"1", b"2", b"3", b"4", b"5", b"6"))


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
                if isinstance(engine, zlib._Decompress):
                    return engine.flush()
                return b""
            try:
                out = engine.decompress(raw)
            except (OSError, zlib.error, lzma.LZMAError, EOFError) as exc:
                raise UnsupportedArchive(f"the archive could not be decompressed: {exc}") from exc
            if out:
                return out

    return inflate


@dataclass(slots=True)
class TarEntry:
    """One member of the stream, its pax and GNU headers applied."""

    name: str
    type: bytes
    size: int
    mode: int
    uid: int
    gid: int
    mtime_ns: int
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    atime_ns: int | None = None
    xattrs: dict[str, bytes] = field(default_factory=dict)


def _number(raw: bytes) -> int:
    if raw and raw[0] & 0x80:  # base-256 (GNU), big-endian, two's complement
        value = int.from_bytes(raw, "big", signed=False) & ((1 << (8 * len(raw) - 1)) - 1)
        if raw[0] & 0x40:
            value -= 1 << (8 * len(raw) - 1)
        return value
    text = raw.replace(b"\x00", b" ").strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise ExtractError(f"archive/tar: invalid number {raw!r} in a header") from None


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _pax_time(value: bytes) -> int:
    whole, _, frac = value.decode("ascii", "replace").partition(".")
    digits = (frac + "000000000")[:9] if frac.isdigit() else "000000000"
    sign = -1 if whole.startswith("-") else 1
    return int(whole) * 1_000_000_000 + sign * int(digits)


def _parse_pax(data: bytes) -> dict[str, bytes]:
    records: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise ExtractError("archive/tar: invalid pax record") from None
        if length <= 0:
            raise ExtractError("archive/tar: invalid pax record")
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value
        pos += length
    return records


class TarStream:
    """The entries of a tar stream read from ``receive`` (``b""`` at its end)."""

    def __init__(self, receive: Callable[[], bytes]) -> None:
        self._receive = receive
        self._buf = b""
        self._pos = 0
        self._left = 0  # payload bytes of the current entry not consumed yet
        self._pad = 0

    def _fill(self, n: int) -> bytes:
        """Exactly ``n`` bytes; fewer only at the end of the stream."""
        have = len(self._buf) - self._pos
        if have >= n:
            out = self._buf[self._pos : self._pos + n]
            self._pos += n
            return out
        parts = [self._buf[self._pos :]]
        while have < n:
            chunk = self._receive()
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self._buf, self._pos = data[n:], 0
        return data[:n]

    def _skip(self, n: int, *, padding: bool = False) -> None:
        """Skip ``n`` bytes. A stream that ends inside an entry's ``padding`` ends the archive, as Go's
        reader takes it (the docker CLI sends such tars); anywhere else it is an unexpected EOF."""
        while n > 0:
            have = len(self._buf) - self._pos
            if have >= n:
                self._pos += n
                return
            n -= have
            self._buf, self._pos = self._receive(), 0
            if not self._buf:
                if padding:
                    return
                raise ExtractError("unexpected EOF in the archive")

    def copy_payload(self, write: Callable[[memoryview], object]) -> None:
        """Hand the current entry's payload to ``write`` piece by piece (then its padding is skipped)."""
        while self._left > 0:
            if self._pos >= len(self._buf):
                self._buf, self._pos = self._receive(), 0
                if not self._buf:
                    raise ExtractError("unexpected EOF in the archive")
            take = min(self._left, len(self._buf) - self._pos)
            write(memoryview(self._buf)[self._pos : self._pos + take])
            self._pos += take
            self._left -= take
        self._skip(self._pad, padding=True)
        self._pad = 0

    def _finish_entry(self) -> None:
        if self._left or self._pad:
            self._skip(self._left)
            self._skip(self._pad, padding=True)
            self._left = self._pad = 0

    def _special(self, size: int) -> bytes:
        if size > _MAX_SPECIAL:
            raise ExtractError("archive/tar: a pax or long-name header is too large")
        data = self._fill(size)
        if len(data) < size:
            raise ExtractError("unexpected EOF in the archive")
        self._skip(-size % _BLOCK)
        return data

    def next(self) -> TarEntry | None:
        """The next entry, or ``None`` at the end of the archive."""
        self._finish_entry()
        pax: dict[str, bytes] = {}
        long_name: str | None = None
        long_link: str | None = None
        typ = b"0"
        while True:
            block = self._fill(_BLOCK)
            if not block or block == bytes(_BLOCK):
                return None  # end-of-archive marker (or a stream cut at a block boundary, as Go accepts)
            if len(block) < _BLOCK:
                raise ExtractError("unexpected EOF in the archive")
            stored = _number(block[148:156])
            rest = block[:148] + b"        " + block[156:]
            if stored != sum(rest) and stored != sum(b - 256 if b > 127 else b for b in rest):
                raise ExtractError("archive/tar: invalid tar header (bad checksum)")
            typ = block[156:157] or b"0"
            size = _number(block[124:136])
            if typ == b"x":
                pax.update(_parse_pax(self._special(size)))
                continue
            if typ == b"g":
                self._special(size)  # global headers are ignored, as Docker does
                continue
            if typ == b"L":
                long_name = _text(self._special(size))
                continue
            if typ == b"K":
                long_link = _text(self._special(size))
                continue
            break
        name = _text(block[0:100])
        if block[257:263] == b"ustar\x00":
            prefix = _text(block[345:500])
            if prefix:
                name = f"{prefix}/{name}"
        if typ == b"\x00":
            typ = b"5" if name.endswith("/") else b"0"
        entry = TarEntry(
            name=long_name if long_name is not None else name,
            type=typ,
            size=size,
            mode=_number(block[100:108]),
            uid=_number(block[108:116]),
            gid=_number(block[116:124]),
            mtime_ns=_number(block[136:148]) * 1_000_000_000,
            linkname=long_link if long_link is not None else _text(block[157:257]),
            devmajor=_number(block[329:337]),
            devminor=_number(block[337:345]),
        )
        for key, value in pax.items():
            if key == "path":
                entry.name = value.decode("utf-8", "surrogateescape")
            elif key == "linkpath":
                entry.linkname = value.decode("utf-8", "surrogateescape")
            elif key == "size":
                entry.size = int(value)
            elif key == "uid":
                entry.uid = int(value)
            elif key == "gid":
                entry.gid = int(value)
            elif key == "mtime":
                entry.mtime_ns = _pax_time(value)
            elif key == "atime":
                entry.atime_ns = _pax_time(value)
            elif key.startswith(_XATTR):
                entry.xattrs[key[len(_XATTR) :]] = value
        if entry.type == b"S":
            raise ExtractError(f"archive/tar: sparse file {entry.name!r} is not supported")
        # Links, devices, FIFOs and directories carry no payload whatever their size field says.
        payload = 0 if entry.type in _HEADER_ONLY else entry.size
        self._left = payload
        self._pad = -payload % _BLOCK
        return entry
