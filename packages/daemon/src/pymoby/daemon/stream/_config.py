"""A container's (or exec's) stdio as the daemon holds it (Docker's ``container/stream.Config``).

- ``stdout``/``stderr``: :class:`Broadcaster` s. The log copier tees the
  process's output into them (:meth:`StreamConfig.tees`); attached clients
  subscribe.
- stdin: the writer into the process's stdin (libcontainerd's
  ``FifoWriter``), set at each start with :meth:`StreamConfig.set_stdin`, or
  none when the container was created without ``OpenStdin``. Every attached
  client writes into it; a lock keeps their writes whole.
"""

from __future__ import annotations

import anyio
import anyio.abc

from ._attach import AttachConfig, Attachment
from ._broadcaster import DEFAULT_LIMIT, Broadcaster, OverflowPolicy

__all__ = ["StreamConfig"]


class StreamConfig:
    """The stdio of one process, shared by the log copier and every attached client."""

    def __init__(self, *, limit: int = DEFAULT_LIMIT, policy: OverflowPolicy = OverflowPolicy.BLOCK) -> None:
        self.stdout = Broadcaster(limit, policy)
        self.stderr = Broadcaster(limit, policy)
        self._stdin: anyio.abc.ByteSendStream | None = None
        self._stdin_lock: anyio.Lock | None = None

    def tees(self) -> dict[str, anyio.abc.ByteSendStream]:
        """The broadcasters by stream name, for the copier's ``tees``."""
        return {"stdout": self.stdout, "stderr": self.stderr}

    @property
    def has_stdin(self) -> bool:
        """Whether the process has a stdin to write to (and it is still open)."""
        return self._stdin is not None

    def set_stdin(self, writer: anyio.abc.ByteSendStream | None) -> None:
        """Use ``writer`` as the process's stdin (at start; ``None``: no stdin)."""
        self._stdin = writer

    async def write_stdin(self, data: bytes) -> None:
        """Write ``data`` whole to the process's stdin.

        Raises ``anyio.ClosedResourceError`` when there is no stdin (any more)
        and ``anyio.BrokenResourceError`` when the process's end is gone.
        """
        if self._stdin_lock is None:
            self._stdin_lock = anyio.Lock()
        async with self._stdin_lock:
            if self._stdin is None:
                raise anyio.ClosedResourceError
            await self._stdin.send(data)

    async def close_stdin(self) -> None:
        """Close the process's stdin: it reads end of file (``stdin_once``, ``docker start -i`` ending)."""
        writer, self._stdin = self._stdin, None
        if writer is not None:
            await writer.aclose()

    def attach(self, config: AttachConfig) -> Attachment:
        """Subscribe a client now (nothing sent from here on is missed); copy with :meth:`Attachment.run`."""
        return Attachment(self, config)

    async def close(self) -> None:
        """The process has exited: end every attached client's output and drop stdin (``CloseStreams``)."""
        self.stdout.end_subscribers()
        self.stderr.end_subscribers()
        await self.close_stdin()
