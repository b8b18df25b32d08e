"""``docker cp`` for the container service: a container's file system for the archive routes.

The archive functions (:mod:`pymoby.daemon.archive`) resolve paths inside
it; this opens it: the read-write layer mounted (a stopped container's for
the duration of the call), with its binds, volumes (mounted meanwhile) and
tmpfs mounts as :class:`~pymoby.daemon.volume.ContainerMounts` gives them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from pymoby import errdefs

from ..archive import ArchiveTarget
from ._stats import StatsMixin

__all__ = ["ArchiveMixin"]


class ArchiveMixin(StatsMixin):
    """The container side of ``HEAD/GET/PUT /containers/{id}/archive``."""

    @asynccontextmanager
    async def container_filesystem(self, name: str) -> AsyncIterator[ArchiveTarget]:
        """The container's root file system mounted for the call, with its mounts; ``No such container``."""
        container = self.get(name)
        if container.state.removal_in_progress or container.state.dead:
            raise errdefs.Conflict(f"container {container.id} is marked for removal")
        layer = await anyio.to_thread.run_sync(self.images.get_rw_layer, container.id)
        root = await anyio.to_thread.run_sync(layer.mount)
        try:
            async with self.mounts.filesystem(container.id, container.mount_points, container.host_config) as mounts:
                yield ArchiveTarget(
                    container_id=container.id,
                    root=str(root),
                    mounts=mounts,
                    read_only_root=container.host_config.readonly_rootfs,
                    user=container.config.user,
                )
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(layer.unmount)

    def log_container_event(self, container_id: str, action: str) -> None:
        """``archive-path`` and ``extract-to-dir`` events."""
        container = self.store.by_id(container_id)
        if container is not None:
            self.log_event(container, action)
