"""The writer thread of a layer apply: file system calls, in order, while the caller parses the tar.

Creating a file is mostly time in the kernel, where the GIL is released:
while this thread waits on ``openat`` and friends, the caller's thread
parses the next entries. The caller queues batches of operations (a small
file travels with its bytes); memory is bounded by the queue's depth.
"""

from __future__ import annotations

import queue
import threading
from typing import Protocol

from ._tarformat import TarEntry

__all__ = ["BATCH_BYTES", "BATCH_OPS", "DIR", "FILE", "HARDLINK", "NODE", "SYMLINK", "Op", "Writer"]

FILE, DIR, SYMLINK, HARDLINK, NODE = range(5)
#: One operation for the writer: (kind, name, parent, base, entry, payload of a small file).
Op = tuple[int, str, str, str, TarEntry, bytes | None]
BATCH_OPS = 128
BATCH_BYTES = 1 << 20
#: Batches in flight to the writer thread (bounds memory: at most 16 MiB of payloads).
_QUEUE_BATCHES = 16


class Executor(Protocol):
    """What carries the operations out (the applier)."""

    def execute(self, batch: list[Op]) -> None:
        """Do a batch of operations, in order; raise what fails."""
        ...


class Writer:
    """Runs an :class:`Executor`'s batches on its own thread, in order.

    Errors are kept and raised to the caller by :meth:`put`, :meth:`drain`
    or :meth:`check`; after one, the remaining batches are skipped.
    """

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._queue: queue.Queue[list[Op] | None] = queue.Queue(_QUEUE_BATCHES)
        self._thread = threading.Thread(target=self._run, name="layer-writer", daemon=True)
        self.error: Exception | None = None

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                if self.error is None:
                    try:
                        self._executor.execute(batch)
                    except Exception as exc:  # handed to the caller's thread, which raises it
                        self.error = exc
            finally:
                self._queue.task_done()

    def check(self) -> None:
        """Raise the error a batch failed with, if any."""
        if self.error is not None:
            raise self.error

    def put(self, batch: list[Op], *, check: bool = True) -> None:
        """Queue a batch (waits while the writer is far behind); raises an earlier batch's error."""
        if check:
            self.check()
        if batch:
            self._queue.put(batch)

    def drain(self) -> None:
        """Wait until every queued batch is done; raises the first error."""
        self._queue.join()
        self.check()

    def stop(self) -> None:
        """End the thread once the queue is worked off."""
        self._queue.put(None)
        self._thread.join()
