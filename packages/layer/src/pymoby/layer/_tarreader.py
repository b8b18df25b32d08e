"""A lean streaming tar reader: ustar, pax and GNU headers, large buffers, no seeking.

Python's tarfile module is built for random access and small reads; this
reader takes the stream in chunks from a :class:`ChunkSource`, parses headers
straight out of the chunk, and writes file payloads to a descriptor from the
chunk's memory. Every byte it consumes that is not a file payload can be
recorded into a :class:`SplitWriter`, so the stream can be rebuilt later.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from zlib import adler32

from ._errors import InvalidTar, UnsupportedTarEntry
from ._split import SplitWriter
from ._tarformat import (
    AREGTYPE,
    BLOCK,
    CONTTYPE,
    GNU_DUMPDIR,
    GNU_LONGLINK,
    GNU_LONGNAME,
    GNU_SPARSE,
    MAX_SPECIAL_SIZE,
    REGTYPE,
    XGLTYPE,
    XHDTYPE,
    ZERO_BLOCK,
    TarEntry,
    apply_pax,
    parse_number,
    parse_pax,
)

__all__ = ["TarReader"]

_HEADER_ONLY = frozenset((b"1", b"2", b"3", b"4", b"5", b"6"))
_KNOWN = frozenset((REGTYPE, CONTTYPE, GNU_DUMPDIR)) | _HEADER_ONLY
_FILES = frozenset((REGTYPE, CONTTYPE))
_META = frozenset((XHDTYPE, XGLTYPE, GNU_LONGNAME, GNU_LONGLINK))
_USTAR = b"ustar\x00"
_SMALL = 64 << 10
#: Largest payload :meth:`TarReader.take_payload` hands out as bytes.
_HANDOFF = 1 << 20


class TarReader:
    """Reads entries from a chunked tar stream.

    Call :meth:`next_entry` until it returns None. A regular file whose
    payload is small and already buffered comes with it, in ``entry.data``
    (noted in the split as the file ``entry.name``), unless its name is a
    whiteout's; for every other entry ``data`` is None: consume its payload
    with :meth:`copy_payload` or :meth:`skip_payload` (or leave it: the next
    call skips it). Raises InvalidTar for a malformed or truncated stream and
    UnsupportedTarEntry for sparse or multi-volume entries. With
    ``end_in_padding``, a stream that ends inside an entry's padding ends the
    archive there instead (the docker CLI sends such tars for ``docker cp``
    and build contexts); a layer must be whole.
    """

    def __init__(
        self, next_chunk: Callable[[], bytes], split: SplitWriter | None = None, *, end_in_padding: bool = False
    ) -> None:
        self._next = next_chunk
        self._end_in_padding = end_in_padding
        self._buf = b""
        self._pos = 0
        self._split = split
        self._remaining = 0
        self._pad = 0
        # Offset in _buf from which consumed bytes are not yet recorded in the split (the
        # padding after a small file), so that padding and the next header go in one call.
        self._raw_from = -1

    def _flush_pending(self) -> None:
        if self._raw_from >= 0:
            if self._split is not None:
                self._split.raw(self._buf[self._raw_from : self._pos])
            self._raw_from = -1

    def _read_upto(self, n: int) -> bytes:
        """``n`` bytes, possibly crossing chunks; fewer only where the stream ends."""
        pos = self._pos
        end = pos + n
        if end <= len(self._buf):
            self._pos = end
            return self._buf[pos:end]
        self._flush_pending()
        parts = [self._buf[self._pos :]]
        have = len(parts[0])
        while have < n:
            chunk = self._next()
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        joined = b"".join(parts)
        take = min(n, len(joined))
        self._buf, self._pos = joined, take
        return joined[:take]

    def _fill(self, n: int) -> bytes:
        """Exactly ``n`` bytes, possibly crossing chunks; b"" if the stream ends first at a boundary."""
        data = self._read_upto(n)
        if data and len(data) < n:
            raise InvalidTar("unexpected EOF in the middle of a tar entry")
        return data

    def _read(self, n: int) -> bytes:
        if self._raw_from >= 0:
            self._flush_pending()
        pos = self._pos
        end = pos + n
        if end <= len(self._buf):
            self._pos = end
            return self._buf[pos:end]
        data = self._fill(n)
        if len(data) != n and n:
            raise InvalidTar("unexpected EOF in the middle of a tar entry")
        return data

    def _header(self) -> bytes:
        pos = self._pos
        end = pos + BLOCK
        if end <= len(self._buf):
            self._pos = end
            return self._buf[pos:end]
        return self._fill(BLOCK)

    def next_entry(self) -> TarEntry | None:
        """The next entry, or None at the end of the archive (the rest of the stream is then consumed)."""
        if self._remaining or self._pad:
            self.skip_payload()
        # The fast path, nearly every entry of a layer: a plain header, whole in the buffer.
        buf = self._buf
        pos = self._pos
        end = pos + BLOCK
        if end > len(buf):
            return self._next_general()
        header = buf[pos:end]
        if header[156:157] in _META or header == ZERO_BLOCK:
            return self._next_general()
        entry = _parse_header(header, None, None)
        typeflag = entry.type
        size = entry.size
        if typeflag not in _KNOWN or size < 0:
            return self._next_general()  # to raise what is wrong with it
        raw_from = self._raw_from
        if raw_from < 0:
            raw_from = pos
        self._raw_from = -1
        self._pos = end
        split = self._split
        if typeflag in _HEADER_ONLY:
            entry.size = size = 0
        stop = end + size
        pad = -size % BLOCK
        if typeflag in _FILES and size <= _HANDOFF and stop + pad <= len(buf) and ".wh." not in entry.name:
            # A small file, all here: handed out with the entry, the split noting header and payload at once.
            if split is not None:
                if size:
                    split.raw_then_payload(buf[raw_from:end], entry.name, size)
                else:
                    split.raw(buf[raw_from:end])
            entry.data = buf[end:stop]
            self._pos = stop + pad
            if pad:
                self._raw_from = stop
            return entry
        if split is not None:
            split.raw(buf[raw_from:end])
        self._remaining = size
        self._pad = pad
        return entry

    def _next_general(self) -> TarEntry | None:
        """:meth:`next_entry` for every case: pax and GNU headers, headers across chunks, the end."""
        split = self._split
        pax: dict[str, bytes] | None = None
        long_name: bytes | None = None
        long_link: bytes | None = None
        while True:
            raw_from = self._raw_from
            header = self._header()
            if not header:
                return None
            if split is not None:
                if raw_from >= 0 and self._raw_from == raw_from:
                    split.raw(self._buf[raw_from : self._pos])  # the last file's padding and this header
                else:
                    split.raw(header)
                self._raw_from = -1
            if header == ZERO_BLOCK:
                self._drain()
                return None
            typeflag = header[156:157]
            if typeflag in _META:
                _check_sum(header)
                size = parse_number(header[124:136])
                if size > MAX_SPECIAL_SIZE:
                    raise InvalidTar(f"tar header of type {typeflag.decode()!r} is too large ({size} bytes)")
                data = self._read(size)
                padding = self._read(-size % BLOCK)
                if split is not None:
                    split.raw(data)
                    split.raw(padding)
                if typeflag == XHDTYPE:
                    pax = parse_pax(data) if pax is None else pax | parse_pax(data)
                elif typeflag == GNU_LONGNAME:
                    long_name = data.split(b"\x00", 1)[0]
                elif typeflag == GNU_LONGLINK:
                    long_link = data.split(b"\x00", 1)[0]
                continue
            entry = _parse_header(header, long_name, long_link)
            typeflag = entry.type
            if pax:
                apply_pax(entry, pax)
            if typeflag not in _KNOWN:
                if typeflag == GNU_SPARSE:
                    raise UnsupportedTarEntry(f"{entry.name!r}: GNU sparse files are not supported")
                raise UnsupportedTarEntry(f"{entry.name!r}: unhandled tar header type {typeflag!r}")
            if typeflag in _HEADER_ONLY:
                entry.size = 0
            if entry.size < 0:
                raise InvalidTar(f"{entry.name!r}: negative size in tar header")
            self._remaining = entry.size
            self._pad = -entry.size % BLOCK
            if typeflag in _FILES and ".wh." not in entry.name:
                entry.data = self._take_payload(entry.name)
            return entry

    def _drain(self) -> None:
        """Consume everything after the end-of-archive marker (kept raw, for the diff ID and the split)."""
        self._flush_pending()
        split = self._split
        rest = self._buf[self._pos :]
        self._buf, self._pos = b"", 0
        while True:
            if rest and split is not None:
                split.raw(rest)
            rest = self._next()
            if not rest:
                return

    def copy_payload(self, fd: int, name: str) -> None:
        """Write the current entry's payload to ``fd``, noting it in the split as the file ``name``."""
        write = os.write
        for piece in self.payload_pieces(name):
            done = write(fd, piece)
            while done < len(piece):
                done += write(fd, memoryview(piece)[done:])

    def payload_pieces(self, name: str = "") -> Iterator[bytes | memoryview]:
        """The current entry's payload, piece by piece as the stream brings it (noted in the split as ``name``).

        A piece is valid until the next one is asked for: copy it or write it out.
        """
        # The whole payload and its padding in the current chunk: the common case for small files.
        data = self._take_payload(name, _SMALL)
        if data is not None:
            if data:
                yield data
            return
        self._flush_pending()
        if self._split is not None and self._remaining:
            self._split.payload(name, self._remaining)
        while self._remaining:
            buf, pos = self._buf, self._pos
            avail = len(buf) - pos
            if avail == 0:
                buf, pos = self._next(), 0
                avail = len(buf)
                self._buf, self._pos = buf, 0
                if not avail:
                    raise InvalidTar(f"unexpected EOF in the payload of {name or 'a file'!r}")
            take = min(avail, self._remaining)
            piece: bytes | memoryview
            if pos == 0 and take == len(buf):
                piece = buf
            elif take <= _SMALL:
                piece = buf[pos : pos + take]
            else:
                piece = memoryview(buf)[pos : pos + take]
            self._pos = pos + take
            self._remaining -= take
            yield piece
        self._skip_padding()

    def _take_payload(self, name: str, limit: int = _HANDOFF) -> bytes | None:
        """The current entry's payload if at most ``limit`` bytes and already buffered with its padding,
        noted in the split as the file ``name``. None (nothing consumed) otherwise.
        """
        remaining = self._remaining
        pos = self._pos
        end = pos + remaining
        pad = self._pad
        if remaining > limit or end + pad > len(self._buf):
            return None
        self._flush_pending()
        if self._split is not None and remaining:
            self._split.payload(name, remaining)
        data = self._buf[pos:end]
        if pad:
            self._raw_from = end
        self._pos = end + pad
        self._remaining = self._pad = 0
        return data

    def read_payload(self, limit: int = MAX_SPECIAL_SIZE) -> bytes:
        """The current entry's payload as bytes (kept raw in the split). Raises InvalidTar above ``limit``."""
        if self._remaining > limit:
            raise InvalidTar(f"tar entry payload too large ({self._remaining} bytes)")
        data = self._read(self._remaining)
        if self._split is not None:
            self._split.raw(data)
        self._remaining = 0
        self._skip_padding()
        return data

    def skip_payload(self) -> None:
        """Consume the current entry's payload without writing it (kept raw in the split)."""
        self._flush_pending()
        remaining = self._remaining
        split = self._split
        while remaining:
            step = min(remaining, 1 << 20)
            data = self._read(step)
            if split is not None:
                split.raw(data)
            remaining -= step
        self._remaining = 0
        self._skip_padding()

    def _skip_padding(self) -> None:
        """Consume the current entry's padding (the archive may end inside it with ``end_in_padding``)."""
        if self._pad:
            padding = self._read_upto(self._pad) if self._end_in_padding else self._read(self._pad)
            if self._split is not None:
                self._split.raw(padding)
            self._pad = 0


def _check_sum(header: bytes) -> None:
    """Raise InvalidTar unless the header's checksum is right."""
    field = header[148:156]
    try:
        stored = int(field.strip(b" \x00"), 8)
    except ValueError:
        stored = parse_number(field)
    # adler32's low half is 1 + the byte sum mod 65521: a C-speed checksum of the header.
    if (adler32(header) & 0xFFFF) != (1 + stored - 256 + sum(field)) % 65521 and stored != _signed_sum(header):
        raise InvalidTar("invalid tar header: checksum mismatch (is this a tar archive?)")


def _parse_header(header: bytes, long_name: bytes | None, long_link: bytes | None) -> TarEntry:
    """The entry a header block describes (checksum checked; octal or base-256 numbers), before pax records."""
    _check_sum(header)
    try:
        size = int(header[124:136].strip(b" \x00"), 8)
        mode = int(header[100:108].strip(b" \x00"), 8)
        uid = int(header[108:116].strip(b" \x00"), 8)
        gid = int(header[116:124].strip(b" \x00"), 8)
        mtime = int(header[136:148].strip(b" \x00"), 8)
    except ValueError:
        size = parse_number(header[124:136])
        mode = parse_number(header[100:108])
        uid = parse_number(header[108:116])
        gid = parse_number(header[116:124])
        mtime = parse_number(header[136:148])
    if long_name is not None:
        raw_name = long_name
    else:
        raw_name = header[:100].split(b"\x00", 1)[0]
        if header[345] != 0 and header[257:263] == _USTAR:
            raw_name = header[345:500].split(b"\x00", 1)[0] + b"/" + raw_name
    typeflag = header[156:157]
    if typeflag == AREGTYPE:
        typeflag = REGTYPE
        if raw_name.endswith(b"/"):
            typeflag = b"5"
    if long_link is not None:
        raw_link = long_link
    elif header[157] != 0:
        raw_link = header[157:257].split(b"\x00", 1)[0]
    else:
        raw_link = b""
    device = typeflag == b"3" or typeflag == b"4"
    return TarEntry(
        raw_name.decode("utf-8", "surrogateescape"),
        typeflag,
        mode,
        uid,
        gid,
        size,
        mtime * 1_000_000_000,
        None,
        raw_link.decode("utf-8", "surrogateescape") if raw_link else "",
        parse_number(header[329:337]) if device else 0,
        parse_number(header[337:345]) if device else 0,
    )


def _signed_sum(header: bytes) -> int:
    """The historic checksum over signed chars, which some old writers used."""
    return sum(b - 256 if b > 127 else b for b in header[:148] + b"        " + header[156:])
