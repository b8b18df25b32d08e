"""Signals: stop (signal, then SIGKILL after the timeout), kill, restart, pause and unpause.

moby's ``stop.go``, ``kill.go``, ``restart.go``, ``pause.go``: a signal
sent by the user marks the container manually stopped (so the restart
policy leaves it down) when it is the stop signal or SIGKILL; each signal
is a ``kill`` event with its number; a stop that ends is a ``stop`` event.
"""

from __future__ import annotations

import logging
import signal as signals

import anyio

from pymoby import errdefs

from ..container import Container, WaitCondition
from ._monitor import MonitorMixin
from ._validate import parse_signal

__all__ = ["NotRunning", "StopMixin"]

log = logging.getLogger("pymoby.daemon")

DEFAULT_STOP_TIMEOUT = 10
_KILL_WAIT = 10.0


class NotRunning(errdefs.Conflict):
    """The operation needs a running container."""


class StopMixin(MonitorMixin):
    """Signals and pausing."""

    # -- helpers -----------------------------------------------------------------------
    def stop_signal(self, container: Container) -> int:
        """The container's stop signal (``StopSignal``, SIGTERM by default)."""
        value = container.config.stop_signal
        if isinstance(value, str) and value:
            try:
                return parse_signal(value)
            except errdefs.InvalidParameter:
                pass
        return int(signals.SIGTERM)

    def stop_timeout(self, container: Container) -> int:
        """The container's stop timeout in seconds (``StopTimeout``, 10 by default)."""
        value = container.config.stop_timeout
        return value if isinstance(value, int) else DEFAULT_STOP_TIMEOUT

    async def _wait_not_running(self, container: Container, limit: float | None) -> bool:
        """Wait until the container is not running; whether it stopped within ``limit`` seconds (None: forever)."""
        event, _ = container.state.waiter(WaitCondition.NOT_RUNNING)
        try:
            with anyio.move_on_after(limit):
                await event.wait()
                return True
            return False
        finally:
            container.state.forget_waiter(event)

    # -- kill ----------------------------------------------------------------------------
    async def kill(self, name: str, signal: str = "") -> None:
        """``POST /containers/{id}/kill``: SIGKILL (waiting for the exit) or the given signal."""
        number = parse_signal(signal) if signal else int(signals.SIGKILL)
        container = self.get(name)
        if number == signals.SIGKILL:
            await self.kill_and_wait(container)
        else:
            await self.send_signal(container, number)

    async def send_signal(self, container: Container, number: int) -> bool:
        """Send ``number`` to the container's process; whether it was delivered (False: no process)."""
        state = container.state
        if not state.running:
            raise NotRunning(f"container {container.id} is not running")
        custom = isinstance(container.config.stop_signal, str) and bool(container.config.stop_signal)
        unpause = False
        if not custom or number == signals.SIGKILL or number == self.stop_signal(container):
            # Docker's ExitOnNext: the restart policy does not bring it back after this signal.
            if container.restart_manager is not None:
                container.restart_manager.cancel()
            unpause = state.paused
        if not self.shutting_down:
            container.has_been_manually_stopped = True
            await self.checkpoint(container)
        if state.restarting:
            return True
        delivered = True
        try:
            await self.containerd.kill(container.id, number)
        except errdefs.NotFound:
            delivered = False
            unpause = False
            self.spawn(self._reap_if_gone, container)
        if unpause:
            try:
                await self.containerd.resume(container.id)
            except errdefs.PymobyError as exc:
                log.warning("cannot unpause container %s: %s", container.id, exc)
        self.log_event(container, "kill", {"signal": str(number)})
        return delivered

    async def _reap_if_gone(self, container: Container) -> None:
        """containerd lost the process: handle its exit ourselves if no event comes."""
        if not await self._wait_not_running(container, self.stop_timeout(container)):
            await self.handle_exit(container, None)

    async def kill_and_wait(self, container: Container) -> None:
        """SIGKILL and wait for the exit (Docker's ``Kill``)."""
        if not container.state.running:
            raise NotRunning(f"container {container.id} is not running")
        if not await self.send_signal(container, int(signals.SIGKILL)):
            return
        if await self._wait_not_running(container, _KILL_WAIT):
            return
        log.warning("container %s did not exit within %ss of SIGKILL: killing every process", container.id, _KILL_WAIT)
        try:
            await self.containerd.kill(container.id, int(signals.SIGKILL), all=True)
        except errdefs.NotFound:
            pass
        if not await self._wait_not_running(container, 2.0):
            raise errdefs.System("tried to kill container, but did not receive an exit event")

    # -- stop ----------------------------------------------------------------------------
    async def stop(self, name: str, *, signal: str = "", timeout: int | None = None) -> None:  # noqa: ASYNC109 - the stop grace period, not an I/O bound
        """``POST /containers/{id}/stop``: ``NotModified`` when it is not running."""
        container = self.get(name)
        if not container.state.running:
            raise errdefs.NotModified("container is already stopped")
        try:
            await self.stop_container(container, signal=signal, timeout=timeout)
        except errdefs.InvalidParameter:
            raise
        except errdefs.PymobyError as exc:
            raise errdefs.System(f"cannot stop container: {name}: {exc}") from exc

    async def stop_container(self, container: Container, *, signal: str = "", timeout: int | None = None) -> None:  # noqa: ASYNC109 - the stop grace period, not an I/O bound
        """The stop signal, the wait (``timeout`` s; -1 forever), then SIGKILL; the ``stop`` event."""
        if not container.state.running:
            return
        number = parse_signal(signal) if signal else self.stop_signal(container)
        seconds = self.stop_timeout(container) if timeout is None else timeout
        wait: float | None = float(seconds) if seconds >= 0 else None
        try:
            delivered = await self.send_signal(container, number)
        except NotRunning:
            delivered = True
        if not delivered:
            wait = 2.0
        if not await self._wait_not_running(container, wait):
            log.info("Container failed to exit within %ss of signal %d - using the force", seconds, number)
            try:
                await self.kill_and_wait(container)
            except NotRunning:
                pass
            except errdefs.PymobyError:
                if not await self._wait_not_running(container, 2.0):
                    raise
        self.log_event(container, "stop")

    # -- restart -------------------------------------------------------------------------
    async def restart(self, name: str, *, signal: str = "", timeout: int | None = None) -> None:  # noqa: ASYNC109 - the stop grace period, not an I/O bound
        """``POST /containers/{id}/restart``: stop if running, start, the ``restart`` event."""
        container = self.get(name)
        try:
            if container.state.running:
                container.has_been_manually_restarted = True
                await self.stop_container(container, signal=signal, timeout=timeout)
            async with container.lock:
                await self._start_locked(container, reset_restart_manager=True)
        except errdefs.PymobyError as exc:
            raise type(exc)(f"Cannot restart container {name}: {exc}") from exc
        self.log_event(container, "restart")

    # -- pause ---------------------------------------------------------------------------
    async def pause(self, name: str) -> None:
        """``POST /containers/{id}/pause``: freeze every process (``Conflict`` when not running or paused)."""
        container = self.get(name)
        async with container.lock:
            state = container.state
            if not state.running:
                raise NotRunning(f"container {container.id} is not running")
            if state.paused:
                raise errdefs.Conflict(f"Container {container.id} is already paused")
            if state.restarting:
                raise errdefs.Conflict(f"Container {container.id} is restarting, wait until the container is running")
            try:
                await self.containerd.pause(container.id)
            except errdefs.PymobyError as exc:
                raise errdefs.System(f"cannot pause container {container.id}: {exc}") from exc
            state.paused = True
            await self.checkpoint(container)
        self.log_event(container, "pause")

    async def unpause(self, name: str) -> None:
        """``POST /containers/{id}/unpause``: thaw a paused container (``Conflict`` when not paused)."""
        container = self.get(name)
        async with container.lock:
            state = container.state
            if not state.paused:
                raise errdefs.Conflict(f"Container {container.id} is not paused")
            try:
                await self.containerd.resume(container.id)
            except errdefs.PymobyError as exc:
                raise errdefs.System(f"cannot resume container {container.id}: {exc}") from exc
            state.paused = False
            await self.checkpoint(container)
        self.log_event(container, "unpause")
