"""containerd's task events, and what happens when a container's process exits (moby ``daemon/monitor.go``).

One subscription for the whole daemon; each event is dispatched to its
container. An exit of the init process is handled in its own task, under the
container's lock: the task is deleted (its exit status taken from
containerd), the output drained into the log driver (two seconds at most),
attached clients released, containerd's record, the network, the volume
mounts and the root file system mount dropped; then the restart policy decides (``die``, and later ``start``
again after the back-off), or the container stays stopped (and goes, with
``--rm``).
"""

from __future__ import annotations

import contextlib
import logging
import time

import anyio
import anyio.abc

from pymoby import errdefs
from pymoby.libcontainerd import Event, TaskExit, TaskOOM, TaskPaused, TaskResumed
from pymoby.restartmanager import RestartCanceled, RestartDecision

from ..container import Container, ExitStatus
from ._base import TaskRuntime
from ._start import StartMixin

__all__ = ["MonitorMixin"]

log = logging.getLogger("pymoby.daemon")

_DRAIN = 2.0
_DELETE_TIMEOUT = 30.0


class MonitorMixin(StartMixin):
    """containerd events and exit handling."""

    async def watch_events(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Follow containerd's task events until cancelled (started once the subscription is live)."""
        async with self.containerd.subscribe() as events:
            task_status.started()
            async for event in events:
                self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        container = self.store.by_id(getattr(event, "container_id", ""))
        if container is None:
            return
        if isinstance(event, TaskExit):
            if event.is_init:
                self.spawn(self.handle_exit, container, event, name=f"exit {container.short_id}")
            else:
                self.spawn(self.handle_exec_exit, container, event, name=f"exec exit {event.process_id[:12]}")
        elif isinstance(event, TaskOOM):
            container.state.oom_killed = True
            self.log_event(container, "oom")
            self.spawn(self.checkpoint, container)
        elif isinstance(event, TaskPaused):
            if container.state.running and not container.state.paused:
                container.state.paused = True
                self.spawn(self.checkpoint, container)
        elif isinstance(event, TaskResumed) and container.state.paused:
            container.state.paused = False
            self.spawn(self.checkpoint, container)

    async def handle_exec_exit(self, container: Container, event: TaskExit) -> None:
        """An exec process ended (overridden by the exec mixin)."""

    async def handle_exit(self, container: Container, event: TaskExit | None) -> None:
        """The init process of ``container`` ended (``event`` None: it vanished while nobody watched)."""
        async with container.lock:
            runtime: TaskRuntime | None = container.runtime
            if runtime is None or runtime.exited:
                return
            if event is not None and runtime.pid and event.pid and event.pid != runtime.pid:
                return  # the exit of an earlier task
            runtime.exited = True
            with anyio.CancelScope(shield=True):
                await self._finish_task(container, runtime, event)

    async def _finish_task(self, container: Container, runtime: TaskRuntime, event: TaskExit | None) -> None:
        self.stop_health_monitor(container)
        exit_status = ExitStatus(255, 0)
        if event is not None:
            exited_at = int(event.exited_at.timestamp() * 1e9) if event.exited_at else 0
            exit_status = ExitStatus(event.exit_status, exited_at)
        try:
            with anyio.fail_after(_DELETE_TIMEOUT):
                deleted = await self.containerd.delete_task(container.id)
            exited_at = int(deleted.exited_at.timestamp() * 1e9) if deleted.exited_at else exit_status.exited_at
            exit_status = ExitStatus(deleted.code, exited_at)
        except (errdefs.PymobyError, TimeoutError) as exc:
            log.warning("failed to delete the task of container %s from containerd: %s", container.id, exc)
        if runtime.copier is not None:
            with anyio.move_on_after(_DRAIN):
                await runtime.copier.wait()
            runtime.copier.stop()
        await container.streams.close()
        await runtime.fifos.aclose()
        if runtime.logger is not None:
            with contextlib.suppress(OSError, errdefs.PymobyError):
                await runtime.logger.close()
        with contextlib.suppress(errdefs.NotFound, errdefs.Conflict, errdefs.Unavailable):
            await self.containerd.delete_container(container.id)
        await self.release_resources(container, runtime)
        await self.forget_execs(container)
        container.runtime = None
        container.start_attempted = anyio.Event()

        state = container.state
        duration = time.monotonic() - runtime.started
        decision = RestartDecision(False)
        manager = container.restart_manager
        if manager is not None:
            try:
                decision = manager.should_restart(
                    exit_status.exit_code,
                    manually_stopped=self.shutting_down or container.has_been_manually_stopped,
                    execution_duration=duration,
                )
            except (RestartCanceled, errdefs.PymobyError) as exc:
                log.debug("container %s will not restart: %s", container.id, exc)
                decision = RestartDecision(False)
        attributes = {"exitCode": str(exit_status.exit_code), "execDuration": str(int(duration))}
        # The event first: whoever waits for the exit (a stop) logs its own after it, as in Docker.
        self.log_event(container, "die", attributes)
        if decision.restart:
            container.restart_count += 1
            state.set_restarting(exit_status)
        else:
            state.set_stopped(exit_status)
        await self.checkpoint(container)
        if decision.restart:
            self.spawn(self._restart_after, container, decision, exit_status, name=f"restart {container.short_id}")
        elif not container.has_been_manually_restarted and container.host_config.auto_remove:
            self.spawn(self.auto_remove, container, name=f"autoremove {container.short_id}")

    async def _restart_after(self, container: Container, decision: RestartDecision, exit_status: ExitStatus) -> None:
        manager = container.restart_manager
        error: BaseException | None = None
        try:
            if manager is not None:
                await manager.wait(decision)
            async with container.lock:
                if not container.state.restarting:
                    return  # stopped or removed meanwhile
                await self._start_locked(container, reset_restart_manager=False)
        except RestartCanceled as exc:
            error = exc
        except errdefs.PymobyError as exc:
            log.error("failed to restart container %s: %s", container.id, exc)
            error = exc
        if error is not None:
            async with container.lock:
                if container.state.restarting:
                    container.state.set_stopped(exit_status)
                    await self.checkpoint(container)
            if container.host_config.auto_remove:
                await self.auto_remove(container)

    def stop_health_monitor(self, container: Container) -> None:
        """Stop the container's health checks (overridden by the health mixin)."""

    async def forget_execs(self, container: Container) -> None:
        """The container's task is gone: its exec processes with it (overridden by the exec mixin)."""
