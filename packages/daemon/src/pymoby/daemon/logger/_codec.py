"""The seam between a file-backed driver's format and the file machinery.

:class:`~._logfile.LogFile` rotates, compresses, tails and follows files
without knowing what an entry looks like; a codec tells it. Entries are
self-delimiting byte strings written whole, so a reader that has the first
``n`` bytes a writer reported always holds whole entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ._message import Entry, Message

__all__ = ["DecodeError", "LogCodec", "ReadAt"]

#: ``read_at(offset, length)``: up to ``length`` bytes of a file from ``offset``.
ReadAt = Callable[[int, int], bytes]


class DecodeError(ValueError):
    """An entry could not be decoded; :attr:`messages` are the ones before it."""

    def __init__(self, message: str, messages: list[Message]) -> None:
        super().__init__(message)
        self.messages = messages


class LogCodec(Protocol):
    """A log file format."""

    def encode(self, entries: Sequence[Entry]) -> bytes:
        """The file bytes for ``entries`` (whole entries, in order)."""
        ...

    def complete(self, data: bytes) -> int:
        """How many bytes at the start of ``data`` are whole entries."""
        ...

    def decode(self, data: bytes) -> list[Message]:
        """The messages of ``data``, which holds whole entries; complete lines end with ``\\n``.

        Raises :class:`DecodeError` (with the messages before it) when an entry is malformed.
        """
        ...

    def cut(self, data: bytes, room: int) -> int:
        """Where to split ``data`` so the first part ends with the entry covering byte ``room - 1``.

        Returns at least the length of the first entry and at most ``len(data)``;
        used to rotate at ``max-size`` within a batch, as Docker rotates between entries.
        """
        ...

    def tail(self, read_at: ReadAt, size: int, count: int) -> tuple[int, int, int]:
        """Find the last ``count`` messages of a file of ``size`` bytes.

        Returns ``(offset, skip, found)``: decode from ``offset``, drop the
        first ``skip`` messages, and ``found`` messages remain (fewer than
        ``count`` when the file holds fewer).
        """
        ...
