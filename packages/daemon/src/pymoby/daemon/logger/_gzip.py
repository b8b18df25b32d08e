"""Compressed rotated log files, as Docker's ``loggerutils`` writes them.

A rotated file ``NAME.1`` becomes ``NAME.1.gz``: a gzip stream whose header
``Extra`` field holds ``{"lastTime":"<RFC 3339>"}``, the time of the file's
last entry, so a reader asked for ``since`` can skip the whole file without
decompressing it. The uncompressed file is removed only once the compressed
one is complete, so a reader that tries the plain name first always finds a
whole copy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import struct
import tempfile
import zlib
from typing import BinaryIO

from ._timefmt import format_rfc3339nano, parse_rfc3339nano

__all__ = ["compress_file", "decompress_to_tempfile", "gzip_last_time"]

log = logging.getLogger(__name__)

_FEXTRA, _FNAME, _FCOMMENT, _FHCRC = 4, 8, 16, 2
_BLOCK = 1 << 20


def compress_file(path: str, last_timestamp: int, perms: int = 0o640) -> None:
    """Compress ``path`` into ``path.gz`` (lastTime in the header), then remove ``path``.

    Never raises: a failure is logged (Docker logs it too) and leaves ``path``
    in place; a missing ``path`` (already rotated away) is not an error.
    """
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return
    except OSError as exc:
        log.error("Error compressing log file after rotation: failed to open log file: %s", exc)
        return
    target = path + ".gz"
    try:
        with source, open(os.open(target, os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_CLOEXEC, perms), "wb") as out:
            extra = json.dumps({"lastTime": format_rfc3339nano(last_timestamp)}, separators=(",", ":")).encode()
            out.write(b"\x1f\x8b\x08" + bytes([_FEXTRA]) + b"\0\0\0\0\0\xff" + struct.pack("<H", len(extra)) + extra)
            deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            crc = 0
            size = 0
            while block := source.read(_BLOCK):
                crc = zlib.crc32(block, crc)
                size += len(block)
                out.write(deflate.compress(block))
            out.write(deflate.flush())
            out.write(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    except OSError as exc:
        log.error("Error compressing log file after rotation: error compressing log file %s: %s", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(target)
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def gzip_last_time(file: BinaryIO) -> int | None:
    """The ``lastTime`` of a compressed log file's header, in nanoseconds; ``None`` when absent.

    Leaves ``file`` positioned at its start.
    """
    file.seek(0)
    head = file.read(12)
    try:
        if len(head) < 12 or head[:2] != b"\x1f\x8b" or not head[3] & _FEXTRA:
            return None
        (length,) = struct.unpack("<H", head[10:12])
        last = json.loads(file.read(length)).get("lastTime")
        return parse_rfc3339nano(last) if isinstance(last, str) else None
    except (ValueError, AttributeError):
        return None
    finally:
        file.seek(0)


def decompress_to_tempfile(file: BinaryIO, directory: str | None = None) -> BinaryIO:
    """Decompress the gzip stream ``file`` into an anonymous temporary file, positioned at 0.

    Raises ``OSError`` (``zlib.error``/``EOFError`` become ``OSError``) when
    the stream is corrupt.
    """
    out = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - returned to the caller
    try:
        file.seek(0)
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while block := file.read(_BLOCK):
            out.write(inflate.decompress(block))
            while inflate.eof and inflate.unused_data:
                rest = inflate.unused_data
                inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out.write(inflate.decompress(rest))
        out.write(inflate.flush())
        if not inflate.eof:
            raise OSError("unexpected end of compressed log file")
    except (zlib.error, OSError) as exc:
        out.close()
        raise OSError(f"error decompressing log file: {exc}") from exc
    out.seek(0)
    return out
