"""Fixtures for the libcontainerd tests: one real containerd per xdist worker.

Each worker runs its own containerd (own root, state and short socket path)
under a :class:`Supervisor`, uses its own containerd namespace and cgroup
parent, and at the end kills what is left: tasks, shims, mounts, cgroups.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
from libcontainerd.ocispec import kill_shims, remove_cgroups, remove_everything, unmount_under

from pymoby.libcontainerd import Client, Supervisor, SupervisorConfig


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # Session scope: the worker's containerd fixture lives in one event loop.
    return "asyncio"


@pytest.fixture(scope="session")
def worker(worker_id: str) -> str:
    """The xdist worker name (``master`` without xdist), for per-worker names."""
    return worker_id


@pytest.fixture(scope="session")
def namespace(worker: str) -> str:
    """This worker's containerd namespace."""
    return f"pymoby-test-{worker}"


@pytest.fixture(scope="session")
def cgroup_parent(worker: str) -> Iterator[str]:
    """This worker's cgroup parent for the containers' cgroups; removed at the end."""
    parent = f"/pymoby-test-{worker}"
    yield parent
    remove_cgroups(parent)


@pytest.fixture(scope="session")
def containerd_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short base directory (socket paths must stay under 108 bytes)."""
    return tmp_path_factory.mktemp("ctd")


def cleanup_containerd(address: str, *directories: Path) -> None:
    """Kill the shims of the containerd at ``address`` and unmount what they left."""
    kill_shims(address)
    unmount_under(*directories)


@pytest.fixture(scope="session")
async def supervisor(containerd_base: Path, cgroup_parent: str) -> AsyncIterator[Supervisor]:
    """This worker's containerd, run by the supervisor for the whole session."""
    config = SupervisorConfig(root=containerd_base / "root", state=containerd_base / "run", log_level="info")
    try:
        async with Supervisor(config) as running:
            yield running
    finally:
        cleanup_containerd(str(config.address), config.root, config.state)


@pytest.fixture
async def client(supervisor: Supervisor, namespace: str) -> AsyncIterator[Client]:
    """A client of the worker's containerd in the worker's namespace; cleans the namespace after."""
    async with await Client.connect(supervisor.address, namespace=namespace) as connected:
        try:
            yield connected
        finally:
            with anyio.CancelScope(shield=True):
                await remove_everything(connected)
