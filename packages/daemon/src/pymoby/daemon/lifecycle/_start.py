"""``POST /containers/{id}/start``: root file system, network files, spec, stdio, containerd task.

As moby's ``containerStart``: mount the read-write layer, write hostname,
hosts and resolv.conf, build the OCI spec (:mod:`pymoby.daemon.oci`), make
the stdio FIFOs and the log driver, record the container in containerd,
create the task, start the log copier, start the task. A failure undoes
every step and records the error and Docker's exit code (126 when the
command cannot be invoked, 127 when it is not found, 128 otherwise).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import anyio

from pymoby import errdefs
from pymoby.libcontainerd import FifoSet
from pymoby.restartmanager import RestartManager, RestartPolicy

from ..container import Container, format_time
from ..logger import Copier, LogInfo, copier_mode, default_log_path, new_logger
from ..oci import ProcessSettings, SpecSettings, bind_mount, build_spec, resolve_devices, resolve_user
from ._base import TaskRuntime, TaskStdin
from ._create import CreateMixin
from ._mounts import oci_mounts_for
from ._netfiles import write_network_files

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
        fifos: FifoSet | None = None
        logger = None
        runtime: TaskRuntime | None = None
        layer = None
        mounted = False
        done = False
        try:
            _, settings = await self.host_facts()
            layer = await anyio.to_thread.run_sync(self.images.get_rw_layer, container.id)
            rootfs = await anyio.to_thread.run_sync(layer.mount)
            mounted = True
            spec = await anyio.to_thread.run_sync(self._spec, container, rootfs, settings)
            config = container.config
            fifos = await anyio.to_thread.run_sync(
                lambda: FifoSet.create(
                    self.fifo_dir(container.id), "init", stdin=config.open_stdin, terminal=config.tty
                )
            )
            logger = await self._open_logger(container)
            await self._replace_containerd_container(container.id, spec)
            try:
                with anyio.fail_after(_START_TIMEOUT):
                    await client.create_task(container.id, stdio=fifos.paths)
            except errdefs.PymobyError as exc:
                raise self._start_failure(container, exc) from exc
            copier = None
            sources = {"stdout": fifos.stdout}
            if fifos.stderr is not None:
                sources["stderr"] = fifos.stderr
            mode, size = copier_mode(container.host_config.log_config.config or {})
            copier = Copier(sources, logger, tees=container.streams.tees(), mode=mode, max_buffer_size=size)  # type: ignore[arg-type]
            if fifos.stdin is not None:
                container.streams.set_stdin(TaskStdin(fifos.stdin, client, container.id))
            else:
                container.streams.set_stdin(None)
            runtime = TaskRuntime(pid=0, fifos=fifos, logger=logger, copier=copier, mounted=True)
            done = True
            return runtime
        finally:
            if not done:
                with anyio.CancelScope(shield=True):
                    await self._teardown_task(
                        container,
                        TaskRuntime(pid=0, fifos=fifos, logger=logger, copier=None, mounted=mounted),  # type: ignore[arg-type]
                    )

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

    def _spec(self, container: Container, rootfs: Any, settings: SpecSettings) -> dict[str, Any]:
        """The OCI spec (blocking: reads the image's passwd/group and the host's devices)."""
        config, host_config = container.config, container.host_config
        write_network_files(container)
        user = resolve_user(rootfs, config.user, host_config.group_add)
        mounts = oci_mounts_for(container.mount_points)
        taken = {m["destination"] for m in mounts}
        for destination, source in (
            ("/etc/resolv.conf", container.resolv_conf_path),
            ("/etc/hostname", container.hostname_path),
            ("/etc/hosts", container.hosts_path),
        ):
            if destination not in taken:
                mounts.append(bind_mount(source, destination, read_only=host_config.readonly_rootfs))
        devices = resolve_devices(host_config)
        return build_spec(
            container.id,
            process=ProcessSettings(
                args=[container.path, *container.args],
                env=tuple(config.env or ()),
                cwd=config.working_dir,
                tty=config.tty,
            ),
            host_config=host_config,
            settings=settings,
            user=user,
            hostname=config.hostname,
            domainname=config.domainname,
            mounts=mounts,
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
        if runtime.mounted:
            runtime.mounted = False
            await anyio.to_thread.run_sync(self._unmount, container.id)

    def _unmount(self, container_id: str) -> None:
        try:
            layer = self.images.get_rw_layer(container_id)
        except errdefs.NotFound:
            return
        with contextlib.suppress(errdefs.PymobyError, OSError):
            layer.unmount()

    def start_health_monitor(self, container: Container) -> None:
        """Start the container's health checks (overridden by the health mixin)."""
