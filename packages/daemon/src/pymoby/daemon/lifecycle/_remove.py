"""Remove, prune, rename and update (moby ``delete.go``, ``prune.go``, ``rename.go``, ``update.go``).

A removed container's network settings are forgotten and its volume references dropped (``rm -v``:
its anonymous volumes go too); a renamed one answers to its new name on its networks at once.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time

import anyio

from pymoby import api, errdefs
from pymoby.restartmanager import RestartPolicy

from ..container import Container, validate_name
from ..events import parse_timestamp
from ..oci import validate_host_config
from ..oci._resources import cpu_resources, memory_resources, pids_limit
from ._stop import NotRunning, StopMixin

__all__ = ["PRUNE_FILTERS", "RemoveMixin"]

log = logging.getLogger("pymoby.daemon")

PRUNE_FILTERS = frozenset({"until", "label", "label!"})
_RM_STOP_TIMEOUT = 3


def _labels_match(filters: api.Filters, labels: dict[str, str]) -> bool:
    if not filters.matches_labels("label", labels):
        return False
    for wanted in filters.get("label!"):
        key, sep, value = wanted.partition("=")
        if key in labels and (not sep or labels[key] == value):
            return False
    return True


class RemoveMixin(StopMixin):
    """Removal, pruning, renaming, updating."""

    async def remove(self, name: str, *, force: bool = False, volumes: bool = False, link: bool = False) -> None:
        """``DELETE /containers/{id}``: ``Conflict`` while it runs unless ``force``."""
        container = self.get(name)
        if link:
            raise errdefs.InvalidParameter("Conflict, cannot remove the default link name of the container")
        if container.state.removal_in_progress:
            raise errdefs.Conflict(f"removal of container {name} is already in progress")
        container.state.removal_in_progress = True
        try:
            if self.store.by_id(container.id) is None:
                return
            await self._remove(container, force=force, volumes=volumes)
        finally:
            container.state.removal_in_progress = False

    async def _remove(self, container: Container, *, force: bool, volumes: bool) -> None:
        state = container.state
        if state.running:
            if not force:
                status = "paused" if state.paused else "restarting" if state.restarting else "running"
                if status == "paused":
                    raise errdefs.Conflict(
                        f'cannot remove container "{container.name}": container is paused and must be unpaused first'
                    )
                raise errdefs.Conflict(
                    f'cannot remove container "{container.name}": container is {status}: '
                    "stop the container before removing or force remove"
                )
            try:
                await self.kill_and_wait(container)
            except NotRunning:
                pass
            except errdefs.PymobyError as exc:
                raise errdefs.System(f'cannot remove container "{container.name}": could not kill: {exc}') from exc
        if state.running:
            await self.stop_container(container, timeout=_RM_STOP_TIMEOUT)
        async with container.lock:
            if container.restart_manager is not None:
                container.restart_manager.cancel()
            state.dead = True
            await self.checkpoint(container)
            images = self.images

            def release() -> None:
                images.release_rw_layer(container.id)
                shutil.rmtree(container.root, ignore_errors=True)
                shutil.rmtree(self.fifo_dir(container.id), ignore_errors=True)

            try:
                await anyio.to_thread.run_sync(release)
            except (OSError, errdefs.PymobyError) as exc:
                state.set_removed(f"container {container.id}: {exc}")
                raise errdefs.System(f"unable to remove filesystem for {container.id}: {exc}") from exc
            await self.forget_execs(container)
            try:
                await self.networks.remove_container(container.id)
            except errdefs.PymobyError as exc:
                log.warning("failed to release the network settings of container %s: %s", container.id, exc)
            for error in await self.mounts.remove(container.id, container.mount_points, remove_volumes=volumes):
                log.warning("container %s: %s", container.id, error)
            self.store.remove(container)
            state.set_removed()
        self.log_event(container, "destroy")

    async def auto_remove(self, container: Container) -> None:
        """``--rm``: remove a container that stopped (errors are logged)."""
        if self.store.by_id(container.id) is None or container.state.removal_in_progress:
            return
        try:
            await self.remove(container.id, force=True, volumes=True)
        except errdefs.PymobyError as exc:
            log.error("can't remove container %s: %s", container.id, exc)

    # -- prune -----------------------------------------------------------------------------
    async def prune(self, filters: api.Filters) -> api.ContainerPruneResponse:
        """``POST /containers/prune``: remove the stopped containers the filters select."""
        filters.validate(PRUNE_FILTERS)
        until = None
        for value in filters.get("until"):
            until = parse_timestamp(value, time.time_ns())
        deleted: list[str] = []
        reclaimed = 0
        for container in self.store:
            if container.state.running:
                continue
            if until is not None and container.created > until:
                continue
            if not _labels_match(filters, container.config.labels or {}):
                continue
            size, _ = await anyio.to_thread.run_sync(self.images.container_sizes, container.id, container.image_id)
            try:
                await self.remove(container.id)
            except errdefs.PymobyError as exc:
                log.warning("failed to prune container %s: %s", container.id, exc)
                continue
            reclaimed += max(size, 0)
            deleted.append(container.id)
        self.events.log("container", "prune", "", {"reclaimed": str(reclaimed)})
        return api.ContainerPruneResponse(containers_deleted=deleted or None, space_reclaimed=reclaimed)

    # -- rename ----------------------------------------------------------------------------
    async def rename(self, old: str, new: str) -> None:
        """``POST /containers/{id}/rename``: ``Conflict`` when the new name is taken."""
        if not old or not new:
            raise errdefs.InvalidParameter("Neither old nor new names may be empty")
        container = self.get(old)
        new_name = new if new.startswith("/") else "/" + new
        if container.name == new_name:
            raise errdefs.InvalidParameter("Renaming a container with the same name as its current name")
        new_name = validate_name(new_name)
        try:
            self.store.names.reserve(new_name, container.id)
        except errdefs.Conflict as exc:
            raise type(exc)(f"Error when allocating new name: {exc}") from exc
        old_name = container.name
        container.name = new_name
        self.store.names.release(old_name)
        try:
            await self.networks.rename_container(container.id, new_name)
        except errdefs.NotFound:
            pass  # the network subsystem does not know it (created before it was wired in)
        await self.checkpoint(container)
        self.log_event(container, "rename", {"oldName": old_name})

    # -- update ----------------------------------------------------------------------------
    async def update(self, name: str, request: api.ContainerUpdateRequest) -> api.ContainerUpdateResponse:
        """``POST /containers/{id}/update``: resources (live when running) and the restart policy."""
        container = self.get(name)
        changes = api.HostConfig(**{f: getattr(request, f) for f in api.Resources.__struct_fields__})
        if request.restart_policy is not None:
            changes.restart_policy = request.restart_policy
        changes.network_mode = container.host_config.network_mode
        sysinfo, settings = await self.host_facts()
        warnings = validate_host_config(
            changes, sysinfo, update=True, available_capabilities=settings.available_capabilities
        )
        async with container.lock:
            state = container.state
            if state.removal_in_progress or state.dead:
                raise errdefs.Conflict(
                    f'Cannot update container {container.id}: container is marked for removal and cannot be "update".'
                )
            current = container.host_config
            merged = api.decode(api.encode(current), api.HostConfig)
            self._merge_resources(container.id, merged, changes)
            policy = request.restart_policy
            new_policy: RestartPolicy | None = None
            if policy is not None and policy.name:
                if merged.auto_remove and policy.name != "no":
                    raise errdefs.Conflict(
                        f"Cannot update container {container.id}: "
                        "Restart policy cannot be updated because AutoRemove is enabled for the container"
                    )
                new_policy = RestartPolicy.from_api(policy.name, policy.maximum_retry_count)
                merged.restart_policy = api.RestartPolicy(
                    name=policy.name, maximum_retry_count=policy.maximum_retry_count
                )
            if state.running and not state.restarting and container.runtime is not None:
                resources: dict[str, object] = {}
                for key, value in (
                    ("memory", memory_resources(merged)),
                    ("cpu", cpu_resources(merged)),
                    ("pids", pids_limit(merged)),
                ):
                    if value is not None:
                        resources[key] = value
                if merged.blkio_weight:
                    resources["blockIO"] = {"weight": merged.blkio_weight}
                try:
                    await self.containerd.update_task(container.id, resources)
                except errdefs.PymobyError as exc:
                    raise errdefs.System(f"Cannot update container {container.id}: {exc}") from exc
            container.host_config = merged
            if new_policy is not None and container.restart_manager is not None:
                container.restart_manager.set_policy(new_policy)
            await self.checkpoint(container)
        self.log_event(container, "update")
        return api.ContainerUpdateResponse(warnings=warnings or None)

    @staticmethod
    def _merge_resources(container_id: str, current: api.HostConfig, changes: api.HostConfig) -> None:
        """Docker's ``UpdateContainer``: the fields given (non-zero) replace the current ones."""
        for name in (
            "blkio_weight", "cpu_shares", "nano_cpus", "cpu_period", "cpu_quota", "cpuset_cpus", "cpuset_mems",
            "memory_reservation", "cpu_realtime_period", "cpu_realtime_runtime",
        ):  # fmt: skip
            value = getattr(changes, name)
            if value:
                setattr(current, name, value)
        if changes.nano_cpus:
            current.cpu_period = current.cpu_quota = 0
        if changes.cpu_period or changes.cpu_quota:
            current.nano_cpus = 0
        if changes.memory:
            if changes.memory > current.memory_swap > 0 and changes.memory_swap == 0:
                raise errdefs.Conflict(
                    f"Cannot update container {container_id}: Memory limit should be smaller than already set "
                    "memoryswap limit, update the memoryswap at the same time"
                )
            current.memory = changes.memory
        if changes.memory_swap:
            current.memory_swap = changes.memory_swap
        if changes.pids_limit is not None:
            current.pids_limit = changes.pids_limit if changes.pids_limit > 0 else None
        with contextlib.suppress(AttributeError):
            if changes.memory_swappiness is not None:
                current.memory_swappiness = changes.memory_swappiness
