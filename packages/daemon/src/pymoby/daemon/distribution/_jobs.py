"""Long-running work (pull, push, load, save) whose output a client reads as a stream.

A :class:`Job` runs in the task group of :class:`Jobs` (owned by the image
service for the daemon's life), not in the request's task: a handler starts
it, waits for its first output, and returns a streaming response that reads
it. This keeps task groups out of response generators, and lets the handler
answer with a proper HTTP status when the work fails before writing
anything (dockerd's ``if !output.Flushed() { return err }``), and with an
error line in the stream after that.

When the client goes away (its read is cancelled, or the stream is dropped
unread), the job is cancelled with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import anyio
import anyio.abc

from pymoby import api, errdefs

from ._progress import encode_message, error_message

__all__ = ["Job", "JobOutput", "Jobs"]

#: Buffered output above which :meth:`Job.send` waits for the client to read.
HIGH_WATER = 1 << 20


class Job:
    """One piece of work and its output buffer.

    The work writes with :meth:`write` (a JSON message, never blocks) or
    :meth:`send` (bytes, waits while the client is behind). ``raw`` jobs
    produce bytes (a tar); when they fail after output began, the stream is
    aborted instead of ending with a JSON error line.
    """

    def __init__(self, *, raw: bool = False) -> None:
        self.raw = raw
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._flushed = False
        self._done = False
        self._error: Exception | None = None
        self._scope = anyio.CancelScope()
        self._readable: anyio.Event | None = None
        self._writable: anyio.Event | None = None

    # -- producer side --------------------------------------------------------------
    def write(self, message: api.JSONMessage) -> None:
        """Add one JSON message to the output."""
        self.write_bytes(encode_message(message))

    def write_bytes(self, data: bytes) -> None:
        """Add bytes to the output without waiting."""
        if not data:
            return
        self._chunks.append(data)
        self._buffered += len(data)
        self._flushed = True
        if self._readable is not None:
            self._readable.set()

    async def send(self, data: bytes) -> None:
        """Add bytes to the output, first waiting while more than :data:`HIGH_WATER` is unread."""
        while self._buffered > HIGH_WATER:
            self._writable = anyio.Event()
            await self._writable.wait()
        self.write_bytes(data)

    @property
    def flushed(self) -> bool:
        """Whether any output was produced."""
        return self._flushed

    async def _run(self, work: Callable[[Job], Awaitable[None]]) -> None:
        try:
            with self._scope:
                try:
                    await work(self)
                except Exception as exc:
                    self._error = exc
        finally:
            if self._scope.cancel_called and self._error is None:
                self._error = errdefs.Cancelled("the operation was cancelled")
            self._done = True
            if self._readable is not None:
                self._readable.set()

    # -- consumer side --------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the work (the client went away)."""
        if not self._done:
            self._scope.cancel()

    @property
    def done(self) -> bool:
        """Whether the work has ended."""
        return self._done

    @property
    def error(self) -> Exception | None:
        """What the work failed with, if it did."""
        return self._error

    async def _wait_readable(self) -> None:
        self._readable = anyio.Event()
        try:
            await self._readable.wait()
        except anyio.get_cancelled_exc_class():
            self.cancel()
            raise
        finally:
            self._readable = None

    async def first(self) -> None:
        """Wait for the first output (or the end); raise the job's error if it failed before any output."""
        while not self._chunks and not self._done:
            await self._wait_readable()
        if self._done and not self._flushed and self._error is not None:
            raise self._error

    async def result(self) -> None:
        """Wait for the end, discarding the output; raise the job's error. For callers that need no stream."""
        while not self._done:
            self._take()
            await self._wait_readable()
        self._take()
        if self._error is not None:
            raise self._error

    def _take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._buffered = 0
        if self._writable is not None:
            self._writable.set()
        return data

    def output(self) -> JobOutput:
        """The output as an async iterator of bytes, for a streaming response."""
        return JobOutput(self)


class JobOutput:
    """Reads a job's output; cancels the job when it is cancelled or dropped unfinished."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self._ended = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        job = self._job
        while True:
            if job._chunks:
                return job._take()
            if job.done:
                if self._ended:
                    raise StopAsyncIteration
                self._ended = True
                if job.error is None:
                    raise StopAsyncIteration
                if job.raw:
                    # Headers are sent: only aborting the connection tells the client the tar is incomplete.
                    raise job.error
                return encode_message(error_message(job.error))
            await job._wait_readable()

    async def aclose(self) -> None:
        """Stop reading: cancels the job if it is still running."""
        self._ended = True
        self._job.cancel()

    def __del__(self) -> None:
        # A response whose client vanished is dropped without being closed.
        if not self._ended:
            self._job.cancel()


class Jobs:
    """The task group jobs run in; :meth:`serve` runs it (the image service's lifetime)."""

    def __init__(self) -> None:
        self._group: anyio.abc.TaskGroup | None = None

    @property
    def group(self) -> anyio.abc.TaskGroup:
        """The running task group; ``Unavailable`` before :meth:`serve` or after it ends."""
        if self._group is None:
            raise errdefs.Unavailable("the image service is not running")
        return self._group

    async def serve(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run until cancelled; every job still running is cancelled then."""
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                task_status.started()
                await anyio.sleep_forever()
        finally:
            self._group = None

    def start(self, work: Callable[[Job], Awaitable[None]], *, raw: bool = False) -> Job:
        """Start ``work(job)`` and return the job."""
        job = Job(raw=raw)
        self.group.start_soon(job._run, work)
        return job

    def spawn(self, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
        """Run ``function(*args)`` in the group (transfers): it must not raise."""
        self.group.start_soon(function, *args)
