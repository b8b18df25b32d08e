"""Health checks (moby ``daemon/health.go``): a probe exec'd in the container at each interval.

``CMD`` runs its arguments, ``CMD-SHELL`` runs them through the container's
shell; exit 0 is healthy, anything else a failure, and ``Retries``
consecutive failures (failures within ``StartPeriod`` do not count while
starting) make the container unhealthy. A probe that outlives ``Timeout``
is killed and counts as a failure. Each change of status is a
``health_status: <status>`` event; the probes are exec instances, with
their ``exec_*`` events, as in Docker.
"""

from __future__ import annotations

import contextlib
import logging
import time

import anyio

from pymoby import api, errdefs

from ..container import Container, HealthResult, HealthState
from ._exec import ExecMixin

__all__ = ["HealthMixin", "health_test"]

log = logging.getLogger("pymoby.daemon")

SECOND = 1_000_000_000
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_START_INTERVAL = 5 * SECOND
DEFAULT_RETRIES = 3
MAX_OUTPUT = 4096


def health_test(config: api.ContainerConfig) -> list[str] | None:
    """The probe command of ``config`` (``None``: no health check)."""
    health = config.healthcheck
    if not isinstance(health, api.HealthConfig) or not health.test:
        return None
    kind = health.test[0]
    if kind == "NONE":
        return None
    if kind == "CMD":
        return list(health.test[1:])
    if kind == "CMD-SHELL":
        shell = config.shell if isinstance(config.shell, list) and config.shell else ["/bin/sh", "-c"]
        return [*shell, *health.test[1:]]
    return None


def _or(value: int, default: int) -> int:
    return value if value > 0 else default


class HealthMixin(ExecMixin):
    """Running and stopping a container's health probes."""

    def start_health_monitor(self, container: Container) -> None:
        """Start probing if the container has a health check (``starting`` until the first result)."""
        command = health_test(container.config)
        if command is None:
            container.state.health = None
            return
        if container.state.health is None:
            container.state.health = HealthState(status="starting")
        else:
            container.state.health.status = "starting"
            container.state.health.failing_streak = 0
        self.stop_health_monitor(container)
        scope = anyio.CancelScope()
        container.health_scope = scope
        self.spawn(self._health_loop, container, command, scope, name=f"health {container.short_id}")

    def stop_health_monitor(self, container: Container) -> None:
        """Stop probing (the status becomes ``unhealthy`` when the monitor stops, as Docker shows it)."""
        scope, container.health_scope = container.health_scope, None
        if scope is not None:
            scope.cancel()
            if container.state.health is not None:
                container.state.health.status = "unhealthy"

    async def _health_loop(self, container: Container, command: list[str], scope: anyio.CancelScope) -> None:
        health = container.config.healthcheck
        assert isinstance(health, api.HealthConfig)
        interval = _or(health.interval, DEFAULT_INTERVAL)
        start_interval = _or(health.start_interval, DEFAULT_START_INTERVAL)
        start_period = _or(health.start_period, 0)
        with scope:
            while True:
                state = container.state
                in_start = time.time_ns() - state.started_at < start_period
                starting = state.health is not None and state.health.status == "starting"
                wait = start_interval if in_start and starting and health.start_interval else interval
                await anyio.sleep(wait / SECOND)
                if not state.running or state.paused:
                    continue
                result = await self._probe(container, command, _or(health.timeout, DEFAULT_TIMEOUT))
                if result is not None:
                    await self._record(container, result)

    async def _probe(self, container: Container, command: list[str], limit: int) -> HealthResult | None:
        start = time.time_ns()
        config = api.ExecConfig(
            attach_stdout=True,
            attach_stderr=True,
            cmd=command,
            user=container.config.user,
            working_dir=container.config.working_dir,
        )
        try:
            exec_id = self.create_exec(container.id, config).id
            process = self.get_exec(exec_id)
        except errdefs.PymobyError as exc:
            log.debug("health check of %s not run: %s", container.id, exc)
            return None
        output = bytearray()
        subscribers = [process.streams.stdout.subscribe(), process.streams.stderr.subscribe()]

        async def collect(subscriber: object) -> None:
            while True:
                try:
                    data = await subscriber.receive()  # type: ignore[attr-defined]
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    return
                if len(output) < MAX_OUTPUT:
                    output.extend(data[: MAX_OUTPUT - len(output)])

        timed_out = False
        try:
            async with anyio.create_task_group() as tg:
                for subscriber in subscribers:
                    tg.start_soon(collect, subscriber)
                try:
                    await self.start_exec(process)
                except errdefs.PymobyError as exc:
                    tg.cancel_scope.cancel()
                    return HealthResult(start, time.time_ns(), process.exit_code or 126, str(exc))
                with anyio.move_on_after(limit / SECOND) as waited:
                    await process.exited.wait()
                if waited.cancelled_caught:
                    timed_out = True
                    with contextlib.suppress(errdefs.PymobyError):
                        await self.containerd.kill(container.id, 9, exec_id=process.id)
                    with anyio.move_on_after(5):
                        await process.exited.wait()
                    tg.cancel_scope.cancel()
        finally:
            self._execs().pop(process.id, None)
            with anyio.CancelScope(shield=True):
                for subscriber in subscribers:
                    await subscriber.aclose()
        text = output.decode(errors="replace")
        if timed_out:
            seconds = f"{limit / SECOND:g}s"
            message = f"Health check exceeded timeout ({seconds})" + (f": {text}" if text else "")
            return HealthResult(start, time.time_ns(), -1, message)
        return HealthResult(start, time.time_ns(), process.exit_code if process.exit_code is not None else -1, text)

    async def _record(self, container: Container, result: HealthResult) -> None:
        health = container.state.health
        if health is None or container.health_scope is None:
            return
        config = container.config.healthcheck
        assert isinstance(config, api.HealthConfig)
        retries = _or(config.retries, DEFAULT_RETRIES)
        old = health.status
        health.add_result(result)
        if result.exit_code == 0:
            health.failing_streak = 0
            health.status = "healthy"
        else:
            count = True
            if health.status == "starting" and result.start - container.state.started_at < _or(config.start_period, 0):
                count = False
            if count:
                health.failing_streak += 1
                if health.failing_streak >= retries:
                    health.status = "unhealthy"
        if health.status != old:
            self.log_event(container, f"health_status: {health.status}")
            await self.checkpoint(container)
