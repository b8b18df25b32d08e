"""The container service: every ``/containers`` and ``/exec`` operation, and their background work.

:meth:`ContainerService.run` owns the task group in which everything that
outlives a request runs (containerd's event stream, log copiers, exit
handling, restarts after their back-off, health probes). It restores the
containers first. When the caller's scope is cancelled (daemon shutdown),
the background work keeps running, shielded, until the containers are shut
down (or, with live-restore, let go of): stopping them needs their exit
events.
"""

from __future__ import annotations

import logging
from functools import partial

import anyio
import anyio.abc

from pymoby import errdefs

from ..images import CommitSource, ImageUser
from ._networking import NetworkingMixin

__all__ = ["ContainerService"]

log = logging.getLogger("pymoby.daemon")


class ContainerService(NetworkingMixin):
    """Containers on containerd: create, start, stop, exec, attach, logs, stats, restore; the backend of
    the container, exec, archive and network routers."""

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Restore, then serve until cancelled; then shut the containers down and return."""
        stopping = anyio.Event()
        async with anyio.create_task_group() as tg:
            await tg.start(self._work, stopping)
            task_status.started()
            try:
                await anyio.sleep_forever()
            finally:
                stopping.set()

    async def _work(
        self, stopping: anyio.Event, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        with anyio.CancelScope(shield=True):
            await self.host_facts()
            for directory in (self.containers_root, self.fifo_root):
                await anyio.to_thread.run_sync(partial(directory.mkdir, mode=0o710, parents=True, exist_ok=True))
            try:
                async with anyio.create_task_group() as tg:
                    self._tg = tg
                    if self._containerd is not None:
                        await tg.start(self.watch_events)
                    await self.restore()
                    task_status.started()
                    await stopping.wait()
                    try:
                        await self.shutdown()
                    finally:
                        tg.cancel_scope.cancel()
            finally:
                self._tg = None

    # -- what the image service asks of containers ------------------------------------------
    def containers_using(self, image_id: str) -> list[ImageUser]:
        """The containers created from ``image_id`` (``rmi`` conflicts, ``docker images``' counts)."""
        return [ImageUser(c.id, c.state.running) for c in self.store if c.image_id == image_id]

    async def commit_source(self, name: str) -> CommitSource:
        """The container to commit; ``Conflict`` when it is dead or being removed."""
        container = self.get(name)
        if container.state.dead or container.state.removal_in_progress:
            raise errdefs.Conflict(
                f"You cannot commit container {container.name.lstrip('/')} which is being removed or is dead"
            )
        return CommitSource(
            id=container.id,
            name=container.name.lstrip("/"),
            image_id=container.image_id,
            image=container.config.image,
            config=container.config,
            paused=container.state.paused,
        )

    async def pause_for_commit(self, container_id: str) -> None:
        """Freeze the container while its layer is read (no event)."""
        await self.containerd.pause(container_id)

    async def unpause_after_commit(self, container_id: str) -> None:
        """Thaw it again."""
        await self.containerd.resume(container_id)

    def log_commit(self, container_id: str, attributes: dict[str, str]) -> None:
        """The container ``commit`` event."""
        container = self.store.by_id(container_id)
        if container is not None:
            self.log_event(container, "commit", attributes)
