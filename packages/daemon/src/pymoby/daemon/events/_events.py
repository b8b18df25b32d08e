"""The daemon's event bus: publish, keep the recent past, stream to subscribers.

Docker keeps the last 256 events so that ``docker events --since`` can look
back; subscribers get the buffered events in their window, then live ones.
A subscriber that does not keep up (its queue of 1024 fills) is dropped,
rather than slowing the daemon down.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from pymoby import api

from ._filter import event_matches

__all__ = ["Events"]

_QUEUE = 1024


class Events:
    """Publish/subscribe of :class:`api.EventMessage` with a ring buffer of the recent ones."""

    def __init__(self, limit: int = 256, clock: Callable[[], int] = time.time_ns) -> None:
        self._recent: deque[api.EventMessage] = deque(maxlen=limit)
        self._subscribers: dict[MemoryObjectSendStream[api.EventMessage], api.Filters] = {}
        self._clock = clock

    @property
    def listeners(self) -> int:
        """How many subscribers are connected (``NEventsListener`` of ``/info``)."""
        return len(self._subscribers)

    def log(
        self,
        event_type: str,
        action: str,
        actor_id: str,
        attributes: Mapping[str, str] | None = None,
        scope: str = "local",
    ) -> api.EventMessage:
        """Build an event stamped now, publish it and return it."""
        now = self._clock()
        message = api.EventMessage(
            type=event_type,
            action=action,
            actor=api.EventActor(id=actor_id, attributes=dict(attributes or {})),
            scope=scope,
            time=now // 1_000_000_000,
            time_nano=now,
        )
        if event_type in ("container", "image"):
            message.status, message.id = action, actor_id
            message.from_ = (attributes or {}).get("image", "") if event_type == "container" else ""
        self.publish(message)
        return message

    def publish(self, message: api.EventMessage) -> None:
        """Record ``message`` and hand it to every subscriber whose filters it passes."""
        self._recent.append(message)
        for stream, filters in list(self._subscribers.items()):
            if not event_matches(filters, message):
                continue
            try:
                stream.send_nowait(message)
            except anyio.WouldBlock:
                self._subscribers.pop(stream, None)
                stream.close()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.pop(stream, None)

    @asynccontextmanager
    async def subscribe(
        self, since: int | None = None, until: int | None = None, filters: api.Filters | None = None
    ) -> AsyncIterator[AsyncIterator[api.EventMessage]]:
        """Events from ``since`` to ``until`` (nanoseconds since the epoch; ``None`` = open).

        Yields an async iterator: first the recorded events of the window,
        then, unless ``until`` is already past, live ones until ``until``.
        """
        filters = filters or api.Filters()
        now = self._clock()
        # As Docker: with neither ``since`` nor ``until`` only live events are sent.
        past = [
            m
            for m in self._recent
            if (since is not None or until is not None)
            and (since is None or m.time_nano >= since)
            and (until is None or m.time_nano <= until)
            and event_matches(filters, m)
        ]
        live = until is None or until > now
        send, receive = anyio.create_memory_object_stream[api.EventMessage](_QUEUE)
        if live:
            self._subscribers[send] = filters

        async def iterate() -> AsyncIterator[api.EventMessage]:
            for recorded in past:
                yield recorded
            if not live:
                return
            while True:
                remaining = None if until is None else (until - self._clock()) / 1e9
                if remaining is not None and remaining <= 0:
                    return
                message: api.EventMessage | None = None
                with anyio.move_on_after(remaining):
                    try:
                        message = await receive.receive()
                    except anyio.EndOfStream:
                        return
                if message is None:
                    return
                yield message

        try:
            yield iterate()
        finally:
            self._subscribers.pop(send, None)
            send.close()
            receive.close()
