"""Attaching a client to a process's stdio (Docker's ``AttachStreams`` + ``CopyStreams``).

:meth:`StreamConfig.attach` subscribes the client at once (so the logs
replayed for ``logs=1`` and the live output meet without a gap);
:meth:`Attachment.run` then copies, as Docker does:

- the container's stdout/stderr to the client's writers, until the
  container's streams end (``STREAMS_ENDED``) or a write to the client
  fails (``CLIENT_GONE``);
- the client's stdin to the process (only if the process has one), through
  the detach-key matcher when there is a TTY. The keys end the attach
  (``DETACHED``, Docker's "read escape sequence"); the client ending its
  stdin closes the process's stdin with ``stdin_once`` and no TTY (output
  goes on until the process ends), and otherwise ends the attach
  (``STDIN_ENDED``), as Docker closes the output pipes then.

Without a TTY the writers usually frame with stdcopy:
:func:`client_writers` makes the pair for a hijacked connection.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from pymoby import api

from ._broadcaster import Subscriber
from ._detachkeys import DEFAULT_DETACH_KEYS, DetachMatcher

if TYPE_CHECKING:
    from ._config import StreamConfig

__all__ = ["AttachConfig", "AttachEnd", "Attachment", "FramedWriter", "client_writers"]

_READ = 65536


class AttachEnd(enum.Enum):
    """Why an attach ended; the value is a sentence for the daemon's debug log."""

    STREAMS_ENDED = "the container's output ended"
    STDIN_ENDED = "the client closed its stdin"
    CLIENT_GONE = "the client went away"
    DETACHED = "read escape sequence"


@dataclass(frozen=True, slots=True)
class AttachConfig:
    """What a client attaches to (Docker's ``stream.AttachConfig``).

    ``close_stdin`` is the container's ``StdinOnce``; ``detach_keys`` (see
    :func:`parse_detach_keys`) are looked for only with ``tty``, as in Docker.
    """

    use_stdin: bool = False
    use_stdout: bool = True
    use_stderr: bool = True
    tty: bool = False
    detach_keys: bytes = DEFAULT_DETACH_KEYS
    close_stdin: bool = False


class FramedWriter(anyio.abc.ByteSendStream):
    """Writes each chunk to ``stream`` as one stdcopy frame of ``kind`` (one lock per connection)."""

    def __init__(self, stream: anyio.abc.ByteSendStream, kind: api.StdStream, lock: anyio.Lock | None = None) -> None:
        self._stream = stream
        self._kind = kind
        self._lock = lock

    async def send(self, item: bytes) -> None:
        """Frame and write ``item``."""
        data = api.encode_frame(self._kind, item) if self._kind is not api.StdStream.STDIN else item
        if self._lock is None:
            await self._stream.send(data)
            return
        async with self._lock:
            await self._stream.send(data)

    async def aclose(self) -> None:
        """Nothing of its own to close: the connection belongs to the caller."""

    @property
    def extra_attributes(self) -> Any:
        return {}


def client_writers(
    stream: anyio.abc.ByteSendStream, *, multiplexed: bool
) -> tuple[anyio.abc.ByteSendStream, anyio.abc.ByteSendStream]:
    """The (stdout, stderr) writers onto one client connection.

    ``multiplexed`` (no TTY and the client asked for it): stdcopy frames 1
    and 2; otherwise both write raw. Writes never interleave.
    """
    lock = anyio.Lock()
    if multiplexed:
        return FramedWriter(stream, api.StdStream.STDOUT, lock), FramedWriter(stream, api.StdStream.STDERR, lock)
    raw = FramedWriter(stream, api.StdStream.STDIN, lock)
    return raw, raw


class Attachment:
    """One client's attachment; made by :meth:`StreamConfig.attach`, run once."""

    def __init__(self, streams: StreamConfig, config: AttachConfig) -> None:
        self.streams = streams
        self.config = config
        self.stdout: Subscriber | None = streams.stdout.subscribe() if config.use_stdout else None
        self.stderr: Subscriber | None = streams.stderr.subscribe() if config.use_stderr else None

    async def aclose(self) -> None:
        """Unsubscribe (idempotent)."""
        for subscriber in (self.stdout, self.stderr):
            if subscriber is not None:
                await subscriber.aclose()

    async def run(
        self,
        stdin: anyio.abc.ByteReceiveStream | None,
        stdout: anyio.abc.ByteSendStream | None,
        stderr: anyio.abc.ByteSendStream | None,
    ) -> AttachEnd:
        """Copy between the client's streams and the process's until one of the :class:`AttachEnd` s."""
        ended: list[AttachEnd] = []
        outputs = [(s, w) for s, w in ((self.stdout, stdout), (self.stderr, stderr)) if s is not None and w is not None]
        pending = [len(outputs)]
        try:
            async with anyio.create_task_group() as tg:

                def finish(why: AttachEnd) -> None:
                    if not ended:
                        ended.append(why)
                    tg.cancel_scope.cancel()

                async def copy_out(subscriber: Subscriber, writer: anyio.abc.ByteSendStream) -> None:
                    while True:
                        try:
                            data = await subscriber.receive(_READ)
                        except (anyio.EndOfStream, anyio.ClosedResourceError):
                            break
                        try:
                            await writer.send(data)
                        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                            finish(AttachEnd.CLIENT_GONE)
                            return
                    pending[0] -= 1
                    if pending[0] == 0:
                        finish(AttachEnd.STREAMS_ENDED)

                for subscriber, writer in outputs:
                    tg.start_soon(copy_out, subscriber, writer)
                if stdin is not None and self.config.use_stdin and self.streams.has_stdin:
                    tg.start_soon(self._copy_in, stdin, finish, bool(outputs))
                elif not outputs:
                    finish(AttachEnd.STREAMS_ENDED)
        finally:
            with anyio.CancelScope(shield=True):
                await self.aclose()
        return ended[0] if ended else AttachEnd.STREAMS_ENDED

    async def _copy_in(self, stdin: anyio.abc.ByteReceiveStream, finish: Any, has_outputs: bool) -> None:
        config = self.config
        matcher = DetachMatcher(config.detach_keys or DEFAULT_DETACH_KEYS) if config.tty else None
        while True:
            try:
                data = await stdin.receive(_READ)
            except anyio.EndOfStream:
                break
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                finish(AttachEnd.CLIENT_GONE)
                return
            detached = False
            if matcher is not None:
                data, detached = matcher.feed(data)
            if data and not await self._write(data):
                # The process's stdin is gone: its output may still come.
                if not has_outputs:
                    finish(AttachEnd.STDIN_ENDED)
                return
            if detached:
                finish(AttachEnd.DETACHED)
                return
        if matcher is not None and (held := matcher.flush()):
            await self._write(held)
        if config.close_stdin and not config.tty:
            await self.streams.close_stdin()
            if not has_outputs:
                finish(AttachEnd.STDIN_ENDED)
            return
        finish(AttachEnd.STDIN_ENDED)

    async def _write(self, data: bytes) -> bool:
        try:
            await self.streams.write_stdin(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            return False
        return True
