"""Tasks through a real containerd and runc: stdio, exit codes, signals, exec, pause, OOM, metrics."""

from __future__ import annotations

import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from libcontainerd.ocispec import process_spec, runtime_spec

from pymoby import errdefs
from pymoby.libcontainerd import (
    AlreadyExistsError,
    Client,
    FailedPreconditionError,
    FifoReader,
    FifoSet,
    Mount,
    NotFoundError,
    RuncOptions,
    TaskStatus,
)

pytestmark = [pytest.mark.root, pytest.mark.anyio]


def new_id() -> str:
    return "t-" + uuid.uuid4().hex[:12]


async def read_all(reader: FifoReader | None) -> bytes:
    assert reader is not None
    chunks = []
    while True:
        try:
            chunks.append(await reader.receive())
        except anyio.EndOfStream:
            return b"".join(chunks)


@asynccontextmanager
async def started(
    client: Client,
    busybox_rootfs: Path,
    tmp_path: Path,
    args: list[str],
    *,
    cgroup_parent: str,
    stdin: bool = False,
    terminal: bool = False,
    memory_limit: int | None = None,
) -> AsyncIterator[tuple[str, FifoSet]]:
    """A started task running ``args`` in busybox, with its FIFOs; deleted afterwards."""
    cid = new_id()
    spec = runtime_spec(
        cid, args, root=str(busybox_rootfs), terminal=terminal, memory_limit=memory_limit, cgroup_parent=cgroup_parent
    )
    async with FifoSet.create(tmp_path / "fifo", cid, stdin=stdin, terminal=terminal) as fifos:
        await client.create_container(cid, spec)
        await client.create_task(cid, stdio=fifos.paths)
        await client.start_task(cid)
        yield cid, fifos


async def test_process_output_arrives_on_stdout_and_stderr(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    args = ["sh", "-c", "echo out; echo err >&2; exit 3"]
    async with started(client, busybox_rootfs, tmp_path, args, cgroup_parent=cgroup_parent) as (cid, fifos):
        with anyio.fail_after(30):
            out, err = await read_all(fifos.stdout), await read_all(fifos.stderr)
            status = await client.wait(cid)
    assert (out, err) == (b"out\n", b"err\n")
    assert status.code == 3
    assert status.exited_at is not None
    deleted = await client.delete_task(cid)
    assert deleted.code == 3


@pytest.mark.parametrize("code", [0, 1, 42, 255])
async def test_exit_codes_are_reported(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str, code: int
) -> None:
    async with started(client, busybox_rootfs, tmp_path, ["sh", "-c", f"exit {code}"], cgroup_parent=cgroup_parent) as (
        cid,
        _,
    ):
        with anyio.fail_after(30):
            assert (await client.wait(cid)).code == code
        assert (await client.get_task(cid)).status is TaskStatus.STOPPED


async def test_stdin_reaches_the_process_and_closing_it_ends_input(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    async with started(client, busybox_rootfs, tmp_path, ["cat"], cgroup_parent=cgroup_parent, stdin=True) as (
        cid,
        fifos,
    ):
        assert fifos.stdin is not None
        await fifos.stdin.send(b"hello\nworld\n")
        # As Docker does when the attached client closes stdin: our end, then the shim's.
        await fifos.close_stdin()
        await client.close_stdin(cid)
        with anyio.fail_after(30):
            out = await read_all(fifos.stdout)
            status = await client.wait(cid)
    assert out == b"hello\nworld\n"
    assert status.code == 0


async def test_terminal_gives_a_tty_and_can_be_resized(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    script = "read line; tty; stty size; echo got $line"
    async with started(
        client, busybox_rootfs, tmp_path, ["sh", "-c", script], cgroup_parent=cgroup_parent, stdin=True, terminal=True
    ) as (cid, fifos):
        assert fifos.stderr is None
        await client.resize_pty(cid, 100, 30)
        assert fifos.stdin is not None
        await fifos.stdin.send(b"ping\n")
        with anyio.fail_after(30):
            status = await client.wait(cid)
            await fifos.close_stdin()
            out = await read_all(fifos.stdout)
    text = out.decode().replace("\r\n", "\n")
    assert status.code == 0
    assert "/dev/pts/0\n" in text
    assert "30 100\n" in text
    assert "got ping\n" in text


async def test_exec_runs_a_second_process_in_the_running_task(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    async with started(client, busybox_rootfs, tmp_path, ["sleep", "60"], cgroup_parent=cgroup_parent) as (cid, _):
        async with FifoSet.create(tmp_path / "exec", "e1") as fifos:
            await client.exec(
                cid, "e1", process_spec(["sh", "-c", "hostname; echo oops >&2; exit 7"]), stdio=fifos.paths
            )
            pid = await client.start_task(cid, exec_id="e1")
            assert pid > 0
            with anyio.fail_after(30):
                out, err = await read_all(fifos.stdout), await read_all(fifos.stderr)
                status = await client.wait(cid, exec_id="e1")
        assert out == cid[:12].encode() + b"\n"
        assert err == b"oops\n"
        assert status.code == 7
        assert (await client.delete_process(cid, "e1")).code == 7
        await client.exec(cid, "e2", process_spec(["true"]))
        with pytest.raises(AlreadyExistsError):
            await client.exec(cid, "e2", process_spec(["true"]))


async def test_sigterm_runs_the_process_handler(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    script = "trap 'echo bye; exit 42' TERM; echo ready; while true; do sleep 0.05; done"
    async with started(client, busybox_rootfs, tmp_path, ["sh", "-c", script], cgroup_parent=cgroup_parent) as (
        cid,
        fifos,
    ):
        assert fifos.stdout is not None
        with anyio.fail_after(30):
            assert await fifos.stdout.receive() == b"ready\n"
            await client.kill(cid, signal.SIGTERM)
            assert (await client.wait(cid)).code == 42
            assert await read_all(fifos.stdout) == b"bye\n"


async def test_sigkill_of_all_processes_reports_128_plus_signal(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    async with started(client, busybox_rootfs, tmp_path, ["sleep", "60"], cgroup_parent=cgroup_parent) as (cid, _):
        await client.kill(cid, signal.SIGKILL, all=True)
        with anyio.fail_after(30):
            assert (await client.wait(cid)).code == 128 + signal.SIGKILL


async def test_pause_freezes_and_resume_thaws(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    async with started(client, busybox_rootfs, tmp_path, ["sleep", "60"], cgroup_parent=cgroup_parent) as (cid, _):
        await client.pause(cid)
        assert (await client.get_task(cid)).status is TaskStatus.PAUSED
        await client.resume(cid)
        assert (await client.get_task(cid)).status is TaskStatus.RUNNING


async def test_list_pids_metrics_and_resource_update_of_a_running_task(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    script = "sleep 60 & sleep 60 & wait"
    async with started(
        client, busybox_rootfs, tmp_path, ["sh", "-c", script], cgroup_parent=cgroup_parent, memory_limit=64 << 20
    ) as (cid, _):
        with anyio.fail_after(30):
            while len(pids := await client.list_pids(cid)) < 3:  # noqa: ASYNC110 - nothing to wait on
                await anyio.sleep(0.05)
        task = await client.get_task(cid)
        assert task.pid in pids
        metrics = await client.metrics(cid)
        assert metrics.pids.current == 3
        assert metrics.memory.usage > 0
        assert metrics.memory.limit == 64 << 20
        assert metrics.cpu.total_usage > 0
        if metrics.cgroup_version == 1:
            assert len(metrics.cpu.percpu_usage) >= 1
            assert "rss" in metrics.memory.stats
        await client.update_task(cid, {"memory": {"limit": 128 << 20}})
        assert (await client.metrics(cid)).memory.limit == 128 << 20
        assert list(await client.metrics_of([cid, "missing"])) == [cid]


async def test_rootfs_mounts_are_mounted_for_the_task(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    # As the daemon does it: an overlay over the image's layer, a writable upper layer.
    upper, work = tmp_path / "upper", tmp_path / "work"
    upper.mkdir()
    work.mkdir()
    mount = Mount("overlay", "overlay", (f"lowerdir={busybox_rootfs}", f"upperdir={upper}", f"workdir={work}"))
    cid = new_id()
    spec = runtime_spec(cid, ["sh", "-c", "echo written > /data; cat /data"], cgroup_parent=cgroup_parent)
    spec["root"]["readonly"] = False
    async with FifoSet.create(tmp_path / "fifo", cid) as fifos:
        await client.create_container(cid, spec, runtime_options=RuncOptions(binary_name="runc"))
        await client.create_task(cid, rootfs=[mount], stdio=fifos.paths)
        await client.start_task(cid)
        with anyio.fail_after(30):
            assert await read_all(fifos.stdout) == b"written\n"
            assert (await client.wait(cid)).code == 0
    await client.delete_task(cid)
    assert (upper / "data").read_text() == "written\n"


async def test_containers_can_be_created_read_listed_updated_and_deleted(client: Client, cgroup_parent: str) -> None:
    cid = new_id()
    spec = runtime_spec(cid, ["true"], cgroup_parent=cgroup_parent)
    created = await client.create_container(cid, spec, labels={"app": "web"})
    assert created.runtime == "io.containerd.runc.v2"
    assert created.runtime_options == RuncOptions()
    assert created.created_at is not None
    got = await client.get_container(cid)
    assert got.spec == spec
    assert got.labels == {"app": "web"}
    assert [c.id for c in await client.list_containers('labels."app"==web')] == [cid]
    spec["hostname"] = "renamed"
    updated = await client.update_container(cid, spec=spec, labels={"app": "db"})
    assert updated.spec["hostname"] == "renamed"
    assert updated.labels == {"app": "db"}
    await client.delete_container(cid)
    with pytest.raises(NotFoundError) as caught:
        await client.get_container(cid)
    assert errdefs.is_not_found(caught.value)


async def test_containerd_errors_become_error_kinds(
    client: Client, busybox_rootfs: Path, tmp_path: Path, cgroup_parent: str
) -> None:
    with pytest.raises(errdefs.NotFound):
        await client.get_task("nonexistent")
    with pytest.raises(errdefs.NotFound):
        await client.kill("nonexistent", signal.SIGTERM)
    async with started(client, busybox_rootfs, tmp_path, ["sleep", "60"], cgroup_parent=cgroup_parent) as (cid, _):
        with pytest.raises(errdefs.Conflict):
            await client.create_container(cid, runtime_spec(cid, ["true"]))
        with pytest.raises(AlreadyExistsError):
            await client.create_task(cid)
        with pytest.raises(FailedPreconditionError) as caught:
            await client.delete_task(cid)
        assert errdefs.is_conflict(caught.value)


async def test_namespaces_keep_containers_apart(client: Client, cgroup_parent: str) -> None:
    cid = new_id()
    await client.create_container(cid, runtime_spec(cid, ["true"], cgroup_parent=cgroup_parent))
    other = client.with_namespace(client.namespace + "-other")
    assert cid not in [c.id for c in await other.list_containers()]
    with pytest.raises(NotFoundError):
        await other.get_container(cid)
