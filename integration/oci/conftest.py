"""Fixtures for the OCI spec tests: one real containerd per xdist worker, and a way to run a spec.

Each worker runs its own containerd (own root, state and short socket path),
its own containerd namespace and cgroup parent; at the end it kills what is
left (tasks, shims), unmounts and removes the cgroups.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from libcontainerd.ocispec import kill_shims, remove_cgroups, remove_everything, unmount_under
from oci.runner import Result, RunContainer

from pymoby import errdefs
from pymoby.api import HostConfig
from pymoby.daemon.oci import (
    JoinNamespaces,
    ProcessSettings,
    ProcessUser,
    ResolvedDevices,
    SpecSettings,
    SysInfo,
    apply_host_config_defaults,
    build_spec,
    detect_spec_settings,
    read_sysinfo,
    resolve_devices,
    validate_host_config,
)
from pymoby.libcontainerd import Client, FifoReader, FifoSet, Supervisor, SupervisorConfig

pytestmark = pytest.mark.root


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # Session scope: the worker's containerd fixture lives in one event loop.
    return "asyncio"


@pytest.fixture(scope="session")
def cgroup_parent(worker_id: str) -> Iterator[str]:
    """This worker's cgroup parent for the containers' cgroups; removed at the end."""
    parent = f"/pymoby-oci-{worker_id}"
    yield parent
    remove_cgroups(parent)
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        with contextlib.suppress(OSError):
            (hierarchy / parent.lstrip("/")).rmdir()


@pytest.fixture(scope="session")
async def supervisor(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Supervisor]:
    """This worker's containerd, run by the supervisor for the whole session."""
    base = tmp_path_factory.mktemp("ctd")  # short: unix socket paths are limited to 108 bytes
    config = SupervisorConfig(root=base / "root", state=base / "run", log_level="warn")
    try:
        async with Supervisor(config) as running:
            yield running
    finally:
        kill_shims(str(config.address))
        unmount_under(config.root, config.state)


@pytest.fixture
async def client(supervisor: Supervisor, worker_id: str) -> AsyncIterator[Client]:
    """A client of the worker's containerd in the worker's namespace; cleans the namespace after."""
    async with await Client.connect(supervisor.address, namespace=f"pymoby-oci-{worker_id}") as connected:
        try:
            yield connected
        finally:
            with anyio.CancelScope(shield=True):
                await remove_everything(connected)


@pytest.fixture(scope="session")
def settings(cgroup_parent: str) -> SpecSettings:
    """The daemon's spec settings on this host, with the worker's cgroup parent."""
    return detect_spec_settings(cgroup_parent=cgroup_parent)


@pytest.fixture(scope="session")
def sysinfo() -> SysInfo:
    """What this host's cgroups support."""
    return read_sysinfo()


async def _read_all(reader: FifoReader | None) -> bytes:
    chunks = []
    while reader is not None:
        try:
            chunks.append(await reader.receive())
        except anyio.EndOfStream:
            break
    return b"".join(chunks)


@pytest.fixture
def run_container(
    client: Client, busybox_rootfs: Path, tmp_path: Path, settings: SpecSettings, sysinfo: SysInfo, worker_id: str
) -> RunContainer:
    """``await run_container(script, host_config=..., user=..., ...)``: run ``sh -c script`` in busybox.

    As the daemon will: the HostConfig is validated and given Docker's
    create-time defaults, then :func:`build_spec` makes the spec; the
    container is run to its end and removed.
    """
    counter = iter(range(1_000_000))

    async def run(
        script: str,
        *,
        host_config: HostConfig | None = None,
        user: ProcessUser | None = None,
        hostname: str = "oci-test",
        namespaces: JoinNamespaces | None = None,
        devices: ResolvedDevices | None = None,
        mounts: list[dict[str, Any]] | None = None,
        spec_settings: SpecSettings | None = None,
    ) -> Result:
        cid = f"oci-{worker_id}-{next(counter)}"
        hc = host_config or HostConfig()
        warnings = validate_host_config(hc, sysinfo, available_capabilities=settings.available_capabilities)
        hc = apply_host_config_defaults(hc, cgroup_version=sysinfo.cgroup_version)
        spec = build_spec(
            cid,
            process=ProcessSettings(["sh", "-c", script]),
            host_config=hc,
            settings=spec_settings or settings,
            user=user,
            hostname=hostname,
            mounts=mounts or (),
            namespaces=namespaces,
            root_path=str(busybox_rootfs),
            devices=devices if devices is not None else resolve_devices(hc),
        )
        async with FifoSet.create(tmp_path / "fifo", cid) as fifos:
            await client.create_container(cid, spec)
            try:
                await client.create_task(cid, stdio=fifos.paths)
                try:
                    await client.start_task(cid)
                    with anyio.fail_after(60):
                        out, err = await _read_all(fifos.stdout), await _read_all(fifos.stderr)
                        status = await client.wait(cid)
                finally:
                    with anyio.CancelScope(shield=True), contextlib.suppress(errdefs.NotFound):
                        await client.delete_task(cid)
            finally:
                with anyio.CancelScope(shield=True):
                    await client.delete_container(cid)
        return Result(status.code, out.decode(errors="replace"), err.decode(errors="replace"), spec, warnings)

    return run
