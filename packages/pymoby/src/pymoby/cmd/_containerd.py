"""containerd for the daemon: libcontainerd's supervisor and client behind the daemon's seam."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pymoby.daemon import ContainerdService
from pymoby.daemon.config import DaemonConfig
from pymoby.libcontainerd import Client, Supervisor, SupervisorConfig

__all__ = ["ContainerdConnection", "containerd_for"]


class ContainerdConnection:
    """The daemon's view of containerd: its address and its version."""

    def __init__(self, address: str, client: Client, supervisor: Supervisor | None) -> None:
        self.address = address
        self.client = client
        self.supervisor = supervisor

    async def version(self) -> tuple[str, str]:
        """containerd's (version, revision); ``Unavailable`` while it is down or restarting."""
        version = await self.client.version(timeout=3.0)
        return version.version, version.revision


@asynccontextmanager
async def containerd_for(config: DaemonConfig) -> AsyncIterator[ContainerdService]:
    """Connect to ``--containerd``, or start (and supervise) our own containerd under the data root."""
    if config.containerd:
        async with await Client.connect(config.containerd, namespace=config.containerd_namespace) as client:
            yield ContainerdConnection(config.containerd, client, None)
        return
    supervisor_config = SupervisorConfig(
        root=Path(config.data_root) / "containerd",
        state=Path(config.exec_root) / "containerd",
        binary="containerd",
        log_level="debug" if config.debug else config.log_level,
        keep_running=config.live_restore,
    )
    async with (
        Supervisor(supervisor_config) as supervisor,
        await Client.connect(supervisor.address, namespace=config.containerd_namespace) as client,
    ):
        yield ContainerdConnection(supervisor.address, client, supervisor)
