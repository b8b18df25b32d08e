"""The supervisor with a real containerd: start, stop, reuse, restart, and events across a crash."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from anyio.streams.memory import MemoryObjectReceiveStream
from libcontainerd.ocispec import kill_shims, runtime_spec, unmount_under

from pymoby import errdefs
from pymoby.libcontainerd import Client, Event, FifoSet, Supervisor, SupervisorConfig, TaskExit

pytestmark = [pytest.mark.root, pytest.mark.anyio]


@pytest.fixture
def config(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SupervisorConfig]:
    """A supervisor configuration of its own (short paths), cleaned up after the test."""
    base = tmp_path_factory.mktemp("sup")
    config = SupervisorConfig(root=base / "root", state=base / "run", restart_delay=0.05, health_interval=0.2)
    yield config  # type: ignore[misc]
    try:
        pid = int(config.pid_file.read_text())
    except (OSError, ValueError):
        pid = 0
    if pid and Path(f"/proc/{pid}").exists() and str(config.config_file) in Path(f"/proc/{pid}/cmdline").read_text():
        os.kill(pid, signal.SIGKILL)
    kill_shims(str(config.address))
    unmount_under(config.root, config.state)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"


async def wait_until(predicate: Callable[[], bool], limit: float = 30) -> None:
    """Poll ``predicate`` (state of another process: nothing to wait on but time)."""
    with anyio.fail_after(limit):
        while not predicate():  # noqa: ASYNC110
            await anyio.sleep(0.02)


async def test_starts_containerd_with_its_files_and_stops_it(config: SupervisorConfig) -> None:
    async with Supervisor(config) as supervisor:
        assert supervisor.address == str(config.state / "containerd.sock")
        pid = supervisor.pid
        assert pid is not None
        assert alive(pid)
        assert config.pid_file.read_text().strip() == str(pid)
        toml = config.config_file.read_text()
        assert f'root = "{config.root}"' in toml
        assert "io.containerd.grpc.v1.cri" in toml
        async with await Client.connect(supervisor.address) as client:
            version = await client.version()
        assert version.version.startswith("1.")
        assert version.revision
    await wait_until(lambda: not alive(pid))
    assert not config.pid_file.exists()


async def test_keep_running_leaves_containerd_and_the_next_supervisor_reuses_it(config: SupervisorConfig) -> None:
    async with Supervisor(replace(config, keep_running=True)) as first:
        pid = first.pid
    assert pid is not None
    assert alive(pid)
    async with Supervisor(config) as second:
        assert second.pid == pid
        async with await Client.connect(second.address) as client:
            await client.version()
    await wait_until(lambda: not alive(pid))


async def test_restarts_containerd_killed_with_sigkill(config: SupervisorConfig) -> None:
    async with Supervisor(config) as supervisor, await Client.connect(supervisor.address) as client:
        first = supervisor.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await wait_until(lambda: supervisor.restarts == 1)
        assert supervisor.pid not in (None, first)
        # The same client reconnects by itself.
        with anyio.fail_after(10):
            await client.version(wait_for_ready=True)


async def test_restarts_containerd_that_stops_answering(config: SupervisorConfig) -> None:
    async with Supervisor(config) as supervisor:
        hung = supervisor.pid
        assert hung is not None
        os.kill(hung, signal.SIGSTOP)
        await wait_until(lambda: supervisor.restarts == 1)
        assert not alive(hung)
        assert (await supervisor.version()).version


async def test_calls_fail_as_unavailable_while_containerd_is_down(config: SupervisorConfig) -> None:
    supervisor = Supervisor(config)
    async with supervisor:
        client = await Client.connect(supervisor.address)
    async with client:
        with pytest.raises(errdefs.Unavailable):
            await client.version(timeout=2)


async def exits_of(events: MemoryObjectReceiveStream[Event], container_id: str) -> TaskExit:
    with anyio.fail_after(60):
        async for event in events:
            if isinstance(event, TaskExit) and event.container_id == container_id:
                return event
    raise AssertionError("event stream ended")


async def test_exit_after_a_containerd_crash_is_still_reported(
    config: SupervisorConfig, busybox_rootfs: Path, cgroup_parent: str
) -> None:
    cid = "crash-" + uuid.uuid4().hex[:8]
    async with Supervisor(config) as supervisor, await Client.connect(supervisor.address, "crash") as client:
        async with client.subscribe() as events:
            await client.create_container(
                cid,
                runtime_spec(
                    cid, ["sh", "-c", "read x; exit 3"], root=str(busybox_rootfs), cgroup_parent=cgroup_parent
                ),
            )
            async with FifoSet.create(config.state / "fifo", cid, stdin=True) as fifos:
                await client.create_task(cid, stdio=fifos.paths)
                await client.start_task(cid)
                assert supervisor.pid is not None
                os.kill(supervisor.pid, signal.SIGKILL)
                await wait_until(lambda: supervisor.restarts == 1)
                # The task survived the crash; now it ends.
                assert fifos.stdin is not None
                await fifos.stdin.send(b"go\n")
                exit_event = await exits_of(events, cid)
        assert exit_event.exit_status == 3
        await client.delete_task(cid)
        await client.delete_container(cid)


async def test_exit_while_containerd_is_down_is_reconciled(
    config: SupervisorConfig, busybox_rootfs: Path, cgroup_parent: str
) -> None:
    cid = "down-" + uuid.uuid4().hex[:8]
    slow = replace(config, restart_delay=1.0)
    async with Supervisor(slow) as supervisor, await Client.connect(supervisor.address, "down") as client:
        async with client.subscribe() as events:
            await client.create_container(
                cid, runtime_spec(cid, ["sleep", "60"], root=str(busybox_rootfs), cgroup_parent=cgroup_parent)
            )
            task_pid = await client.create_task(cid)
            await client.start_task(cid)
            assert supervisor.pid is not None
            os.kill(supervisor.pid, signal.SIGKILL)
            # The task dies while nobody (but its shim) is watching.
            os.kill(task_pid, signal.SIGKILL)
            exit_event = await exits_of(events, cid)
        assert supervisor.restarts == 1
        assert exit_event.pid == task_pid
        assert exit_event.exit_status == 128 + signal.SIGKILL
        await client.delete_task(cid)
        await client.delete_container(cid)
