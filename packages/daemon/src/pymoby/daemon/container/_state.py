"""A container's state machine (Docker's ``container.State``) and its waiters.

Times are nanoseconds since the epoch, ``0`` being Go's zero time
(``0001-01-01T00:00:00Z`` on the wire). The state is changed only by the
container service, from one task at a time per container; waiters
(``POST /containers/{id}/wait``) are woken with the exit code and error
captured at the moment of the change.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field

import anyio

from pymoby import api

from ._timefmt import format_time

__all__ = [
    "HEALTH_STATES",
    "STATES",
    "ExitStatus",
    "HealthState",
    "State",
    "WaitCondition",
    "WaitResult",
    "human_duration",
]

#: Every ``State.Status`` value (the ``status`` filter accepts these).
STATES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
#: Every ``Health.Status`` value (the ``health`` filter accepts these).
HEALTH_STATES = ("starting", "healthy", "unhealthy", "none")
#: How many probe results a container keeps (Docker's ``maxLogEntries``).
MAX_HEALTH_LOG = 5


class WaitCondition(enum.Enum):
    """``condition`` of ``POST /containers/{id}/wait``."""

    NOT_RUNNING = "not-running"
    NEXT_EXIT = "next-exit"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ExitStatus:
    """How the container's process ended: exit code and time (ns; 0 when unknown)."""

    exit_code: int
    exited_at: int = 0


@dataclass(frozen=True, slots=True)
class WaitResult:
    """What a waiter is given: the exit code, and the error the container recorded, if any."""

    exit_code: int
    error: str = ""


@dataclass(slots=True)
class HealthResult:
    """One health probe run."""

    start: int
    end: int
    exit_code: int
    output: str


@dataclass(slots=True)
class HealthState:
    """``State.Health``: the status, the failing streak and the last results."""

    status: str = "starting"
    failing_streak: int = 0
    log: list[HealthResult] = field(default_factory=list)

    def summary(self) -> str:
        """The health part of ``docker ps``'s status: ``health: starting``, ``healthy``, ``unhealthy``."""
        status = self.status or "unhealthy"
        return "health: starting" if status == "starting" else status

    def add_result(self, result: HealthResult) -> None:
        """Record a probe result, keeping the last five."""
        self.log.append(result)
        del self.log[:-MAX_HEALTH_LOG]

    def to_api(self) -> api.Health:
        """The wire form."""
        return api.Health(
            status=self.status,
            failing_streak=self.failing_streak,
            log=[
                api.HealthcheckResult(
                    start=format_time(r.start), end=format_time(r.end), exit_code=r.exit_code, output=r.output
                )
                for r in self.log
            ],
        )


def human_duration(seconds: float) -> str:
    """A duration as Docker's ``units.HumanDuration`` writes it (``Up 5 seconds``, ``About a minute``)."""
    whole = int(seconds)
    if whole < 1:
        return "Less than a second"
    if whole == 1:
        return "1 second"
    if whole < 60:
        return f"{whole} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = math.floor(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


class State:
    """Running, paused, restarting, exit code, times, health; and who waits for a change."""

    def __init__(self) -> None:
        self.running = False
        self.paused = False
        self.restarting = False
        self.oom_killed = False
        self.removal_in_progress = False
        self.dead = False
        self.pid = 0
        self.exit_code = 0
        self.error = ""
        self.started_at = 0
        self.finished_at = 0
        self.health: HealthState | None = None
        self.removed = False
        self._stop_waiters: list[tuple[anyio.Event, list[WaitResult]]] = []
        self._remove_waiters: list[tuple[anyio.Event, list[WaitResult]]] = []

    # -- reading --------------------------------------------------------------------
    def status(self) -> str:
        """``State.Status``: created, running, paused, restarting, removing, exited or dead."""
        if self.running:
            if self.paused:
                return "paused"
            if self.restarting:
                return "restarting"
            return "running"
        if self.removal_in_progress:
            return "removing"
        if self.dead:
            return "dead"
        if self.started_at == 0:
            return "created"
        return "exited"

    def describe(self, now: int | None = None) -> str:
        """The ``Status`` column of ``docker ps``: ``Up 3 seconds``, ``Exited (0) 2 minutes ago`` ..."""
        now = time.time_ns() if now is None else now
        if self.running:
            up = human_duration((now - self.started_at) / 1e9)
            if self.paused:
                return f"Up {up} (Paused)"
            if self.restarting:
                return f"Restarting ({self.exit_code}) {human_duration((now - self.finished_at) / 1e9)} ago"
            if self.health is not None:
                return f"Up {up} ({self.health.summary()})"
            return f"Up {up}"
        if self.removal_in_progress:
            return "Removal In Progress"
        if self.dead:
            return "Dead"
        if self.started_at == 0:
            return "Created"
        if self.finished_at == 0:
            return ""
        return f"Exited ({self.exit_code}) {human_duration((now - self.finished_at) / 1e9)} ago"

    def to_api(self) -> api.ContainerState:
        """``State`` of inspect."""
        state = api.ContainerState(
            status=self.status(),
            running=self.running,
            paused=self.paused,
            restarting=self.restarting,
            oom_killed=self.oom_killed,
            dead=self.dead,
            pid=self.pid,
            exit_code=self.exit_code,
            error=self.error,
            started_at=format_time(self.started_at),
            finished_at=format_time(self.finished_at),
        )
        if self.health is not None:
            state.health = self.health.to_api()
        return state

    # -- transitions ----------------------------------------------------------------
    def set_running(self, pid: int, *, initial: bool) -> None:
        """The task started (``initial``: a fresh start, not a restore): clear the last exit."""
        self.error = ""
        self.paused = False
        self.running = True
        self.restarting = False
        self.exit_code = 0
        self.pid = pid
        self.oom_killed = False
        if initial:
            self.started_at = time.time_ns()

    def set_stopped(self, exit_status: ExitStatus) -> None:
        """The process ended for good: record the exit and wake the waiters of an exit."""
        self.running = False
        self.paused = False
        self.restarting = False
        self.pid = 0
        self.finished_at = exit_status.exited_at or time.time_ns()
        self.exit_code = exit_status.exit_code
        self._notify(self._stop_waiters)

    def set_restarting(self, exit_status: ExitStatus) -> None:
        """The process ended and the restart policy brings it back: still "running", restarting."""
        self.running = True
        self.restarting = True
        self.paused = False
        self.pid = 0
        self.finished_at = time.time_ns()
        self.exit_code = exit_status.exit_code
        self._notify(self._stop_waiters)

    def set_error(self, message: str) -> None:
        """Record the last error of a start, stop or removal."""
        self.error = message

    def set_removed(self, error: str = "") -> None:
        """The container is gone (``error``: what went wrong removing it): wake every waiter.

        As Docker's ``SetRemovalError``, the error of a successful removal is
        cleared, so a ``wait`` for the removal of a container whose start
        failed reports its exit code, not that start error again.
        """
        self.error = error
        self.removed = True
        self._notify(self._remove_waiters)
        self._notify(self._stop_waiters)

    # -- waiting --------------------------------------------------------------------
    def _notify(self, waiters: list[tuple[anyio.Event, list[WaitResult]]]) -> None:
        result = WaitResult(self.exit_code, self.error)
        for event, box in waiters:
            box.append(result)
            event.set()
        waiters.clear()

    def waiter(self, condition: WaitCondition) -> tuple[anyio.Event, list[WaitResult]]:
        """Register a waiter now (so no change is missed); wait on the event, read the box.

        A condition already met gives a set event with the current result.
        """
        event, box = anyio.Event(), []
        if (condition is WaitCondition.NOT_RUNNING and not self.running) or (
            condition is WaitCondition.REMOVED and self.removed
        ):
            box.append(WaitResult(self.exit_code, self.error))
            event.set()
        elif condition is WaitCondition.REMOVED:
            self._remove_waiters.append((event, box))
        else:
            self._stop_waiters.append((event, box))
        return event, box

    def forget_waiter(self, event: anyio.Event) -> None:
        """Drop a waiter that gave up (its client went away)."""
        for waiters in (self._stop_waiters, self._remove_waiters):
            waiters[:] = [(e, b) for e, b in waiters if e is not event]
