"""The writer threads of a layer apply: file system calls, in order per directory, while the caller parses.

Creating a file is mostly time in the kernel, where the GIL is released, and
the kernel creates files in different directories in parallel. The caller
(the parser) gives every directory to one writer, round robin, and queues
batches of operations to it (a small file travels with its bytes): entries
of one directory are written in tar order, directories spread over the
writers. Memory is bounded by the queues' depth.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from ._tarformat import TarEntry

__all__ = ["BATCH_BYTES", "BATCH_OPS", "FILE", "NODE", "SYMLINK", "WRITERS", "Op", "Writers"]

FILE, SYMLINK, NODE = range(3)
#: One operation: (kind, name, base, descriptor of the parent directory, group a new file gets
#: there, entry, payload of a small file).
Op = tuple[int, str, str, int, int, TarEntry, bytes | None]
BATCH_OPS = 128
BATCH_BYTES = 1 << 20
#: Writer threads: two keep two cores busy in the kernel; more only add GIL traffic.
WRITERS = 2
#: Batches in flight to one writer (bounds memory: at most 8 MiB of payloads per writer).
_QUEUE_BATCHES = 8


class Writers:
    """Threads that each carry out their own queue of batches, in order.

    Errors are kept and raised to the caller by :meth:`put`, :meth:`drain`
    or :meth:`check`; after one, the remaining batches are skipped.
    """

    def __init__(self, execute: Callable[[list[Op]], None], count: int = WRITERS) -> None:
        self._execute = execute
        self._queues: list[queue.Queue[list[Op] | None]] = [queue.Queue(_QUEUE_BATCHES) for _ in range(count)]
        self._threads = [
            threading.Thread(target=self._run, args=(q,), name=f"layer-writer-{i}", daemon=True)
            for i, q in enumerate(self._queues)
        ]
        self.error: Exception | None = None

    def __len__(self) -> int:
        return len(self._queues)

    def start(self) -> None:
        """Start the threads."""
        for thread in self._threads:
            thread.start()

    def _run(self, batches: queue.Queue[list[Op] | None]) -> None:
        while True:
            batch = batches.get()
            try:
                if batch is None:
                    return
                if self.error is None:
                    try:
                        self._execute(batch)
                    except Exception as exc:  # handed to the caller's thread, which raises it
                        if self.error is None:
                            self.error = exc
            finally:
                batches.task_done()

    def check(self) -> None:
        """Raise the error a batch failed with, if any."""
        if self.error is not None:
            raise self.error

    def put(self, index: int, batch: list[Op], *, check: bool = True) -> None:
        """Queue a batch for writer ``index`` (waits while it is far behind); raises an earlier batch's error."""
        if check:
            self.check()
        if batch:
            self._queues[index].put(batch)

    def drain(self) -> None:
        """Wait until every queued batch is done; raises the first error."""
        for batches in self._queues:
            batches.join()
        self.check()

    def stop(self) -> None:
        """End the threads once their queues are worked off."""
        for batches in self._queues:
            batches.put(None)
        for thread in self._threads:
            thread.join()
