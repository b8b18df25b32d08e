"""The log driver interface (Docker's ``logger.Logger`` and ``logger.LogReader``).

A driver takes messages (:meth:`Logger.log`) and, for speed, batches
(:meth:`Logger.log_batch`: :class:`Message` and :class:`LineBlock` entries in
order); :meth:`Logger.close` flushes and ends readers. A driver that can be
read back also implements :class:`LogReader`; :func:`open_log_reader` says
Docker's "configured logging driver does not support reading" for the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable

from pymoby import errdefs

from ._codec import LogCodec
from ._logfile import LogFile
from ._message import Entry, LineBlock, Message, ReadConfig

__all__ = ["BaseLogger", "FileLogger", "LogReader", "Logger", "NoneLogger", "ReadLogsNotSupported", "open_log_reader"]


class ReadLogsNotSupported(errdefs.NotImplemented):
    """The container's log driver cannot be read back (``docker logs`` with ``none``, syslog ...)."""

    def __init__(self, message: str = "configured logging driver does not support reading") -> None:
        super().__init__(message)


@runtime_checkable
class Logger(Protocol):
    """A log driver instance for one container."""

    def name(self) -> str:
        """The driver's name (``json-file``)."""
        ...

    async def log(self, message: Message) -> None:
        """Record one message (its line without the newline)."""
        ...

    async def log_batch(self, entries: Sequence[Entry]) -> None:
        """Record several entries, in order."""
        ...

    async def close(self) -> None:
        """Flush and stop; readers that follow drain and end."""
        ...


@runtime_checkable
class LogReader(Protocol):
    """A driver whose logs can be read back."""

    def read_logs(self, config: ReadConfig) -> AbstractAsyncContextManager[AsyncIterator[list[Message]]]:
        """``async with driver.read_logs(cfg) as batches: async for batch in batches: ...``

        Complete lines end with ``\\n`` in the messages read back.
        """
        ...


def open_log_reader(driver: Logger) -> LogReader:
    """``driver`` as a :class:`LogReader`; raises :class:`ReadLogsNotSupported` when it is not one."""
    if not isinstance(driver, LogReader):
        raise ReadLogsNotSupported
    return driver


class BaseLogger:
    """A base for drivers that only know :meth:`log`: batches are split into messages."""

    driver_name = ""

    def name(self) -> str:
        """The driver's registered name."""
        return self.driver_name

    async def log(self, message: Message) -> None:  # pragma: no cover - overridden
        """Record one message."""
        raise NotImplementedError

    async def log_batch(self, entries: Sequence[Entry]) -> None:
        """Record each entry through :meth:`log`."""
        for entry in entries:
            if isinstance(entry, LineBlock):
                for message in entry.messages():
                    await self.log(message)
            else:
                await self.log(entry)

    async def close(self) -> None:
        """Nothing to release."""


class FileLogger(BaseLogger):
    """A driver that writes ``codec`` entries into a rotating :class:`LogFile` (json-file, local)."""

    def __init__(self, log_file: LogFile) -> None:
        self.log_file = log_file

    @property
    def codec(self) -> LogCodec:
        """The file format."""
        return self.log_file.codec

    async def log(self, message: Message) -> None:
        """Append one message."""
        await self.log_file.write(self.codec.encode([message]), message.timestamp)

    async def log_batch(self, entries: Sequence[Entry]) -> None:
        """Append the entries with one write (split only at a rotation)."""
        if entries:
            await self.log_file.write(self.codec.encode(entries), entries[-1].timestamp)

    async def close(self) -> None:
        """Close the file: followers drain and end."""
        await self.log_file.close()

    def read_logs(self, config: ReadConfig) -> AbstractAsyncContextManager[AsyncIterator[list[Message]]]:
        """Read back (see :mod:`._reader`)."""
        return self.log_file.read(config)


class NoneLogger(BaseLogger):
    """The ``none`` driver: discards everything and cannot be read."""

    driver_name = "none"

    async def log(self, message: Message) -> None:
        """Discard ``message``."""

    async def log_batch(self, entries: Sequence[Entry]) -> None:
        """Discard ``entries``."""
