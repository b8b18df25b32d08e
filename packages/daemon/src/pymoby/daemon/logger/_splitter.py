"""Splitting a stream's bytes into log messages as Docker's copier does.

Docker buffers 16 KiB per stream: every line becomes a message; a line that
fills the buffer without a newline is logged in 16 KiB partial messages
(same ID and timestamp, ordinals from 1) and its remainder, possibly empty,
as the last partial when the newline comes; what is left at end of stream is
a partial that is not last. So a line of L bytes gives L // 16384 partials
then one last message, whatever the reads looked like.

:meth:`LineSplitter.feed` keeps the common case (lines shorter than 16 KiB)
in C: the complete lines of a read go out as one :class:`LineBlock`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from ._message import MAX_LINE, Entry, LineBlock, Message, PartialMetadata

__all__ = ["LineSplitter"]

_WINDOW = MAX_LINE // 2


def _has_long_line(data: bytes) -> bool:
    """Whether a line of ``data`` (which ends with ``\\n``) has ``MAX_LINE`` bytes or more before its newline."""
    if len(data) <= MAX_LINE:
        return False
    # A run of MAX_LINE bytes without a newline covers a whole aligned window of half that.
    for start in range(0, len(data), _WINDOW):
        if data.find(b"\n", start, start + _WINDOW) == -1:
            return max(map(len, data.split(b"\n"))) >= MAX_LINE
    return False


class LineSplitter:
    """Turns one stream's reads into log entries (pure logic, no I/O)."""

    def __init__(self, source: str, new_id: Callable[[], str] | None = None) -> None:
        self.source = source
        self._pending = b""
        self._new_id = new_id or (lambda: secrets.token_hex(32))
        self._partial_id: str | None = None
        self._ordinal = 0
        self._partial_time = 0

    def _emit_partial(self, out: list[Entry], line: bytes, now: int, last: bool) -> None:
        if self._partial_id is None:
            self._partial_id = self._new_id()
            self._ordinal = 1
            self._partial_time = now
        metadata = PartialMetadata(self._partial_id, self._ordinal, last)
        out.append(Message(line, self.source, self._partial_time, metadata))
        self._ordinal += 1
        if last:
            self._partial_id = None

    def _emit_line(self, out: list[Entry], line: bytes, now: int) -> None:
        """One complete line (without its newline), split if long, ending a partial series if any."""
        while len(line) >= MAX_LINE:
            self._emit_partial(out, line[:MAX_LINE], now, last=False)
            line = line[MAX_LINE:]
        if self._partial_id is not None:
            self._emit_partial(out, line, now, last=True)
        else:
            out.append(Message(line, self.source, now))

    def feed(self, data: bytes, now: int) -> list[Entry]:
        """The entries completed by ``data``, read at ``now`` (ns)."""
        if self._pending:
            data = self._pending + data
        out: list[Entry] = []
        end = data.rfind(b"\n") + 1
        if end:
            complete = data[:end] if end < len(data) else data
            if self._partial_id is None and not _has_long_line(complete):
                out.append(LineBlock(complete, self.source, now))
            else:
                self._slow(out, complete, now)
        rest = data[end:] if end else data
        while len(rest) >= MAX_LINE:
            self._emit_partial(out, rest[:MAX_LINE], now, last=False)
            rest = rest[MAX_LINE:]
        self._pending = rest
        return out

    def _slow(self, out: list[Entry], complete: bytes, now: int) -> None:
        lines = complete.split(b"\n")
        lines.pop()
        short: list[bytes] = []
        for line in lines:
            if self._partial_id is None and len(line) < MAX_LINE:
                short.append(line)
                continue
            if short:
                out.append(LineBlock(b"\n".join(short) + b"\n", self.source, now))
                short = []
            self._emit_line(out, line, now)
        if short:
            out.append(LineBlock(b"\n".join(short) + b"\n", self.source, now))

    def finish(self, now: int) -> list[Entry]:
        """At end of stream: what is left, as a partial message that is not last."""
        out: list[Entry] = []
        if self._pending:
            self._emit_partial(out, self._pending, now, last=False)
            self._pending = b""
        return out
