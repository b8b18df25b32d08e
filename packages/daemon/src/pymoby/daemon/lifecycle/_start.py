"""``POST /containers/{id}/start``: root file system, network files, spec, stdio, containerd task.

As moby's ``containerStart``: mount the read-write layer, set up the
network (:mod:`pymoby.daemon.network`: namespace, endpoints, ports, hosts
and resolv.conf), mount the volumes (:mod:`pymoby.daemon.volume`), write
the hostname file, build the OCI spec (:mod:`pymoby.daemon.oci`), make the
stdio FIFOs and the log driver, record the container in containerd, create
the task, start the log copier, start the task. A failure undoes every
step and records the error and Docker's exit code (126 when the command
cannot be invoked, 127 when it is not found, 128 otherwise).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import anyio

from pymoby import api, errdefs
from pymoby.libcontainerd import FifoSet
from pymoby.restartmanager import RestartManager, RestartPolicy

from ..container import Container, atomic_write, format_time
from ..logger import Copier, LogInfo, copier_mode, default_log_path, new_logger
from ..network import SandboxInfo
from ..oci import (
    JoinNamespaces,
    ProcessSettings,
    SpecSettings,
    bind_mount,
    build_spec,
    resolve_devices,
    resolve_user,
)
from ..volume import StartedMounts
from ._base import TaskRuntime, TaskStdin
from ._create import CreateMixin

__all__ = ["StartError", "StartMixin", "exit_code_for"]

log = logging.getLogger("pymoby.daemon")

_START_TIMEOUT = 60.0


class StartError(errdefs.InvalidParameter):
    """The container's command cannot run (not found, not executable, a bad mount)."""


def exit_code_for(message: str) -> tuple[int, bool]:
    """Docker's exit code for a start failure, and whether it is the user's fault (``setExitCodeFromError``)."""
    text = message.lower()
    if "permission denied" in text or "is a directory" in text:
        return 126, True
    if "not a directory" in text:
        return 127, True
    for needle in ("executable file not found", "no such file or directory", "failed to run runc create/exec call"):
        if needle in text:
            return 127, True
    return 128, False


class StartMixin(CreateMixin):
    """Starting containers."""

    async def start(self, name: str) -> None:
        """Start a created or stopped container.

        Raises ``NotModified`` when it runs already, ``Conflict`` when it is
        paused or being removed, and the start errors (see :func:`exit_code_for`).
        """
        container = self.get(name)
        state = container.state
        if state.paused:
            raise errdefs.Conflict("cannot start a paused container, try unpause instead")
        if state.running:
            raise errdefs.NotModified("container is already running")
        if state.removal_in_progress or state.dead:
            raise errdefs.Conflict("container is marked for removal and cannot be started")
        try:
            async with container.lock:
                await self._start_locked(container, reset_restart_manager=True)
        except errdefs.PymobyError:
            if container.host_config.auto_remove:
                await self.auto_remove(container)
            raise

    async def auto_remove(self, container: Container) -> None:
        """``--rm``: remove the container (overridden by the removal mixin)."""

    async def _start_locked(self, container: Container, *, reset_restart_manager: bool) -> None:
        """Start ``container`` (its lock held); on failure everything is undone and the error recorded."""
        state = container.state
        if reset_restart_manager and state.running:
            return
        if state.removal_in_progress or state.dead:
            raise errdefs.Conflict("container is marked for removal and cannot be started")
        runtime: TaskRuntime | None = None
        ok = False
        try:
            runtime = await self._create_task(container)
            if reset_restart_manager or container.restart_manager is None:
                policy = container.host_config.restart_policy
                container.restart_manager = RestartManager(
                    RestartPolicy.from_api(policy.name, policy.maximum_retry_count), restart_count=0
                )
                container.has_been_manually_stopped = False
            container.runtime = runtime
            if runtime.copier is not None:
                self.spawn(runtime.copier.run, name=f"log copier {container.short_id}")
            try:
                with anyio.fail_after(_START_TIMEOUT):
                    pid = await self.containerd.start_task(container.id)
            except errdefs.PymobyError as exc:
                raise self._start_failure(container, exc) from exc
            runtime.pid = pid
            container.has_been_manually_restarted = False
            state.set_running(pid, initial=True)
            container.has_been_started_before = True
            ok = True
        finally:
            container.start_attempted.set()
            if not ok:
                if state.exit_code == 0:
                    state.exit_code = 128
                with anyio.CancelScope(shield=True):
                    await self._teardown_task(container, runtime)
                    container.runtime = None
                    await self.checkpoint(container)
        self.start_health_monitor(container)
        await self.checkpoint(container)
        self.log_event(container, "start")

    def _start_failure(self, container: Container, exc: errdefs.PymobyError) -> errdefs.PymobyError:
        message = getattr(exc, "details", "") or str(exc)
        code, user_error = exit_code_for(message)
        container.state.exit_code = code
        container.state.set_error(message)
        if user_error:
            return StartError(message)
        return errdefs.System(message)

    async def _create_task(self, container: Container) -> TaskRuntime:
        """Everything up to a created (not yet started) task; undone by :meth:`_teardown_task` on failure."""
        client = self.containerd
        # What is held so far, released by _teardown_task if a later step fails.
        held = TaskRuntime(pid=0, fifos=None, logger=None, copier=None)  # type: ignore[arg-type]
        started: StartedMounts | None = None
        done = False
        try:
            _, settings = await self.host_facts()
            layer = await anyio.to_thread.run_sync(self.images.get_rw_layer, container.id)
            rootfs = await anyio.to_thread.run_sync(layer.mount)
            held.mounted = True
            info = await self._start_network(container)
            held.networked = True
            started = await self.mounts.start(
                container.id, container.mount_points, container.host_config, rootfs=rootfs
            )
            held.volumes_mounted = True
            spec = await anyio.to_thread.run_sync(
                self._spec, container, rootfs, settings, info, started.mounts, self._netns_path(container, info)
            )
            config = container.config
            held.fifos = await anyio.to_thread.run_sync(
                lambda: FifoSet.create(
                    self.fifo_dir(container.id), "init", stdin=config.open_stdin, terminal=config.tty
                )
            )
            fifos = held.fifos
            held.logger = logger = await self._open_logger(container)
            await self._replace_containerd_container(container.id, spec)
            try:
                with anyio.fail_after(_START_TIMEOUT):
                    await client.create_task(container.id, stdio=fifos.paths)
            except errdefs.PymobyError as exc:
                raise self._start_failure(container, exc) from exc
            sources = {"stdout": fifos.stdout}
            if fifos.stderr is not None:
                sources["stderr"] = fifos.stderr
            mode, size = copier_mode(container.host_config.log_config.config or {})
            held.copier = Copier(sources, logger, tees=container.streams.tees(), mode=mode, max_buffer_size=size)  # type: ignore[arg-type]
            if fifos.stdin is not None:
                container.streams.set_stdin(TaskStdin(fifos.stdin, client, container.id))
            else:
                container.streams.set_stdin(None)
            done = True
            return held
        finally:
            with anyio.CancelScope(shield=True):
                if started is not None:
                    await started.release()  # the task holds its sub-path mounts now (or never will)
                if not done:
                    await self._teardown_task(container, held)

    async def _start_network(self, container: Container) -> SandboxInfo:
        """Set up the container's network; its hosts, resolv.conf and hostname files are recorded."""
        mode = container.host_config.network_mode
        if mode.startswith("container:"):
            # As Docker: the container takes the other's name and files along with its namespace.
            target = self.get(mode.removeprefix("container:"))
            container.config.hostname = target.config.hostname
            container.config.domainname = target.config.domainname
        if not self.network_known(container):
            # Its network (or the container whose network it joins) did not exist at create.
            container.network_settings = await self.register_network(container)
        info = await self.networks.start_container(container.id)
        container.network_settings = info.settings
        container.hosts_path = str(info.hosts_path)
        container.resolv_conf_path = str(info.resolv_conf_path)
        if mode.startswith("container:"):
            container.hostname_path = self.get(mode.removeprefix("container:")).hostname_path
        else:
            container.hostname_path = str(container.root / "hostname")
        return info

    def _netns_path(self, container: Container, info: SandboxInfo) -> str | None:
        """The network namespace to join: the sandbox's, or for ``container:`` mode on the host's
        network the other container's process's (``None``: the host's, for ``--network host``)."""
        if info.netns_path is not None:
            return str(info.netns_path)
        mode = container.host_config.network_mode
        if mode.startswith("container:"):
            target = self.get(mode.removeprefix("container:"))
            if not target.state.running or not target.state.pid:
                raise errdefs.Conflict(
                    f"cannot join network of a non running container: {mode.removeprefix('container:')}"
                )
            return f"/proc/{target.state.pid}/ns/net"
        return None

    async def _replace_containerd_container(self, container_id: str, spec: dict[str, Any]) -> None:
        """Record the container in containerd, replacing a stale record of an earlier run."""
        client = self.containerd
        try:
            await client.create_container(container_id, spec)
            return
        except errdefs.Conflict:
            pass
        with contextlib.suppress(errdefs.NotFound, errdefs.Conflict):
            await client.kill(container_id, 9, all=True)
        with contextlib.suppress(errdefs.NotFound, errdefs.Conflict):
            await client.delete_task(container_id)
        with contextlib.suppress(errdefs.NotFound):
            await client.delete_container(container_id)
        await client.create_container(container_id, spec)

    async def _open_logger(self, container: Container) -> Any:
        log_config = container.host_config.log_config
        driver = log_config.type or self.config.log_driver
        path = default_log_path(driver, container.root, container.id)
        container.log_path = path
        config = container.config
        info = LogInfo(
            config=dict(log_config.config or {}),
            container_id=container.id,
            container_name=container.name,
            container_entrypoint=container.path,
            container_args=tuple(container.args),
            container_image_id=container.image_id,
            container_image_name=config.image,
            container_created=format_time(container.created),
            container_env=tuple(config.env or ()),
            container_labels=dict(config.labels or {}),
            log_path=path,
        )
        return await anyio.to_thread.run_sync(new_logger, driver, info)

    def _spec(
        self,
        container: Container,
        rootfs: Any,
        settings: SpecSettings,
        info: SandboxInfo,
        volume_mounts: list[dict[str, Any]],
        netns: str | None,
    ) -> dict[str, Any]:
        """The OCI spec (blocking: reads the image's passwd/group and the host's devices)."""
        config, host_config = container.config, container.host_config
        if not host_config.network_mode.startswith("container:"):
            atomic_write(container.root / "hostname", f"{config.hostname}\n".encode(), mode=0o644)
        user = resolve_user(rootfs, config.user, host_config.group_add)
        mounts = list(volume_mounts)
        taken = {m["destination"] for m in mounts}
        for destination, source in (
            ("/etc/resolv.conf", container.resolv_conf_path),
            ("/etc/hostname", container.hostname_path),
            ("/etc/hosts", container.hosts_path),
        ):
            if destination not in taken and source:
                mounts.append(bind_mount(source, destination, read_only=host_config.readonly_rootfs))
        devices = resolve_devices(host_config)
        return build_spec(
            container.id,
            process=ProcessSettings(
                args=[container.path, *container.args],
                env=tuple(config.env or ()),
                cwd=config.working_dir,
                tty=config.tty,
                linked_env=info.link_env,
            ),
            host_config=host_config,
            settings=settings,
            user=user,
            hostname=config.hostname,
            domainname=config.domainname,
            mounts=mounts,
            namespaces=JoinNamespaces(network=netns),
            root_path=str(rootfs),
            devices=devices,
        )

    async def _teardown_task(self, container: Container, runtime: TaskRuntime | None) -> None:
        """Release what a task held: containerd records, FIFOs, log driver, root file system mount."""
        client = self._containerd
        if client is not None:
            with contextlib.suppress(errdefs.NotFound, errdefs.Conflict, errdefs.Unavailable):
                await client.delete_task(container.id)
            with contextlib.suppress(errdefs.NotFound, errdefs.Conflict, errdefs.Unavailable):
                await client.delete_container(container.id)
        if runtime is None:
            return
        if runtime.copier is not None:
            runtime.copier.stop()
        await container.streams.close()
        if runtime.fifos is not None:
            await runtime.fifos.aclose()
        if runtime.logger is not None:
            with contextlib.suppress(OSError, errdefs.PymobyError):
                await runtime.logger.close()
        await self.release_resources(container, runtime)

    async def release_resources(self, container: Container, runtime: TaskRuntime) -> None:
        """What a task held besides its I/O, in Docker's order: network, volumes, root file system."""
        if runtime.networked:
            runtime.networked = False
            try:
                await self.networks.stop_container(container.id)
            except Exception:  # the exit must be handled whatever the kernel said; what is left is logged
                log.exception("failed to release the network of container %s", container.id)
            container.network_settings = self.network_settings(container)
        if runtime.volumes_mounted:
            runtime.volumes_mounted = False
            await self.mounts.stop(container.id, container.mount_points)
        if runtime.mounted:
            runtime.mounted = False
            await anyio.to_thread.run_sync(self._unmount, container.id)

    def network_known(self, container: Container) -> bool:
        """Whether the network subsystem has the container's settings."""
        try:
            self.networks.container_settings(container.id)
        except errdefs.NotFound:
            return False
        return True

    def network_settings(self, container: Container) -> api.NetworkSettings:
        """The container's ``NetworkSettings`` as the network subsystem knows them now (the recorded
        ones when it does not know the container)."""
        try:
            return self.networks.container_settings(container.id)
        except errdefs.NotFound:
            return container.network_settings

    def _unmount(self, container_id: str) -> None:
        try:
            layer = self.images.get_rw_layer(container_id)
        except errdefs.NotFound:
            return
        with contextlib.suppress(errdefs.PymobyError, OSError):
            layer.unmount()

    def start_health_monitor(self, container: Container) -> None:
        """Start the container's health checks (overridden by the health mixin)."""
