"""What flows through a log driver: messages, blocks of lines, read configurations.

On the way in (copier -> driver) a :class:`Message` line has no trailing
newline; read back, a complete line ends with ``\\n`` and a partial one does
not, exactly as Docker's ``logger.Message`` does. A :class:`LineBlock` is the
copier's fast path: many complete lines of one stream read at one instant,
handed over as the bytes they were read as.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["MAX_LINE", "Entry", "LineBlock", "LogMode", "Message", "PartialMetadata", "ReadConfig"]

#: Docker's copier buffer: a line longer than this is logged as partial messages of this size.
MAX_LINE = 16 * 1024


@dataclass(frozen=True, slots=True)
class PartialMetadata:
    """Where a partial message belongs (Docker's ``backend.PartialLogMetaData``)."""

    id: str
    ordinal: int
    last: bool


@dataclass(slots=True)
class Message:
    """One log message (Docker's ``logger.Message``); ``timestamp`` is nanoseconds since the epoch, UTC."""

    line: bytes
    source: str = "stdout"
    timestamp: int = 0
    partial: PartialMetadata | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether this message ends a line (not a partial, or the last of its partials)."""
        return self.partial is None or self.partial.last


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Complete lines of one stream read at one instant.

    ``data`` holds one or more lines, each ending with ``\\n``, none longer
    than :data:`MAX_LINE` bytes before its newline; every line is one message
    stamped ``timestamp``.
    """

    data: bytes
    source: str
    timestamp: int

    def messages(self) -> list[Message]:
        """The block as one :class:`Message` per line (without the newlines)."""
        lines = self.data.split(b"\n")
        lines.pop()
        return [Message(line, self.source, self.timestamp) for line in lines]

    def count(self) -> int:
        """How many lines the block holds."""
        return self.data.count(b"\n")


Entry = Message | LineBlock


class LogMode(enum.Enum):
    """How the copier delivers to the driver (``--log-opt mode``)."""

    #: Wait for the driver: a slow driver slows the container down (Docker's default).
    BLOCKING = "blocking"
    #: Buffer up to ``max-buffer-size`` and drop what does not fit: the container never waits.
    NON_BLOCKING = "non-blocking"


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """What to read back (Docker's ``logger.ReadConfig``).

    ``since``/``until`` are nanoseconds since the epoch (``None``: open);
    ``tail`` is the number of last messages to start with (``-1``: all,
    ``0``: none); ``follow`` keeps reading what is written until the driver is
    closed (or ``until`` passes).
    """

    since: int | None = None
    until: int | None = None
    tail: int = -1
    follow: bool = False
