"""Task events from a real containerd: order, OOM, exec, pause, 50 tasks at once."""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
import pytest
from anyio.streams.memory import MemoryObjectReceiveStream
from libcontainerd.ocispec import process_spec, runtime_spec

from pymoby.libcontainerd import (
    Client,
    Event,
    TaskCreate,
    TaskDelete,
    TaskExecAdded,
    TaskExecStarted,
    TaskExit,
    TaskOOM,
    TaskPaused,
    TaskResumed,
    TaskStart,
)

pytestmark = [pytest.mark.root, pytest.mark.anyio]


def new_id() -> str:
    return "e-" + uuid.uuid4().hex[:12]


async def events_until(
    events: MemoryObjectReceiveStream[Event], done: type[Event], container_id: str, limit: float = 30
) -> list[Event]:
    """The events of ``container_id`` up to and including the first of type ``done``."""
    seen: list[Event] = []
    with anyio.fail_after(limit):
        async for event in events:
            if event.container_id != container_id:
                continue
            seen.append(event)
            if isinstance(event, done):
                return seen
    raise AssertionError("event stream ended")


async def test_a_task_life_is_reported_in_order(client: Client, busybox_rootfs: Path, cgroup_parent: str) -> None:
    cid = new_id()
    async with client.subscribe() as events:
        await client.create_container(
            cid, runtime_spec(cid, ["sh", "-c", "exit 5"], root=str(busybox_rootfs), cgroup_parent=cgroup_parent)
        )
        pid = await client.create_task(cid)
        await client.start_task(cid)
        await client.wait(cid)
        await client.delete_task(cid)
        seen = await events_until(events, TaskDelete, cid)
    assert [type(e) for e in seen] == [TaskCreate, TaskStart, TaskExit, TaskDelete]
    exit_event = seen[2]
    assert isinstance(exit_event, TaskExit)
    assert exit_event.is_init
    assert (exit_event.pid, exit_event.exit_status, exit_event.synthetic) == (pid, 5, False)
    assert exit_event.exited_at is not None


async def test_exec_and_pause_events(client: Client, busybox_rootfs: Path, cgroup_parent: str) -> None:
    cid = new_id()
    async with client.subscribe() as events:
        await client.create_container(
            cid, runtime_spec(cid, ["sleep", "60"], root=str(busybox_rootfs), cgroup_parent=cgroup_parent)
        )
        await client.create_task(cid)
        await client.start_task(cid)
        await client.exec(cid, "x1", process_spec(["sh", "-c", "exit 9"]))
        exec_pid = await client.start_task(cid, exec_id="x1")
        seen = await events_until(events, TaskExit, cid)
        await client.pause(cid)
        await client.resume(cid)
        seen += await events_until(events, TaskResumed, cid)
    kinds = [type(e) for e in seen]
    assert kinds == [TaskCreate, TaskStart, TaskExecAdded, TaskExecStarted, TaskExit, TaskPaused, TaskResumed]
    started, exited = seen[3], seen[4]
    assert isinstance(started, TaskExecStarted)
    assert (started.exec_id, started.pid) == ("x1", exec_pid)
    assert isinstance(exited, TaskExit)
    assert (exited.process_id, exited.exit_status) == ("x1", 9)
    assert not exited.is_init


async def test_out_of_memory_kill_is_reported_as_an_oom_event(
    client: Client, busybox_rootfs: Path, cgroup_parent: str
) -> None:
    cid = new_id()
    # tail buffers a never-ending line of zeros until the 16 MiB limit is hit.
    spec = runtime_spec(
        cid, ["tail", "/dev/zero"], root=str(busybox_rootfs), memory_limit=16 << 20, cgroup_parent=cgroup_parent
    )
    async with client.subscribe() as events:
        await client.create_container(cid, spec)
        await client.create_task(cid)
        await client.start_task(cid)
        seen = await events_until(events, TaskExit, cid, limit=60)
    assert any(isinstance(e, TaskOOM) for e in seen)
    exit_event = seen[-1]
    assert isinstance(exit_event, TaskExit)
    assert exit_event.exit_status == 137


async def test_fifty_tasks_started_concurrently_all_report_their_exit(
    client: Client, busybox_rootfs: Path, cgroup_parent: str
) -> None:
    ids = [f"{new_id()}-{i}" for i in range(50)]
    exits: dict[str, int] = {}
    async with client.subscribe() as events:

        async def run(cid: str, code: int) -> None:
            await client.create_container(
                cid,
                runtime_spec(cid, ["sh", "-c", f"exit {code}"], root=str(busybox_rootfs), cgroup_parent=cgroup_parent),
            )
            await client.create_task(cid)
            await client.start_task(cid)

        with anyio.fail_after(240):
            async with anyio.create_task_group() as tg:
                for i, cid in enumerate(ids):
                    tg.start_soon(run, cid, i % 7)
            async for event in events:
                if isinstance(event, TaskExit) and event.container_id in ids:
                    exits[event.container_id] = event.exit_status
                    if len(exits) == len(ids):
                        break
    assert exits == {cid: i % 7 for i, cid in enumerate(ids)}
    async with anyio.create_task_group() as tg:
        for cid in ids:
            tg.start_soon(client.delete_task, cid)
    assert not [t for t in await client.list_tasks() if t.container_id in ids]
