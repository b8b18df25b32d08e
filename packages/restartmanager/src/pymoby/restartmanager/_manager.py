"""The restart manager of one container: Docker's decision and back-off.

After an exit, :meth:`RestartManager.should_restart` decides from the policy,
the exit code, whether the user stopped the container, and how long it ran.
The delay before a restart starts at 100 ms and doubles up to one minute; it
goes back to 100 ms once the container ran for at least 10 seconds. A manual
stop cancels a pending restart (:meth:`RestartManager.cancel`), and the
policy can be changed while the container runs (:meth:`set_policy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from pymoby import errdefs

from ._clock import Clock, MonotonicClock
from ._policy import PolicyName, RestartPolicy

__all__ = [
    "BACKOFF_MULTIPLIER",
    "DEFAULT_DELAY",
    "MAX_DELAY",
    "RESET_AFTER",
    "RestartCanceled",
    "RestartDecision",
    "RestartInProgress",
    "RestartManager",
]

DEFAULT_DELAY = 0.1
MAX_DELAY = 60.0
BACKOFF_MULTIPLIER = 2
#: A container that ran this long (seconds) starts the back-off anew.
RESET_AFTER = 10.0


class RestartCanceled(errdefs.Cancelled):
    """The restart was canceled (the container was stopped by the user)."""


class RestartInProgress(errdefs.Conflict):
    """A restart is already pending: the previous decision has not been waited for."""


@dataclass(frozen=True, slots=True)
class RestartDecision:
    """Whether to restart, and after how long (seconds)."""

    restart: bool
    delay: float = 0.0


_NO_RESTART = RestartDecision(False)


class RestartManager:
    """Restart decisions for one container, with the back-off state between them."""

    def __init__(
        self, policy: RestartPolicy | None = None, *, restart_count: int = 0, clock: Clock | None = None
    ) -> None:
        self._policy = policy if policy is not None else RestartPolicy()
        self._restart_count = restart_count
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._delay = 0.0
        self._active = False
        self._canceled = False
        self._cancel_event: anyio.Event | None = None

    @property
    def policy(self) -> RestartPolicy:
        """The policy in force."""
        return self._policy

    @property
    def restart_count(self) -> int:
        """How many restarts were decided so far (Docker's ``RestartCount``)."""
        return self._restart_count

    @property
    def delay(self) -> float:
        """The delay of the last decision, in seconds (0 before the first)."""
        return self._delay

    @property
    def canceled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._canceled

    def set_policy(self, policy: RestartPolicy) -> None:
        """Change the policy, e.g. by ``docker update --restart`` on a running container."""
        self._policy = policy

    def should_restart(
        self, exit_code: int, *, manually_stopped: bool = False, execution_duration: float = 0.0
    ) -> RestartDecision:
        """Decide whether the container that exited with ``exit_code`` restarts, and when.

        ``manually_stopped`` says the user stopped it (it then stays stopped
        under ``unless-stopped``); ``execution_duration`` is how long it ran,
        in seconds. A positive decision counts a restart, and must be
        followed by :meth:`wait` before the next decision.
        Raises :class:`RestartCanceled` after :meth:`cancel`, and
        :class:`RestartInProgress` while a restart is pending.
        """
        if self._policy.is_none:
            return _NO_RESTART
        if self._canceled:
            raise RestartCanceled("restart canceled")
        if self._active:
            raise RestartInProgress("invalid call on an active restart manager")
        if execution_duration >= RESET_AFTER:
            self._delay = 0.0
        if self._delay == 0.0:
            self._delay = DEFAULT_DELAY
        elif self._delay < MAX_DELAY:
            self._delay *= BACKOFF_MULTIPLIER
        self._delay = min(self._delay, MAX_DELAY)

        name = self._policy.name
        restart = False
        if name is PolicyName.ALWAYS:
            restart = True
        elif name is PolicyName.UNLESS_STOPPED:
            restart = not manually_stopped
        elif name is PolicyName.ON_FAILURE:
            limit = self._policy.maximum_retry_count
            if limit == 0 or self._restart_count < limit:
                restart = exit_code != 0
        if not restart:
            return _NO_RESTART
        self._restart_count += 1
        self._active = True
        return RestartDecision(True, self._delay)

    async def wait(self, decision: RestartDecision) -> None:
        """Sleep for the decision's delay on the clock; then the caller restarts the container.

        Raises :class:`RestartCanceled` if :meth:`cancel` is called before the delay is over.
        """
        if not decision.restart:
            return
        self._cancel_event = event = anyio.Event()
        try:
            async with anyio.create_task_group() as tg:

                async def sleep() -> None:
                    await self._clock.sleep(decision.delay)
                    tg.cancel_scope.cancel()

                tg.start_soon(sleep)
                await event.wait()
                tg.cancel_scope.cancel()
            if self._canceled:
                raise RestartCanceled("restart canceled")
        finally:
            self._cancel_event = None
            self._active = False

    def cancel(self) -> None:
        """Cancel any pending and every future restart (a manual stop or removal)."""
        self._canceled = True
        if self._cancel_event is not None:
            self._cancel_event.set()
