"""The ``json-file`` driver: Docker's default, byte for byte.

One JSON object per line, in Docker's field order::

    {"log":"hello\\n","stream":"stdout","attrs":{"k":"v"},"time":"2024-01-01T00:00:00.123456789Z"}

``log`` keeps the newline of a complete line; a partial message (a line
longer than 16 KiB, split by the copier) is written without one. ``attrs``
appears when ``labels``/``env``/``tag`` options select some. Options:
``max-size`` (decimal units), ``max-file``, ``compress``.

A :class:`LineBlock` is encoded in one pass: the block is escaped whole and
every ``\\n`` becomes the end of one entry and the start of the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from pymoby import errdefs

from ._codec import DecodeError, ReadAt
from ._driver import FileLogger
from ._info import LogInfo
from ._jsonescape import escape_json_string, escape_lines
from ._logfile import LogFile
from ._message import Entry, LineBlock, Message
from ._sizes import SizeError, from_human_size
from ._timefmt import format_rfc3339nano, parse_rfc3339nano

__all__ = ["JsonFileCodec", "JsonFileConfig", "JsonFileLogger", "validate_json_file_options"]

NAME = "json-file"
_COMMON = frozenset({"env", "env-regex", "labels", "labels-regex", "tag"})
_OWN = frozenset({"max-file", "max-size", "compress"})
_PREFIX = b'{"log":"'
_TAIL_BLOCK = 1 << 20


def go_json_string(text: str) -> bytes:
    """``text`` as Go's ``encoding/json`` writes a string (HTML characters escaped)."""
    return escape_json_string(text.encode("utf-8", "surrogateescape")).replace(b"\\u0009", b"\\t")


def _go_json_object(values: Mapping[str, str]) -> bytes:
    """A ``map[string]string`` as ``json.Marshal`` writes it (keys sorted)."""
    items = (go_json_string(k) + b":" + go_json_string(v) for k, v in sorted(values.items()))
    return b"{" + b",".join(items) + b"}"


class _Entry(msgspec.Struct):
    log: str = ""
    stream: str = ""
    attrs: dict[str, str] | None = None
    time: str = ""


_decoder = msgspec.json.Decoder(_Entry)


def _message(entry: _Entry) -> Message:
    return Message(
        entry.log.encode("utf-8", "surrogatepass"), entry.stream, parse_rfc3339nano(entry.time), None, entry.attrs or {}
    )


class JsonFileCodec:
    """Encode and decode json-file entries; ``attrs`` are the extra attributes of every entry."""

    def __init__(self, attrs: Mapping[str, str] | None = None) -> None:
        self._attrs = b',"attrs":' + _go_json_object(attrs) if attrs else b""
        self._stamp = -1
        self._stamp_text = b""

    def _time(self, ns: int) -> bytes:
        if ns != self._stamp:
            self._stamp = ns
            self._stamp_text = format_rfc3339nano(ns).encode()
        return self._stamp_text

    def _block(self, block: LineBlock) -> bytes:
        separator = (
            b'\\n","stream":"'
            + block.source.encode()
            + b'"'
            + self._attrs
            + b',"time":"'
            + self._time(block.timestamp)
            + b'"}\n'
            + _PREFIX
        )
        body = escape_lines(block.data).replace(b"\n", separator)
        return _PREFIX + body[: -len(_PREFIX)]

    def _message(self, message: Message) -> bytes:
        line = message.line + b"\n" if message.complete else message.line
        parts = []
        if line:
            parts.append(b'"log":' + escape_json_string(line))
        if message.source:
            parts.append(b'"stream":' + escape_json_string(message.source.encode()))
        if self._attrs:
            parts.append(self._attrs[1:])
        parts.append(b'"time":"' + self._time(message.timestamp) + b'"')
        return b"{" + b",".join(parts) + b"}\n"

    def encode(self, entries: Sequence[Entry]) -> bytes:
        """The json-file lines for ``entries``."""
        if len(entries) == 1:
            entry = entries[0]
            return self._block(entry) if isinstance(entry, LineBlock) else self._message(entry)
        return b"".join(self._block(e) if isinstance(e, LineBlock) else self._message(e) for e in entries)

    def complete(self, data: bytes) -> int:
        """Bytes up to and including the last newline."""
        return data.rfind(b"\n") + 1

    def decode(self, data: bytes) -> list[Message]:
        """Messages of whole json-file lines; :class:`DecodeError` at the first malformed one."""
        try:
            return [_message(entry) for entry in _decoder.decode_lines(data)]
        except (msgspec.DecodeError, ValueError):
            pass
        out: list[Message] = []
        for line in data.split(b"\n")[:-1]:
            try:
                out.append(_message(_decoder.decode(line)))
            except (msgspec.DecodeError, ValueError) as exc:
                raise DecodeError(f"error decoding log entry: {exc}", out) from exc
        return out

    def cut(self, data: bytes, room: int) -> int:
        """End of the line that covers byte ``room - 1``."""
        end = data.find(b"\n", max(room - 1, 0))
        return len(data) if end == -1 else end + 1

    def tail(self, read_at: ReadAt, size: int, count: int) -> tuple[int, int, int]:
        """Start of the last ``count`` lines, scanning back for newlines."""
        if count <= 0 or size == 0:
            return size, 0, 0
        remaining = count
        high = size - 1  # the file's last byte is the last entry's newline
        while high > 0:
            low = max(0, high - _TAIL_BLOCK)
            chunk = read_at(low, high - low)
            found = chunk.count(b"\n")
            if found >= remaining:
                index = len(chunk)
                for _ in range(remaining):
                    index = chunk.rfind(b"\n", 0, index)
                return low + index + 1, 0, count
            remaining -= found
            high = low
        return 0, 0, count - remaining + 1


class JsonFileConfig(msgspec.Struct, frozen=True):
    """The json-file options, parsed."""

    max_size: int | None = None
    max_files: int = 1
    compress: bool = False

    @classmethod
    def parse(cls, options: Mapping[str, str]) -> JsonFileConfig:
        """Parse ``max-size``/``max-file``/``compress``; ``InvalidParameter`` in Docker's words."""
        max_size = None
        if "max-size" in options:
            try:
                max_size = from_human_size(options["max-size"])
            except SizeError as exc:
                raise errdefs.InvalidParameter(str(exc)) from None
            if max_size <= 0:
                raise errdefs.InvalidParameter("max-size must be a positive number")
        max_files = 1
        if "max-file" in options:
            max_files = _atoi(options["max-file"])
            if max_files < 1:
                raise errdefs.InvalidParameter("max-file cannot be less than 1")
        compress = False
        if "compress" in options:
            compress = parse_bool(options["compress"])
            if compress and (max_files == 1 or max_size is None):
                raise errdefs.InvalidParameter(
                    "compress cannot be true when max-file is less than 2 or max-size is not set"
                )
        return cls(max_size, max_files, compress)


def _atoi(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise errdefs.InvalidParameter(f'strconv.Atoi: parsing "{text}": invalid syntax') from None


def parse_bool(text: str) -> bool:
    """Go's ``strconv.ParseBool``; ``InvalidParameter`` otherwise."""
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise errdefs.InvalidParameter(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def validate_json_file_options(options: Mapping[str, str]) -> None:
    """Check the option names (Docker's message for an unknown one) and values."""
    for key in options:
        if key not in _COMMON and key not in _OWN:
            raise errdefs.InvalidParameter(f"unknown log opt '{key}' for json-file log driver")
    JsonFileConfig.parse(options)


class JsonFileLogger(FileLogger):
    """The json-file driver for one container: ``<container dir>/<id>-json.log``."""

    driver_name = NAME

    @classmethod
    def create(cls, info: LogInfo) -> JsonFileLogger:
        """Open (or create) ``info.log_path`` with the options of ``info.config``.

        Raises ``InvalidParameter`` for bad options and ``OSError`` when the
        file cannot be opened.
        """
        if not info.log_path:
            raise errdefs.System("log path is missing -- this is a bug and should not happen")
        config = JsonFileConfig.parse(info.config)
        attrs = info.extra_attributes()
        if info.config.get("tag"):
            tag = info.tag()
            if tag:
                attrs["tag"] = tag
        log_file = LogFile(
            info.log_path,
            JsonFileCodec(attrs),
            max_size=config.max_size,
            max_files=config.max_files,
            compress=config.compress,
        )
        return cls(log_file)
