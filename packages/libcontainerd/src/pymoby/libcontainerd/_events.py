"""Task events: decoding, and one subscription that survives containerd restarts.

The subscription asks containerd for the ``/tasks/`` topics of our namespace
only and delivers them in order. When the stream breaks (containerd died or
was restarted), it re-subscribes with back-off, then reconciles: every
process it knew to be running is looked up, and an exit that happened while
nobody was listening is delivered as a synthetic :class:`TaskExit` (exit
status 255 when the process vanished with its task). The look-up starts
only once containerd has registered the new subscription (a marker event
comes back through it), so an exit is either seen by the look-up or
delivered by the stream. Exits already delivered are never delivered twice.
"""

from __future__ import annotations

import collections
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pymoby import errdefs

from ._proto import events_pb2 as ev
from ._proto import events_service_pb2 as epb
from ._proto import tasks_pb2 as tpb
from ._stubs import Stubs
from ._tasks import process_state
from ._types import TaskStatus
from ._wire import empty_any, to_datetime, type_name

__all__ = [
    "Event",
    "EventCalls",
    "TaskCreate",
    "TaskDelete",
    "TaskExecAdded",
    "TaskExecStarted",
    "TaskExit",
    "TaskOOM",
    "TaskPaused",
    "TaskResumed",
    "TaskStart",
    "decode_envelope",
]

log = logging.getLogger("pymoby.libcontainerd")


@dataclass(frozen=True, slots=True)
class TaskCreate:
    """A task was created (``/tasks/create``)."""

    container_id: str
    pid: int
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskStart:
    """A task's init process started (``/tasks/start``)."""

    container_id: str
    pid: int
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskExit:
    """A process exited (``/tasks/exit``): the init process when ``process_id == container_id``.

    ``synthetic`` marks an exit found by reconciliation after a containerd
    restart rather than received as an event.
    """

    container_id: str
    process_id: str
    pid: int
    exit_status: int
    exited_at: datetime | None
    timestamp: datetime | None = None
    synthetic: bool = False

    @property
    def is_init(self) -> bool:
        """Whether the task's init process exited (so the container stopped)."""
        return self.process_id == self.container_id


@dataclass(frozen=True, slots=True)
class TaskDelete:
    """A task or exec process was deleted (``/tasks/delete``)."""

    container_id: str
    process_id: str
    pid: int
    exit_status: int
    exited_at: datetime | None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskOOM:
    """The kernel's OOM killer fired in the task's cgroup (``/tasks/oom``)."""

    container_id: str
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskExecAdded:
    """An exec process was added to a task (``/tasks/exec-added``)."""

    container_id: str
    exec_id: str
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskExecStarted:
    """An exec process started (``/tasks/exec-started``)."""

    container_id: str
    exec_id: str
    pid: int
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskPaused:
    """A task was paused (``/tasks/paused``)."""

    container_id: str
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TaskResumed:
    """A task was resumed (``/tasks/resumed``)."""

    container_id: str
    timestamp: datetime | None = None


Event = (
    TaskCreate
    | TaskStart
    | TaskExit
    | TaskDelete
    | TaskOOM
    | TaskExecAdded
    | TaskExecStarted
    | TaskPaused
    | TaskResumed
)


def _decode_create(m: Any, t: datetime | None) -> Event:
    return TaskCreate(m.container_id, m.pid, t)


def _decode_start(m: Any, t: datetime | None) -> Event:
    return TaskStart(m.container_id, m.pid, t)


def _decode_exit(m: Any, t: datetime | None) -> Event:
    return TaskExit(m.container_id, m.id, m.pid, m.exit_status, to_datetime(m.exited_at), t)


def _decode_delete(m: Any, t: datetime | None) -> Event:
    return TaskDelete(m.container_id, m.id or m.container_id, m.pid, m.exit_status, to_datetime(m.exited_at), t)


_DECODERS: dict[str, tuple[Any, Callable[[Any, datetime | None], Event]]] = {
    "containerd.events.TaskCreate": (ev.TaskCreate, _decode_create),
    "containerd.events.TaskStart": (ev.TaskStart, _decode_start),
    "containerd.events.TaskExit": (ev.TaskExit, _decode_exit),
    "containerd.events.TaskDelete": (ev.TaskDelete, _decode_delete),
    "containerd.events.TaskOOM": (ev.TaskOOM, lambda m, t: TaskOOM(m.container_id, t)),
    "containerd.events.TaskExecAdded": (ev.TaskExecAdded, lambda m, t: TaskExecAdded(m.container_id, m.exec_id, t)),
    "containerd.events.TaskExecStarted": (
        ev.TaskExecStarted,
        lambda m, t: TaskExecStarted(m.container_id, m.exec_id, m.pid, t),
    ),
    "containerd.events.TaskPaused": (ev.TaskPaused, lambda m, t: TaskPaused(m.container_id, t)),
    "containerd.events.TaskResumed": (ev.TaskResumed, lambda m, t: TaskResumed(m.container_id, t)),
}


def decode_envelope(envelope: epb.Envelope) -> Event | None:
    """The event in a containerd ``Envelope``; ``None`` for a type pymoby does not use."""
    entry = _DECODERS.get(type_name(envelope.event))
    if entry is None:
        return None
    message_type, build = entry
    return build(message_type.FromString(envelope.event.value), to_datetime(envelope.timestamp))


_Key = tuple[str, str]  # (container ID, process ID)
_LIVE = (TaskStatus.CREATED, TaskStatus.RUNNING, TaskStatus.PAUSED, TaskStatus.PAUSING)
_MAX_BACKOFF = 2.0


class _Tracker:
    """The processes believed alive, and the exits already delivered."""

    def __init__(self) -> None:
        #: Whether the first subscription was made (later ones reconcile).
        self.subscribed = False
        self.alive: dict[_Key, int] = {}
        self._delivered: collections.OrderedDict[tuple[str, str, int], None] = collections.OrderedDict()

    def delivered(self, exit_event: TaskExit) -> bool:
        return (exit_event.container_id, exit_event.process_id, exit_event.pid) in self._delivered

    def observe(self, event: Event) -> bool:
        """Update from ``event``; return False when it is a duplicate exit to drop."""
        if isinstance(event, TaskStart | TaskCreate):
            self.alive[(event.container_id, event.container_id)] = event.pid
        elif isinstance(event, TaskExecStarted):
            self.alive[(event.container_id, event.exec_id)] = event.pid
        elif isinstance(event, TaskDelete):
            self.alive.pop((event.container_id, event.process_id), None)
        elif isinstance(event, TaskExit):
            if self.delivered(event):
                return False
            self.alive.pop((event.container_id, event.process_id), None)
            self._delivered[(event.container_id, event.process_id, event.pid)] = None
            while len(self._delivered) > 4096:
                self._delivered.popitem(last=False)
        return True


class EventCalls:
    """The event subscription of :class:`Client`."""

    _stubs: Stubs
    namespace: str

    @asynccontextmanager
    async def subscribe(self, *, buffer: int = 1024) -> AsyncIterator[MemoryObjectReceiveStream[Event]]:
        """Subscribe to the namespace's task events; yield a stream of :data:`Event` in order.

        Entering returns once containerd has registered the subscription
        (waiting, with back-off, while containerd is down), so no later event
        is missed. The subscription follows containerd across restarts and
        reconciles missed exits (see the module docs). Leaving cancels it.
        """
        send, receive = anyio.create_memory_object_stream[Event](buffer)
        async with anyio.create_task_group() as tg:
            await tg.start(self._pump_events, send)
            try:
                yield receive
            finally:
                tg.cancel_scope.cancel()
                receive.close()

    async def _pump_events(
        self,
        send: MemoryObjectSendStream[Event],
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        tracker = _Tracker()
        backoff = 0.1
        async with send:
            while True:
                try:
                    await self._follow_stream(tracker, send, task_status)
                except* errdefs.PymobyError as group:
                    log.warning("containerd event stream broke (%s); re-subscribing", group.exceptions[0])
                await anyio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)

    async def _follow_stream(
        self,
        tracker: _Tracker,
        send: MemoryObjectSendStream[Event],
        task_status: anyio.abc.TaskStatus[None],
    ) -> None:
        """One subscription: register it, catch up, then forward events until the stream ends."""
        # A marker event published on a topic of our own tells when containerd
        # has registered the subscription: containerd sends no response header
        # until the first event, so the call's own "connected" means nothing.
        marker = f"/pymoby/subscribed/{uuid.uuid4().hex}"
        filters = [f'namespace=={self.namespace},topic~="^/tasks/"', f'namespace=={self.namespace},topic=="{marker}"']
        stream = self._stubs.events_subscribe.open(epb.SubscribeRequest(filters=filters))
        inbox_send, inbox = anyio.create_memory_object_stream[Event](256)
        registered = anyio.Event()
        try:
            async with inbox, anyio.create_task_group() as tg:
                tg.start_soon(self._read_stream, stream, marker, registered, inbox_send)
                while not registered.is_set():
                    await self._stubs.events_publish(
                        epb.PublishRequest(topic=marker, event=empty_any()), self.namespace, action="publish marker"
                    )
                    with anyio.move_on_after(2.0):
                        await registered.wait()
                if not tracker.subscribed:
                    for container_id, pid in await self._live_tasks():
                        tracker.alive[(container_id, container_id)] = pid
                    tracker.subscribed = True
                    task_status.started()
                else:
                    log.info("re-subscribed to containerd events; reconciling %d processes", len(tracker.alive))
                    await self._reconcile(tracker, send)
                async for event in inbox:
                    if tracker.observe(event):
                        await send.send(event)
                tg.cancel_scope.cancel()
        finally:
            stream.cancel()
            inbox_send.close()

    async def _read_stream(
        self, stream: Any, marker: str, registered: anyio.Event, inbox: MemoryObjectSendStream[Event]
    ) -> None:
        async with inbox:
            while (envelope := await stream.read()) is not None:
                if envelope.topic == marker:
                    registered.set()
                    continue
                event = decode_envelope(envelope)
                if event is not None:
                    await inbox.send(event)

    async def _live_tasks(self) -> list[tuple[str, int]]:
        tasks = await self._stubs.task_list(tpb.ListTasksRequest(), self.namespace, action="list tasks")
        # Every listed process is a task's init process: its ID is the container's.
        states = (process_state(p, p.id) for p in tasks.tasks)
        return [(s.container_id, s.pid) for s in states if s.status in _LIVE]

    async def _reconcile(self, tracker: _Tracker, send: MemoryObjectSendStream[Event]) -> None:
        """Deliver the exits of known processes that ended while nobody listened."""
        for (container_id, process_id), pid in list(tracker.alive.items()):
            exec_id = "" if process_id == container_id else process_id
            try:
                response = await self._stubs.task_get(
                    tpb.GetRequest(container_id=container_id, exec_id=exec_id), self.namespace
                )
            except errdefs.NotFound:
                exit_event = TaskExit(container_id, process_id, pid, 255, datetime.now(UTC), synthetic=True)
            else:
                state = process_state(response.process, container_id)
                if state.status != TaskStatus.STOPPED:
                    continue
                exit_event = TaskExit(container_id, process_id, pid, state.exit_status, state.exited_at, synthetic=True)
            if tracker.observe(exit_event):
                log.info("reconciled exit of %s/%s (status %d)", container_id, process_id, exit_event.exit_status)
                await send.send(exit_event)
