"""The ``local`` driver: compact binary frames, rotated and compressed by default.

Docker documents the defaults (``max-size`` 20 MB, ``max-file`` 5,
``compress`` true) and keeps the format private; ours is::

    frame   = size:u32be payload size:u32be        (the trailing size lets tail walk backwards)
    payload = version:u8 source:u8 flags:u8 0:u8 count:u32be time:i64be (ns)
              [ordinal:u32be idlen:u8 id]           if flags & PARTIAL
              [len:u32be attrs-json]                if flags & ATTRS
              [len:u8 source-name]                  if source == 0 (neither stdout nor stderr)
              data

A frame holds ``count`` messages of one stream and one timestamp: a whole
:class:`LineBlock` (``data`` = its newline-terminated lines, written as read,
no per-line work), one complete message (its line and ``\\n``) or one partial
message (its bytes, ``LAST`` set on the final part).
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path

import msgspec

from pymoby import errdefs

from ._codec import DecodeError, ReadAt
from ._driver import FileLogger
from ._info import LogInfo
from ._jsonfile import parse_bool
from ._logfile import LogFile
from ._message import Entry, LineBlock, Message, PartialMetadata
from ._sizes import SizeError, from_human_size

__all__ = ["LocalCodec", "LocalConfig", "LocalLogger", "validate_local_options"]

NAME = "local"
DEFAULT_MAX_SIZE = 20 * 1024 * 1024
DEFAULT_MAX_FILES = 5
_OPTIONS = frozenset({"max-file", "max-size", "compress", "env", "env-regex", "labels", "labels-regex", "tag"})

_VERSION = 1
_PARTIAL, _LAST, _ATTRS = 1, 2, 4
_SIZE = struct.Struct(">I")
_HEADER = struct.Struct(">BBBxIq")
_PARTIAL_HEADER = struct.Struct(">IB")
_SOURCES = {"stdout": 1, "stderr": 2}
_SOURCE_NAMES = {1: "stdout", 2: "stderr"}
_LINES = re.compile(rb"[^\n]*\n")


class LocalCodec:
    """Encode and decode local frames; ``attrs`` are stored with every frame."""

    def __init__(self, attrs: Mapping[str, str] | None = None) -> None:
        self._attrs = json.dumps(dict(attrs), separators=(",", ":")).encode() if attrs else b""

    def _frame(self, source: str, flags: int, count: int, timestamp: int, extra: bytes, data: bytes) -> bytes:
        code = _SOURCES.get(source, 0)
        if self._attrs:
            flags |= _ATTRS
            extra += _SIZE.pack(len(self._attrs)) + self._attrs
        if code == 0:
            name = source.encode()[:255]
            extra += bytes([len(name)]) + name
        payload_size = _HEADER.size + len(extra) + len(data)
        size = _SIZE.pack(payload_size)
        return b"".join((size, _HEADER.pack(_VERSION, code, flags, count, timestamp), extra, data, size))

    def encode(self, entries: Sequence[Entry]) -> bytes:
        """The frames for ``entries``."""
        frames = []
        for entry in entries:
            if isinstance(entry, LineBlock):
                frames.append(self._frame(entry.source, 0, entry.count(), entry.timestamp, b"", entry.data))
            elif entry.partial is None:
                frames.append(self._frame(entry.source, 0, 1, entry.timestamp, b"", entry.line + b"\n"))
            else:
                partial = entry.partial
                ident = partial.id.encode()[:255]
                extra = _PARTIAL_HEADER.pack(partial.ordinal, len(ident)) + ident
                flags = _PARTIAL | (_LAST if partial.last else 0)
                frames.append(self._frame(entry.source, flags, 1, entry.timestamp, extra, entry.line))
        return frames[0] if len(frames) == 1 else b"".join(frames)

    def complete(self, data: bytes) -> int:
        """Bytes of whole frames at the start of ``data``."""
        position = 0
        while position + 4 <= len(data):
            (size,) = _SIZE.unpack_from(data, position)
            end = position + 8 + size
            if end > len(data):
                break
            position = end
        return position

    def cut(self, data: bytes, room: int) -> int:
        """End of the frame that covers byte ``room - 1``."""
        position = 0
        while position < len(data):
            (size,) = _SIZE.unpack_from(data, position)
            position += 8 + size
            if position >= room:
                break
        return min(position, len(data))

    def decode(self, data: bytes) -> list[Message]:
        """The messages of whole frames; ``ValueError`` when a frame is corrupt."""
        out: list[Message] = []
        try:
            self._decode_into(data, out)
        except (ValueError, struct.error, IndexError, KeyError, UnicodeDecodeError) as exc:
            raise DecodeError(f"error decoding log entry: {exc}", out) from exc
        return out

    def _decode_into(self, data: bytes, out: list[Message]) -> None:
        position = 0
        while position < len(data):
            try:
                (size,) = _SIZE.unpack_from(data, position)
                start = position + 4
                end = start + size
                (footer,) = _SIZE.unpack_from(data, end)
                version, code, flags, count, timestamp = _HEADER.unpack_from(data, start)
            except struct.error as exc:
                raise ValueError(f"truncated log frame at {position}") from exc
            if footer != size or version != _VERSION:
                raise ValueError(f"corrupt log frame at {position}")
            cursor = start + _HEADER.size
            partial = None
            if flags & _PARTIAL:
                ordinal, id_size = _PARTIAL_HEADER.unpack_from(data, cursor)
                cursor += _PARTIAL_HEADER.size
                ident = data[cursor : cursor + id_size].decode()
                cursor += id_size
                partial = PartialMetadata(ident, ordinal, bool(flags & _LAST))
            attrs: dict[str, str] = {}
            if flags & _ATTRS:
                (attrs_size,) = _SIZE.unpack_from(data, cursor)
                cursor += 4
                attrs = msgspec.json.decode(data[cursor : cursor + attrs_size], type=dict[str, str])
                cursor += attrs_size
            if code == 0:
                name_size = data[cursor]
                source = data[cursor + 1 : cursor + 1 + name_size].decode()
                cursor += 1 + name_size
            else:
                source = _SOURCE_NAMES[code]
            body = data[cursor:end]
            if partial is not None:
                line = body + b"\n" if partial.last else body
                out.append(Message(line, source, timestamp, partial, attrs))
            else:
                lines = _LINES.findall(body)
                if len(lines) != count:
                    raise ValueError(f"corrupt log frame at {position}: {len(lines)} lines, header says {count}")
                out.extend(Message(line, source, timestamp, None, attrs) for line in lines)
            position = end + 4

    def tail(self, read_at: ReadAt, size: int, count: int) -> tuple[int, int, int]:
        """Walk frames back from the end until ``count`` messages are covered."""
        found = 0
        end = size
        while end > 0 and found < count:
            footer = read_at(end - 4, 4)
            if len(footer) != 4:
                raise ValueError("truncated log frame footer")
            (payload,) = _SIZE.unpack(footer)
            start = end - 8 - payload
            if start < 0:
                raise ValueError("log frame header and footer disagree")
            header = read_at(start, 4 + _HEADER.size)
            if len(header) != 4 + _HEADER.size or _SIZE.unpack_from(header)[0] != payload:
                raise ValueError("log frame header and footer disagree")
            found += _HEADER.unpack_from(header, 4)[3]
            end = start
        if found > count:
            return end, found - count, count
        return end, 0, found


class LocalConfig(msgspec.Struct, frozen=True):
    """The local driver's options, parsed (with Docker's defaults)."""

    max_size: int = DEFAULT_MAX_SIZE
    max_files: int = DEFAULT_MAX_FILES
    compress: bool = True

    @classmethod
    def parse(cls, options: Mapping[str, str]) -> LocalConfig:
        """Parse the options; ``InvalidParameter`` with Docker's messages."""
        max_size, max_files, compress = DEFAULT_MAX_SIZE, DEFAULT_MAX_FILES, True
        if "max-size" in options:
            try:
                max_size = from_human_size(options["max-size"])
            except SizeError as exc:
                raise errdefs.InvalidParameter(f"invalid value for max-size: {options['max-size']}: {exc}") from None
        if "max-file" in options:
            try:
                max_files = int(options["max-file"], 10)
            except ValueError:
                raise errdefs.InvalidParameter(
                    f"invalid value for max-file: {options['max-file']}: strconv.Atoi: "
                    f'parsing "{options["max-file"]}": invalid syntax'
                ) from None
        if "compress" in options:
            try:
                compress = parse_bool(options["compress"])
            except errdefs.InvalidParameter as exc:
                raise errdefs.InvalidParameter(f"invalid boolean value for compress: {exc}") from None
        if max_files < 0:
            raise errdefs.InvalidParameter("max-file must not be negative")
        if compress and max_files <= 1:
            raise errdefs.InvalidParameter("compression cannot be enabled when max file count is 1")
        return cls(max_size, max_files, compress)


def validate_local_options(options: Mapping[str, str]) -> None:
    """Check the option names (Docker's message for an unknown one) and values."""
    for key in options:
        if key not in _OPTIONS:
            raise errdefs.InvalidParameter(f"unknown log opt '{key}' for log driver {NAME}")
    LocalConfig.parse(options)


class LocalLogger(FileLogger):
    """The local driver for one container: ``<container dir>/local-logs/container.log``."""

    driver_name = NAME

    @classmethod
    def create(cls, info: LogInfo) -> LocalLogger:
        """Open (or create, with its directory) ``info.log_path``; ``InvalidParameter`` for bad options."""
        if not info.log_path:
            raise errdefs.System("log path is missing -- this is a bug and should not happen")
        config = LocalConfig.parse(info.config)
        attrs = info.extra_attributes()
        if info.config.get("tag"):
            tag = info.tag()
            if tag:
                attrs["tag"] = tag
        Path(info.log_path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        log_file = LogFile(
            info.log_path,
            LocalCodec(attrs),
            max_size=config.max_size,
            max_files=max(config.max_files, 1),
            compress=config.compress,
        )
        return cls(log_file)
