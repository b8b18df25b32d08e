"""Checks of a container's ``Config`` and ``HostConfig`` at create and update.

Docker's ``verifyContainerSettings`` rules and messages: the ``Config``
checks are here, the ``HostConfig`` ones (resources, namespaces,
capabilities, restart policy ...) are :mod:`pymoby.daemon.oci`'s
(``oci.validate_host_config``, called by create and update); the
network settings are checked by :mod:`pymoby.daemon.network` and the mounts
by :mod:`pymoby.daemon.volume` when the container is created.
"""

from __future__ import annotations

import posixpath
import signal as signals

from pymoby import api, errdefs

__all__ = [
    "InvalidContainerConfig",
    "network_mode_name",
    "parse_signal",
    "validate_config",
]

MIN_DURATION = 1_000_000  # 1 ms, in nanoseconds


class InvalidContainerConfig(errdefs.InvalidParameter):
    """A container setting Docker would refuse."""


_SIGNALS: dict[str, int] = {s.name.removeprefix("SIG"): int(s) for s in signals.Signals if s.name.startswith("SIG")}
_SIGNALS.update({"IOT": 6, "CLD": 17, "POLL": 29, "UNUSED": 31})
_RTMIN, _RTMAX = int(signals.SIGRTMIN), int(signals.SIGRTMAX)
for _i in range(1, _RTMAX - _RTMIN):
    _SIGNALS[f"RTMIN+{_i}"] = _RTMIN + _i
    _SIGNALS[f"RTMAX-{_i}"] = _RTMAX - _i
_SIGNALS["RTMIN"], _SIGNALS["RTMAX"] = _RTMIN, _RTMAX
_VALID_NUMBERS = frozenset(_SIGNALS.values())


def parse_signal(raw: str) -> int:
    """A signal by number (``9``) or name (``KILL``, ``SIGKILL``, ``sigterm``), as Docker's ``ParseSignal``.

    Raises :class:`InvalidContainerConfig` (``invalid signal: X``) for an
    unknown one, and Docker's platform message for a number that is no signal.
    """
    try:
        number = int(raw)
    except ValueError:
        name = raw.upper().removeprefix("SIG")
        if name not in _SIGNALS:
            raise InvalidContainerConfig(f"invalid signal: {raw}") from None
        return _SIGNALS[name]
    if number <= 0:
        raise InvalidContainerConfig(f"invalid signal: {raw}")
    if number not in _VALID_NUMBERS:
        raise InvalidContainerConfig(f"the linux daemon does not support signal {number}")
    return number


def _check_env(entry: str) -> None:
    if entry.partition("=")[0] == "" and "=" in entry:
        raise InvalidContainerConfig(f"invalid environment variable: {entry}")


def validate_config(config: api.ContainerConfig) -> None:
    """Check (and clean) the portable part: working dir, stop signal, environment, health check timings."""
    if config.working_dir:
        if not config.working_dir.startswith("/"):
            raise InvalidContainerConfig(
                f"the working directory '{config.working_dir}' is invalid, it needs to be an absolute path"
            )
        config.working_dir = posixpath.normpath(config.working_dir)
        if config.working_dir.startswith("//"):
            config.working_dir = "/" + config.working_dir.lstrip("/")
    if isinstance(config.stop_signal, str) and config.stop_signal:
        parse_signal(config.stop_signal)
    for entry in config.env or ():
        _check_env(entry)
    health = config.healthcheck
    if isinstance(health, api.HealthConfig):
        for label, value in (
            ("Interval", health.interval),
            ("Timeout", health.timeout),
            ("StartPeriod", health.start_period),
            ("StartInterval", health.start_interval),
        ):
            if value != 0 and value < MIN_DURATION:
                raise InvalidContainerConfig(f"{label} in Healthcheck cannot be less than 1ms")
        if health.retries < 0:
            raise InvalidContainerConfig("Retries in Healthcheck cannot be negative")


def network_mode_name(mode: str) -> str:
    """The network a ``NetworkMode`` names (``default`` is the bridge)."""
    return "bridge" if mode in ("", "default") else mode
