"""Streaming a blocking byte iterator (a tar of a file tree) from a worker thread, in batches.

The iterator runs in a thread of its own; its pieces are gathered into
batches of about 256 KiB and handed to the event loop through a small
memory stream, so a slow client slows the producer down instead of
filling memory. Leaving the consumer early stops the producer. No task
group lives inside the generator, so abandoning it mid-way is safe.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
import anyio.from_thread
import anyio.lowlevel

__all__ = ["stream_from_thread"]

_BATCH = 256 << 10
_Item = bytes | Exception | None


async def stream_from_thread(make: Callable[[], Iterator[bytes]], batch: int = _BATCH) -> AsyncIterator[bytes]:
    """Yield the bytes of ``make()``'s iterator, produced in a worker thread."""
    send, receive = anyio.create_memory_object_stream[_Item](4)
    token = anyio.lowlevel.current_token()
    stop = threading.Event()

    def deliver(item: _Item) -> bool:
        try:
            anyio.from_thread.run(send.send, item, token=token)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, RuntimeError):
            return False
        return True

    def produce() -> None:
        try:
            iterator = make()
        except (OSError, ValueError, anyio.BrokenResourceError) as exc:
            deliver(exc)
            return
        except Exception as exc:  # an errdefs kind from the layer store
            deliver(exc)
            return
        try:
            parts: list[bytes] = []
            size = 0
            for piece in iterator:
                if stop.is_set():
                    return
                parts.append(piece)
                size += len(piece)
                if size >= batch:
                    if not deliver(b"".join(parts)):
                        return
                    parts, size = [], 0
            if parts and not deliver(b"".join(parts)):
                return
            deliver(None)
        except Exception as exc:  # handed to the consumer, which raises it
            deliver(exc)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="pymoby-tar-stream", daemon=True)
    thread.start()
    try:
        while True:
            item = await receive.receive()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        receive.close()
        send.close()
