"""Reconciliation after a re-subscription, against a fake containerd Tasks.Get."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from pymoby.libcontainerd import TaskExit, TaskStart
from pymoby.libcontainerd._errors import from_status
from pymoby.libcontainerd._events import Event, EventCalls, _Tracker
from pymoby.libcontainerd._proto import task_pb2
from pymoby.libcontainerd._proto import tasks_pb2 as tpb

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeTasks:
    """Answers Tasks.Get from a table: (container, exec) -> Process, or NOT_FOUND."""

    def __init__(self, processes: dict[tuple[str, str], task_pb2.Process]) -> None:
        self.processes = processes

    async def task_get(self, request: tpb.GetRequest, namespace: str, **_: Any) -> tpb.GetResponse:
        process = self.processes.get((request.container_id, request.exec_id))
        if process is None:
            raise from_status("NOT_FOUND", f"task {request.container_id} not found")
        return tpb.GetResponse(process=process)


class Subscriber(EventCalls):
    def __init__(self, stubs: FakeTasks) -> None:
        self._stubs = stubs  # type: ignore[assignment]
        self.namespace = "test"


async def reconcile(tracker: _Tracker, processes: dict[tuple[str, str], task_pb2.Process]) -> list[Event]:
    send, receive = anyio.create_memory_object_stream[Event](10)
    async with send, receive:
        await Subscriber(FakeTasks(processes))._reconcile(tracker, send)
        send.close()
        return [event async for event in receive]


async def test_exits_missed_while_disconnected_are_delivered_once() -> None:
    tracker = _Tracker()
    tracker.observe(TaskStart("stopped", 10))
    tracker.observe(TaskStart("running", 11))
    tracker.observe(TaskStart("gone", 12))
    processes = {
        ("stopped", ""): task_pb2.Process(
            container_id="stopped", id="stopped", pid=10, status=task_pb2.STOPPED, exit_status=3
        ),
        ("running", ""): task_pb2.Process(container_id="running", id="running", pid=11, status=task_pb2.RUNNING),
    }
    events = await reconcile(tracker, processes)
    exits = {e.container_id: e for e in events if isinstance(e, TaskExit)}
    assert set(exits) == {"stopped", "gone"}
    assert (exits["stopped"].exit_status, exits["stopped"].pid, exits["stopped"].synthetic) == (3, 10, True)
    assert exits["gone"].exit_status == 255
    assert tracker.alive == {("running", "running"): 11}
    # The real event arriving later is a duplicate and is dropped.
    assert not tracker.observe(TaskExit("stopped", "stopped", 10, 3, None))
    assert await reconcile(tracker, processes) == []
