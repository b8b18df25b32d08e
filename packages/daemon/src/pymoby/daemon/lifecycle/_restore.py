"""Daemon start and stop for containers: restore from disk, reconnect, restart; shut down.

At start (moby ``daemon.restore``): every ``config.v2.json`` is loaded and
its name registered; containerd says what became of each task while the
daemon was away. With ``live-restore`` a running task is taken back (its
FIFOs reopened, its log driver and copier started again); without it, a
task found running is stopped. Tasks that exited meanwhile are reaped with
their real exit code. The containers take their volume references back;
the network subsystem keeps the sandboxes of those still running and
releases the others' (namespaces, veths, rules a daemon killed left
behind); volume mounts nobody uses are unmounted. Containers half removed
are removed; stopped ``--rm`` containers go; those the restart policy wants
running start.

At shutdown without ``live-restore`` every running container is stopped
(in parallel, within ``shutdown-timeout``); with it they keep running and
the daemon only lets go of their FIFOs.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

import anyio

from pymoby import errdefs
from pymoby.libcontainerd import FifoReader, FifoSet, FifoWriter, StdioPaths, TaskExit, TaskStatus
from pymoby.restartmanager import RestartManager, RestartPolicy

from ..container import Container, ExitStatus
from ..logger import Copier, copier_mode
from ._base import TaskRuntime, TaskStdin
from ._health import HealthMixin

__all__ = ["RestoreMixin"]

log = logging.getLogger("pymoby.daemon")

_LIVE = (TaskStatus.RUNNING, TaskStatus.PAUSED, TaskStatus.PAUSING, TaskStatus.CREATED)


def _load_all(root: Path) -> list[Container]:
    containers: list[Container] = []
    if not root.is_dir():
        return containers
    for entry in root.iterdir():
        if not (entry / "config.v2.json").exists():
            continue
        try:
            containers.append(Container.from_disk(entry))
        except (OSError, ValueError) as exc:
            log.error("failed to load container %s: %s", entry.name, exc)
    return containers


class RestoreMixin(HealthMixin):
    """Restore at start, shut down at exit."""

    async def restore(self) -> None:
        """Load the containers, reconcile them with containerd, restart what should run."""
        containers = await anyio.to_thread.run_sync(_load_all, self.containers_root)
        for container in containers:
            try:
                self.store.names.reserve(container.name, container.id)
            except errdefs.Conflict:
                log.error("container %s: name %s is taken, renaming to its ID", container.id, container.name)
                container.name = "/" + container.id[:12]
                self.store.names.reserve(container.name, container.id)
            self.store.add(container)
            policy = container.host_config.restart_policy
            try:
                parsed = RestartPolicy.from_api(policy.name, policy.maximum_retry_count)
            except errdefs.InvalidParameter:
                parsed = RestartPolicy()
            container.restart_manager = RestartManager(parsed, restart_count=container.restart_count)
        live = {}
        if self._containerd is not None:
            with contextlib.suppress(errdefs.PymobyError):
                live = {t.container_id: t for t in await self.containerd.list_tasks()}
        to_remove: list[Container] = []
        to_start: list[Container] = []
        for container in containers:
            try:
                await self._restore_one(container, live.get(container.id))
            except errdefs.PymobyError as exc:
                log.error("failed to restore container %s: %s", container.id, exc)
        await self._restore_mounts_and_networks(containers)
        for container in containers:
            state = container.state
            if state.removal_in_progress or state.dead:
                to_remove.append(container)
            elif not state.running:
                if container.host_config.auto_remove:
                    to_remove.append(container)
                elif self._should_start(container):
                    to_start.append(container)
        for container in to_remove:
            state = container.state
            state.removal_in_progress = state.dead = False
            with contextlib.suppress(errdefs.PymobyError):
                await self.remove(container.id, force=True, volumes=True)
        for container in to_start:
            self.spawn(self._restart_on_boot, container, name=f"boot start {container.short_id}")

    async def _restore_mounts_and_networks(self, containers: list[Container]) -> None:
        """Volume references back, the network of what still runs kept and of the rest released,
        and what a dead daemon left mounted unmounted."""
        for container in containers:
            running = container.state.running
            if not running:
                for point in container.mount_points.values():
                    point.id = ""  # the mount of a task that is gone
            await self.mounts.restore(container.id, container.mount_points, running=running)
            await self._ensure_network_record(container)
        await self.networks.restore_containers(
            running=[c.id for c in containers if c.state.running], known=[c.id for c in containers]
        )
        for container in containers:
            container.network_settings = self.network_settings(container)
            await self.checkpoint(container)
        await self.mounts.cleanup()

    async def _ensure_network_record(self, container: Container) -> None:
        """A container the network subsystem does not know (its records were lost) is made known again."""
        if self.network_known(container):
            return
        try:
            await self.register_network(container)
        except errdefs.PymobyError as exc:
            log.error("container %s: cannot restore its network settings: %s", container.id, exc)

    def _should_start(self, container: Container) -> bool:
        manager = container.restart_manager
        if manager is None or manager.policy.is_none:
            return False
        state = container.state
        if not container.has_been_started_before:
            return False
        probe = RestartManager(manager.policy, restart_count=container.restart_count)
        duration = max(0.0, (state.finished_at - state.started_at) / 1e9)
        try:
            decision = probe.should_restart(
                state.exit_code, manually_stopped=container.has_been_manually_stopped, execution_duration=duration
            )
        except errdefs.PymobyError:
            return False
        return decision.restart

    async def _restart_on_boot(self, container: Container) -> None:
        try:
            async with container.lock:
                await self._start_locked(container, reset_restart_manager=False)
        except errdefs.PymobyError as exc:
            log.error("failed to start container %s on boot: %s", container.id, exc)

    async def _restore_one(self, container: Container, task: object | None) -> None:
        state = container.state
        status = getattr(task, "status", None)
        alive = task is not None and status in _LIVE
        if task is not None and self.config.live_restore and state.running:
            pid = getattr(task, "pid", 0)
            await self._reattach(container, pid, status is TaskStatus.PAUSED)
            if not alive:
                # It exited while the daemon was away: its last output is still in the FIFOs, and
                # the normal exit handling drains it into the log driver before deleting the task.
                exit_event = TaskExit(
                    container.id,
                    container.id,
                    pid,
                    getattr(task, "exit_status", 255),
                    getattr(task, "exited_at", None),
                    synthetic=True,
                )
                self.spawn(self.handle_exit, container, exit_event, name=f"late exit {container.short_id}")
            return
        if alive:
            log.info("container %s is running but live-restore is off: stopping it", container.id)
            with contextlib.suppress(errdefs.PymobyError):
                await self.containerd.kill(container.id, 9, all=True)
            with anyio.move_on_after(10), contextlib.suppress(errdefs.PymobyError):
                await self.containerd.wait(container.id)
        exit_status = ExitStatus(255, 0)
        if task is not None:
            try:
                deleted = await self.containerd.delete_task(container.id)
                exited_at = int(deleted.exited_at.timestamp() * 1e9) if deleted.exited_at else 0
                exit_status = ExitStatus(deleted.code, exited_at)
            except errdefs.PymobyError as exc:
                log.warning("could not delete the task of %s: %s", container.id, exc)
        if self._containerd is not None:
            with contextlib.suppress(errdefs.PymobyError):
                await self.containerd.delete_container(container.id)
        await anyio.to_thread.run_sync(self._release_stale_mount, container.id)
        if state.running:
            if task is None:
                exit_status = ExitStatus(state.exit_code or 255, 0)
            state.set_stopped(exit_status)
            self.log_event(container, "die", {"exitCode": str(exit_status.exit_code), "execDuration": "0"})
            await self.checkpoint(container)

    def _release_stale_mount(self, container_id: str) -> None:
        """Drop a root file system mount left by a daemon that died (taking it over, then releasing it)."""
        try:
            layer = self.images.get_rw_layer(container_id)
        except errdefs.NotFound:
            return
        with contextlib.suppress(errdefs.PymobyError, OSError):
            layer.mount()
            layer.unmount()

    async def _reattach(self, container: Container, pid: int, paused: bool) -> None:
        """Take back a task that kept running while the daemon was away (live-restore)."""
        directory = self.fifo_dir(container.id)
        config = container.config
        paths = StdioPaths(
            stdin=str(directory / "init-stdin") if config.open_stdin else "",
            stdout=str(directory / "init-stdout"),
            stderr="" if config.tty else str(directory / "init-stderr"),
            terminal=config.tty,
        )

        def open_fifos() -> FifoSet:
            fifos = FifoSet(directory, paths, owns_directory=False)
            fifos.stdout = FifoReader(Path(paths.stdout))
            if paths.stderr:
                fifos.stderr = FifoReader(Path(paths.stderr))
            if paths.stdin:
                fifos.stdin = FifoWriter(Path(paths.stdin))
            return fifos

        fifos = await anyio.to_thread.run_sync(open_fifos)
        layer = await anyio.to_thread.run_sync(self.images.get_rw_layer, container.id)
        await anyio.to_thread.run_sync(layer.mount)
        logger = await self._open_logger(container)
        sources = {"stdout": fifos.stdout}
        if fifos.stderr is not None:
            sources["stderr"] = fifos.stderr
        mode, size = copier_mode(container.host_config.log_config.config or {})
        copier = Copier(sources, logger, tees=container.streams.tees(), mode=mode, max_buffer_size=size)  # type: ignore[arg-type]
        container.streams.set_stdin(
            TaskStdin(fifos.stdin, self.containerd, container.id) if fifos.stdin is not None else None
        )
        runtime = TaskRuntime(
            pid=pid, fifos=fifos, logger=logger, copier=copier, mounted=True, networked=True, volumes_mounted=True
        )
        elapsed = max(0.0, (time.time_ns() - container.state.started_at) / 1e9)
        runtime.started = time.monotonic() - elapsed
        container.runtime = runtime
        container.state.pid = pid
        container.state.paused = paused
        self.spawn(copier.run, name=f"log copier {container.short_id}")
        self.start_health_monitor(container)
        log.info("restored running container %s (pid %d)", container.id, pid)

    async def shutdown(self) -> None:
        """Stop the running containers (unless live-restore) and let go of every task's I/O."""
        self.shutting_down = True
        running = [c for c in self.store if c.state.running]
        if not self.config.live_restore and self._containerd is not None:
            timeout = self.config.shutdown_timeout
            with anyio.move_on_after(timeout + 5 if timeout >= 0 else None):
                async with anyio.create_task_group() as tg:
                    for container in running:
                        tg.start_soon(self._shutdown_one, container)
        for container in self.store:
            self.stop_health_monitor(container)
            runtime = container.runtime
            if runtime is None:
                continue
            with anyio.CancelScope(shield=True):
                if runtime.copier is not None:
                    runtime.copier.stop()
                await container.streams.close()
                # Our ends only: the FIFO files stay for the next daemon (live-restore).
                for end in (runtime.fifos.stdin, runtime.fifos.stdout, runtime.fifos.stderr):
                    if end is not None:
                        await end.aclose()
                if runtime.logger is not None:
                    with contextlib.suppress(OSError, errdefs.PymobyError):
                        await runtime.logger.close()

    async def _shutdown_one(self, container: Container) -> None:
        timeout = self.stop_timeout(container)
        if self.config.shutdown_timeout >= 0:
            timeout = min(timeout, self.config.shutdown_timeout)
        try:
            await self.stop_container(container, timeout=timeout)
        except errdefs.PymobyError as exc:
            log.error("failed to stop container %s at shutdown: %s", container.id, exc)
