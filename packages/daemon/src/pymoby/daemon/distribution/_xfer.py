"""Shared transfers: one download (or upload) per layer however many operations want it.

As Docker's ``xfer`` package: a :class:`Transfer` is keyed (a layer's chain
ID for a pull, diff ID and repository for a push) and runs in the service's
task group, not in the request's; operations *watch* it. A second pull of
the same image attaches to the running transfers and gets their progress
from where they are. A transfer is cancelled when its last watcher leaves
(the client went away), and forgotten when it fails, so the next attempt
starts afresh. What a finished transfer holds (a layer reference) is
released when the last watcher has taken its own.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio

from pymoby import errdefs

from ._jobs import Jobs

__all__ = ["Aborted", "Transfer", "TransferEvent", "TransferManager", "run_abortable"]

T = TypeVar("T")

#: How long a watcher that cancels a transfer waits for it to clean up.
_CLEANUP_SECONDS = 30


@dataclass(frozen=True, slots=True)
class TransferEvent:
    """A step of a transfer: ``Downloading`` 1234/5678, ``Download complete``, ``Waiting``..."""

    action: str
    current: int = 0
    total: int = 0
    counted: bool = False


Listener = Callable[[TransferEvent], None]


class Transfer(Generic[T]):
    """One running transfer and the operations watching it."""

    def __init__(self, key: str, release: Callable[[T], None] | None) -> None:
        self.key = key
        self.watchers = 0
        self.listeners: list[Listener] = []
        self.last: TransferEvent | None = None
        self.done = anyio.Event()
        self.result: T | None = None
        self.error: Exception | None = None
        self.scope = anyio.CancelScope()
        self._release = release

    def report(self, event: TransferEvent) -> None:
        """Tell every watcher about a step (and remember it for watchers who come later)."""
        self.last = event
        for listener in list(self.listeners):
            listener(event)

    def status(self, action: str) -> None:
        """Report an uncounted step (``Verifying Checksum``)."""
        self.report(TransferEvent(action))

    def progress(self, action: str, current: int, total: int) -> None:
        """Report a counted step (``Downloading`` 1234/5678)."""
        self.report(TransferEvent(action, current, total, counted=True))

    def release(self) -> None:
        """Drop what the finished transfer holds."""
        if self.result is not None and self._release is not None:
            result, self.result = self.result, None
            self._release(result)


class TransferManager:
    """Transfers keyed by what they produce, running in ``jobs``' task group; ``limit`` at a time.

    The limit (``max-concurrent-downloads`` or ``-uploads``) is taken by the
    transfer's work around the part that moves bytes (:attr:`limiter`).
    """

    def __init__(self, jobs: Jobs, limit: int) -> None:
        self._jobs = jobs
        self._transfers: dict[str, Transfer[Any]] = {}
        self.limiter = anyio.CapacityLimiter(max(1, limit))

    def set_limit(self, limit: int) -> None:
        """Change how many transfers move bytes at once (a daemon reload)."""
        self.limiter.total_tokens = max(1, limit)

    def active(self) -> list[str]:
        """Keys of the transfers in progress (for tests and debugging)."""
        return [key for key, t in self._transfers.items() if not t.done.is_set()]

    async def _run(self, transfer: Transfer[T], work: Callable[[Transfer[T]], Awaitable[T]]) -> None:
        try:
            with transfer.scope:
                try:
                    transfer.result = await work(transfer)
                except Exception as exc:
                    transfer.error = exc
            if transfer.result is None and transfer.error is None:
                transfer.error = errdefs.Cancelled(f"transfer {transfer.key} was cancelled")
        finally:
            if transfer.error is not None and self._transfers.get(transfer.key) is transfer:
                del self._transfers[transfer.key]  # failed: the next attempt starts afresh
            transfer.done.set()
            if transfer.watchers == 0:
                self._forget(transfer)

    def _forget(self, transfer: Transfer[Any]) -> None:
        if self._transfers.get(transfer.key) is transfer:
            del self._transfers[transfer.key]
        transfer.release()

    async def watch(
        self,
        key: str,
        make_work: Callable[[], Callable[[Transfer[T]], Awaitable[T]]],
        *,
        listener: Listener | None = None,
        acquire: Callable[[T], object] | None = None,
        release: Callable[[T], None] | None = None,
    ) -> T:
        """The result of the transfer ``key``, starting one unless it is running.

        ``make_work()`` is called only when a transfer starts, and gives the
        coroutine function that does it (so that what the work needs, a
        registry client, is taken only then). ``acquire(result)`` runs for this watcher before the transfer may be
        forgotten (take a layer reference there); ``release`` is how a
        finished transfer drops its own hold. Raises the transfer's error;
        cancelling the last watcher cancels the transfer.
        """
        running: Transfer[T] | None = self._transfers.get(key)
        if running is None:
            running = Transfer(key, release)
            self._transfers[key] = running
            self._jobs.spawn(self._run, running, make_work())
        transfer: Transfer[T] = running
        transfer.watchers += 1
        if listener is not None:
            transfer.listeners.append(listener)
            if transfer.last is not None:
                listener(transfer.last)
        try:
            await transfer.done.wait()
            if transfer.error is not None:
                raise transfer.error
            result = transfer.result
            assert result is not None
            if acquire is not None:
                acquire(result)
            return result
        finally:
            transfer.watchers -= 1
            if listener is not None and listener in transfer.listeners:
                transfer.listeners.remove(listener)
            if transfer.watchers == 0:
                if transfer.done.is_set():
                    self._forget(transfer)
                else:
                    transfer.scope.cancel()
                    if self._transfers.get(key) is transfer:
                        del self._transfers[key]
                    # Let it clean up (temporary files, a half-applied layer) before the watcher goes:
                    # a cancelled or failed operation leaves nothing behind once it has ended.
                    with anyio.move_on_after(_CLEANUP_SECONDS, shield=True):
                        await transfer.done.wait()


class Aborted(errdefs.Cancelled):
    """Blocking work was told to stop (its caller was cancelled)."""


async def run_abortable(function: Callable[[threading.Event], T], discard: Callable[[T], object]) -> T:
    """Run ``function(abort)`` in a worker thread; on cancellation set ``abort`` and wait for it to stop.

    ``function`` checks ``abort`` (raising :class:`Aborted`) so that a
    cancelled caller does not wait for a whole layer to be applied; if it
    finished anyway, ``discard`` drops its result, so nothing is left
    behind by a cancelled operation.
    """
    abort = threading.Event()
    box: list[T] = []
    failure: list[Exception] = []

    async def in_thread() -> None:
        try:
            box.append(await anyio.to_thread.run_sync(function, abort))
        except Aborted:
            pass
        except Exception as exc:
            failure.append(exc)
        finally:
            group.cancel_scope.cancel()

    async def watch_cancel() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            abort.set()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(watch_cancel)
            group.start_soon(in_thread)
    except anyio.get_cancelled_exc_class():
        if box:
            discard(box[0])
        raise
    if failure:
        raise failure[0]
    if not box:
        raise Aborted("the operation was cancelled")
    return box[0]
