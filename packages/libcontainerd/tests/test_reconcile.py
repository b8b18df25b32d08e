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
    """Answers Tasks.Get from a table: (container, exec) -> Process, or NOT_FOUND; Tasks.List with the inits."""

    def __init__(self, processes: dict[tuple[str, str], task_pb2.Process]) -> None:
        self.processes = processes

    async def task_list(self, request: tpb.ListTasksRequest, namespace: str, **_: Any) -> tpb.ListTasksResponse:
        return tpb.ListTasksResponse(tasks=[p for (_, exec_id), p in self.processes.items() if not exec_id])

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


def containerd_process(container_id: str, pid: int, status: int, exit_status: int = 0) -> task_pb2.Process:
    """An init process as containerd 1.6 answers it: ``id`` set, ``container_id`` left empty."""
    return task_pb2.Process(id=container_id, pid=pid, status=status, exit_status=exit_status)  # type: ignore[arg-type]


async def test_list_tasks_names_the_container_of_each_init_process() -> None:
    from pymoby.libcontainerd._tasks import TaskCalls

    class Lister(TaskCalls):
        def __init__(self, stubs: FakeTasks) -> None:
            self._stubs = stubs  # type: ignore[assignment]
            self.namespace = "test"

    fake = FakeTasks({("web", ""): containerd_process("web", 7, task_pb2.RUNNING)})
    (state,) = await Lister(fake).list_tasks()
    assert (state.container_id, state.process_id, state.pid) == ("web", "web", 7)
    fake.processes[("web", "")] = containerd_process("web", 7, task_pb2.STOPPED, 9)
    got = await Lister(fake).get_task("web")
    assert (got.container_id, got.exit_status) == ("web", 9)


async def test_tasks_alive_at_subscription_are_reconciled_with_containerds_real_answers() -> None:
    fake = FakeTasks({
        ("a", ""): containerd_process("a", 21, task_pb2.RUNNING),
        ("b", ""): containerd_process("b", 22, task_pb2.RUNNING),
    })  # fmt: skip
    subscriber = Subscriber(fake)
    tracker = _Tracker()
    for container_id, pid in await subscriber._live_tasks():
        tracker.alive[(container_id, container_id)] = pid
    assert tracker.alive == {("a", "a"): 21, ("b", "b"): 22}
    fake.processes[("a", "")] = containerd_process("a", 21, task_pb2.STOPPED, 4)
    del fake.processes[("b", "")]
    events = await reconcile(tracker, fake.processes)
    exits = {e.container_id: (e.process_id, e.pid, e.exit_status) for e in events if isinstance(e, TaskExit)}
    assert exits == {"a": ("a", 21, 4), "b": ("b", 22, 255)}
