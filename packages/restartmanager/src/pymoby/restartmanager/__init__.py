"""pymoby.restartmanager: Docker's restart policies and back-off, as pure logic.

:class:`RestartPolicy` models and validates ``HostConfig.RestartPolicy``;
:class:`RestartManager` decides after each exit whether a container
restarts and after which delay (100 ms doubling to 1 minute, reset after a
10-second run), over an injectable :class:`Clock` (:class:`FakeClock` in tests).
"""

from ._clock import Clock, FakeClock, MonotonicClock
from ._manager import (
    BACKOFF_MULTIPLIER,
    DEFAULT_DELAY,
    MAX_DELAY,
    RESET_AFTER,
    RestartCanceled,
    RestartDecision,
    RestartInProgress,
    RestartManager,
)
from ._policy import InvalidRestartPolicy, PolicyName, RestartPolicy

__all__ = [
    "BACKOFF_MULTIPLIER",
    "DEFAULT_DELAY",
    "MAX_DELAY",
    "RESET_AFTER",
    "Clock",
    "FakeClock",
    "InvalidRestartPolicy",
    "MonotonicClock",
    "PolicyName",
    "RestartCanceled",
    "RestartDecision",
    "RestartInProgress",
    "RestartManager",
    "RestartPolicy",
]
