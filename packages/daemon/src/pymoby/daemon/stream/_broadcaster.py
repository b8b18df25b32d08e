"""Fan-out of a container's stdout (or stderr) to every attached client.

Each subscriber has its own queue. :meth:`Broadcaster.send` appends the
bytes to every queue; a subscriber whose queue then holds more than
``limit`` bytes (1 MB, Docker's ``bytespipe`` threshold) has fallen behind:

- ``OverflowPolicy.BLOCK`` (default, what Docker does): ``send`` waits until
  that client has read its queue back under the limit, or has gone. The
  container's output pipe then fills and the process blocks in ``write``;
  the other clients and the log driver see no new output meanwhile. Nothing
  is dropped, so ``docker run`` still prints every byte the process wrote.
- ``OverflowPolicy.DISCONNECT``: the slow client's queue is ended instead
  (it reads what it has, then end of stream) and nobody waits.

Docker never drops bytes for an attached client either: its broadcaster
writes into each client's ``BytesPipe``, which blocks the writer past 1 MB.

Memory is bounded by ``limit`` plus one read (64 KiB) per subscriber.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Any

import anyio
import anyio.abc

__all__ = ["DEFAULT_LIMIT", "Broadcaster", "OverflowPolicy", "Subscriber"]

#: Docker's ``bytespipe`` block threshold.
DEFAULT_LIMIT = 1_000_000


class OverflowPolicy(enum.Enum):
    """What :class:`Broadcaster` does with a client that reads slower than the container writes."""

    BLOCK = "block"
    DISCONNECT = "disconnect"


class Subscriber(anyio.abc.ByteReceiveStream):
    """One client's view of a broadcast: what was sent since it subscribed."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        self._broadcaster = broadcaster
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._ended = False
        self._closed = False
        self._readable: anyio.Event | None = None
        self._drained: anyio.Event | None = None

    @property
    def buffered(self) -> int:
        """Bytes waiting to be read."""
        return self._size

    def _push(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        self._wake_reader()

    def _end(self) -> None:
        self._ended = True
        self._wake_reader()

    def _wake_reader(self) -> None:
        if self._readable is not None:
            self._readable.set()
            self._readable = None

    def _wake_writer(self) -> None:
        if self._drained is not None:
            self._drained.set()
            self._drained = None

    async def _wait_below(self, limit: int) -> None:
        while self._size > limit and not self._closed:
            self._drained = self._drained or anyio.Event()
            await self._drained.wait()

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """Up to ``max_bytes`` of what was broadcast; ``anyio.EndOfStream`` once ended and read."""
        while not self._chunks:
            if self._closed:
                raise anyio.ClosedResourceError
            if self._ended:
                raise anyio.EndOfStream
            self._readable = self._readable or anyio.Event()
            await self._readable.wait()
        first = self._chunks.popleft()
        if len(first) > max_bytes:
            self._chunks.appendleft(first[max_bytes:])
            first = first[:max_bytes]
        elif self._chunks and len(first) < max_bytes:
            parts = [first]
            size = len(first)
            while self._chunks and size + len(self._chunks[0]) <= max_bytes:
                chunk = self._chunks.popleft()
                parts.append(chunk)
                size += len(chunk)
            first = b"".join(parts)
        self._size -= len(first)
        self._wake_writer()
        return first

    async def aclose(self) -> None:
        """Leave the broadcast (idempotent); a ``send`` waiting for this client goes on."""
        self._closed = True
        self._chunks.clear()
        self._size = 0
        self._broadcaster._remove(self)
        self._wake_reader()
        self._wake_writer()

    @property
    def extra_attributes(self) -> Any:
        return {}


class Broadcaster(anyio.abc.ByteSendStream):
    """Sends the same bytes to every :class:`Subscriber` (Docker's ``unbuffered`` broadcaster)."""

    def __init__(self, limit: int = DEFAULT_LIMIT, policy: OverflowPolicy = OverflowPolicy.BLOCK) -> None:
        self.limit = limit
        self.policy = policy
        self._subscribers: list[Subscriber] = []

    @property
    def subscribers(self) -> int:
        """How many clients are attached."""
        return len(self._subscribers)

    def subscribe(self) -> Subscriber:
        """A new subscriber: it gets everything sent from now on."""
        subscriber = Subscriber(self)
        self._subscribers.append(subscriber)
        return subscriber

    def _remove(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    async def send(self, item: bytes) -> None:
        """Give ``item`` to every subscriber, then wait for any that is over the limit (see the policy)."""
        if not self._subscribers or not item:
            return
        behind: list[Subscriber] = []
        for subscriber in list(self._subscribers):
            subscriber._push(item)
            if subscriber._size > self.limit:
                behind.append(subscriber)
        for subscriber in behind:
            if self.policy is OverflowPolicy.DISCONNECT:
                self._remove(subscriber)
                subscriber._end()
            else:
                await subscriber._wait_below(self.limit)

    def end_subscribers(self) -> None:
        """End every current subscriber (they read what they have, then end of stream) and forget them.

        The broadcaster stays usable: a restarted container's output goes to
        the clients that attach next (Docker's ``unbuffered.Clean``).
        """
        subscribers, self._subscribers = self._subscribers, []
        for subscriber in subscribers:
            subscriber._end()

    async def aclose(self) -> None:
        """Same as :meth:`end_subscribers`."""
        self.end_subscribers()

    @property
    def extra_attributes(self) -> Any:
        return {}
