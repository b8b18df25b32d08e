"""The tar format: header fields, numbers, PAX records, and header encoding.

Reads ustar, POSIX pax (``x`` records) and GNU (``L``/``K`` long names,
base-256 numbers) headers, as written by GNU tar, Go's archive/tar (Docker,
BuildKit, containerd) and Python's tarfile. Writes ustar headers, with a pax
record block only where ustar cannot hold a value (long or non-ASCII names,
large numbers, extended attributes), in a deterministic byte layout.
"""

from __future__ import annotations

from ._errors import InvalidTar, UnsupportedTarEntry

__all__ = [
    "BLOCK",
    "REGTYPE",
    "TarEntry",
    "encode_header",
    "parse_number",
    "parse_pax",
]

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)

REGTYPE = b"0"
AREGTYPE = b"\x00"
LNKTYPE = b"1"
SYMTYPE = b"2"
CHRTYPE = b"3"
BLKTYPE = b"4"
DIRTYPE = b"5"
FIFOTYPE = b"6"
CONTTYPE = b"7"
XHDTYPE = b"x"
XGLTYPE = b"g"
GNU_LONGNAME = b"L"
GNU_LONGLINK = b"K"
GNU_SPARSE = b"S"
GNU_DUMPDIR = b"D"

#: Longest pax header or GNU long name we accept (as Go's archive/tar does).
MAX_SPECIAL_SIZE = 1 << 20

XATTR_PAX_PREFIX = "SCHILY.xattr."


class TarEntry:
    """One member of a tar stream, after its pax and GNU headers are applied.

    ``name`` and ``linkname`` are decoded with surrogateescape, so any byte
    string round-trips through the ``os`` functions. Times are in nanoseconds.
    """

    __slots__ = (
        "atime_ns",
        "data",
        "devmajor",
        "devminor",
        "gid",
        "linkname",
        "mode",
        "mtime_ns",
        "name",
        "size",
        "type",
        "uid",
        "xattrs",
    )

    def __init__(
        self,
        name: str,
        type: bytes,  # noqa: A002 - the tar field's name
        mode: int = 0o644,
        uid: int = 0,
        gid: int = 0,
        size: int = 0,
        mtime_ns: int = 0,
        atime_ns: int | None = None,
        linkname: str = "",
        devmajor: int = 0,
        devminor: int = 0,
        xattrs: dict[str, bytes] | None = None,
        data: bytes | None = None,
    ) -> None:
        self.name = name
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime_ns = mtime_ns
        self.atime_ns = atime_ns
        self.linkname = linkname
        self.devmajor = devmajor
        self.devminor = devminor
        self.xattrs = xattrs
        #: The payload of a small regular file, when the reader handed it out with the entry.
        self.data = data

    def __repr__(self) -> str:
        return f"TarEntry({self.name!r}, type={self.type!r}, size={self.size}, mode={self.mode:o})"


def parse_number(field: bytes) -> int:
    """A numeric header field: octal ASCII, or GNU base-256 when the high bit of the first byte is set."""
    if field and field[0] & 0x80:
        value = field[0] & 0x7F
        negative = field[0] == 0xFF
        for byte in field[1:]:
            value = (value << 8) | byte
        if negative:
            value -= 1 << (8 * len(field) - 1)
        return value
    text = field.split(b"\x00", 1)[0].strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise InvalidTar(f"invalid tar header: bad number {field!r}") from exc


def parse_pax(data: bytes) -> dict[str, bytes]:
    """The records of a pax extended header block: ``"%d key=value\\n"`` each.

    Values stay bytes (xattr values are binary); keys are decoded as UTF-8.
    Raises InvalidTar on a malformed record.
    """
    records: dict[str, bytes] = {}
    pos = 0
    end = len(data)
    while pos < end:
        if data[pos] == 0:
            break
        space = data.find(b" ", pos, pos + 21)
        if space < 0:
            raise InvalidTar("invalid pax header: record without a length")
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise InvalidTar("invalid pax header: bad record length") from exc
        stop = pos + length
        if length <= 0 or stop > end or data[stop - 1 : stop] != b"\n":
            raise InvalidTar("invalid pax header: record length does not match")
        key, eq, value = data[space + 1 : stop - 1].partition(b"=")
        if not eq:
            raise InvalidTar("invalid pax header: record without '='")
        records[key.decode("utf-8", "surrogateescape")] = value
        pos = stop
    return records


def parse_pax_time(value: bytes) -> int:
    """A pax time (``"1700000000.123456789"``) in nanoseconds."""
    text = value.decode("ascii", "replace")
    try:
        seconds, _, fraction = text.partition(".")
        negative = seconds.startswith("-")
        ns = abs(int(seconds or "0")) * 1_000_000_000 + int((fraction + "000000000")[:9] or "0")
    except ValueError as exc:
        raise InvalidTar(f"invalid pax time {text!r}") from exc
    return -ns if negative else ns


def apply_pax(entry: TarEntry, pax: dict[str, bytes]) -> None:
    """Apply pax records to ``entry`` (path, linkpath, size, ids, times, xattrs).

    Raises UnsupportedTarEntry for GNU sparse files, InvalidTar for bad values.
    """
    for key, value in pax.items():
        try:
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
                entry.mtime_ns = parse_pax_time(value)
            elif key == "atime":
                entry.atime_ns = parse_pax_time(value)
            elif key.startswith(XATTR_PAX_PREFIX):
                if entry.xattrs is None:
                    entry.xattrs = {}
                entry.xattrs[key[len(XATTR_PAX_PREFIX) :]] = value
            elif key.startswith("GNU.sparse."):
                raise UnsupportedTarEntry(f"{entry.name!r}: GNU sparse files are not supported")
        except ValueError as exc:
            raise InvalidTar(f"invalid pax record {key}={value!r}") from exc


def _pax_block(name: str, records: dict[str, bytes]) -> bytes:
    body = bytearray()
    for key in sorted(records):
        payload = key.encode("utf-8", "surrogateescape") + b"=" + records[key] + b"\n"
        size = len(payload) + 2
        while len(str(size)) + 1 + len(payload) != size:
            size = len(str(size)) + 1 + len(payload)
        body += str(size).encode() + b" " + payload
    directory, _, base = name.rstrip("/").rpartition("/")
    pax_name = (f"{directory}/PaxHeaders/{base}" if directory else f"PaxHeaders/{base}").encode("ascii", "replace")
    header = _ustar(pax_name[:100], XHDTYPE, 0o644, 0, 0, len(body), 0, b"", 0, 0, b"")
    return header + bytes(body) + bytes(-len(body) % BLOCK)


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\x00" % (width - 1, value)


def _ustar(
    name: bytes,
    typeflag: bytes,
    mode: int,
    uid: int,
    gid: int,
    size: int,
    mtime: int,
    linkname: bytes,
    devmajor: int,
    devminor: int,
    prefix: bytes,
) -> bytes:
    header = b"".join(
        (
            name.ljust(100, b"\x00"),
            _octal(mode, 8),
            _octal(uid, 8),
            _octal(gid, 8),
            _octal(size, 12),
            _octal(mtime, 12),
            b"        ",
            typeflag,
            linkname.ljust(100, b"\x00"),
            b"ustar\x0000",
            bytes(64),
            _octal(devmajor, 8),
            _octal(devminor, 8),
            prefix.ljust(155, b"\x00"),
            bytes(12),
        )
    )
    checksum = b"%06o\x00 " % sum(header)
    return header[:148] + checksum + header[156:]


_MAX_OCTAL_7 = 0o7777777
_MAX_OCTAL_11 = 0o77777777777


def _split_name(raw: bytes) -> tuple[bytes, bytes] | None:
    """Split a name into ustar (prefix, name), or None if it does not fit."""
    if len(raw) <= 100:
        return b"", raw
    cut = raw.find(b"/", max(0, len(raw) - 101))
    while 0 < cut <= 155:
        if len(raw) - cut - 1 <= 100:
            return raw[:cut], raw[cut + 1 :]
        cut = raw.find(b"/", cut + 1)
    return None


def encode_header(
    name: str,
    typeflag: bytes,
    *,
    mode: int = 0o644,
    uid: int = 0,
    gid: int = 0,
    size: int = 0,
    mtime: int = 0,
    linkname: str = "",
    devmajor: int = 0,
    devminor: int = 0,
    xattrs: dict[str, bytes] | None = None,
) -> bytes:
    """The header block(s) for one entry: a ustar header, preceded by a pax block when needed.

    ``mtime`` is in whole seconds (as Docker writes layer tars). The output is
    a pure function of the arguments, so equal entries give equal bytes.
    """
    records: dict[str, bytes] = {}
    raw_name = name.encode("utf-8", "surrogateescape")
    split = _split_name(raw_name) if raw_name.isascii() else None
    if split is None:
        records["path"] = raw_name
        split = (b"", name.encode("ascii", "replace")[:100])
    raw_link = linkname.encode("utf-8", "surrogateescape")
    if len(raw_link) > 100 or not raw_link.isascii():
        records["linkpath"] = raw_link
        raw_link = b""
    if uid > _MAX_OCTAL_7:
        records["uid"] = str(uid).encode()
        uid = 0
    if gid > _MAX_OCTAL_7:
        records["gid"] = str(gid).encode()
        gid = 0
    if size > _MAX_OCTAL_11:
        records["size"] = str(size).encode()
    if mtime < 0 or mtime > _MAX_OCTAL_11:
        records["mtime"] = str(mtime).encode()
        mtime = 0
    if xattrs:
        for key, value in xattrs.items():
            records[XATTR_PAX_PREFIX + key] = value
    header = _ustar(
        split[1],
        typeflag,
        mode & 0o7777,
        uid,
        gid,
        0 if size > _MAX_OCTAL_11 else size,
        mtime,
        raw_link,
        devmajor,
        devminor,
        split[0],
    )
    if records:
        return _pax_block(name, records) + header
    return header
