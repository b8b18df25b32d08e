"""Log drivers by name, and the checks of ``--log-driver``/``--log-opt`` (Docker's ``logger`` factory).

``validate_log_opts`` is what container create (and daemon start, for the
daemon-wide defaults) calls; ``merge_log_config`` applies the daemon's
defaults to a container's ``HostConfig.LogConfig`` first, as Docker's
``mergeAndVerifyLogConfig`` does; ``new_logger`` makes the driver instance
at container start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pymoby import errdefs

from ._driver import Logger, NoneLogger
from ._info import LogInfo
from ._jsonfile import JsonFileLogger, validate_json_file_options
from ._local import LocalLogger, validate_local_options
from ._message import LogMode
from ._sizes import SizeError, ram_in_bytes

__all__ = [
    "DEFAULT_MAX_BUFFER_SIZE",
    "DriverRegistry",
    "DriverSpec",
    "LogConfig",
    "copier_mode",
    "drivers",
    "merge_log_config",
    "new_logger",
    "validate_log_opts",
]

#: Docker's default ``max-buffer-size`` for ``mode=non-blocking`` (1 MB).
DEFAULT_MAX_BUFFER_SIZE = 1_000_000
#: Options every driver accepts: the copier's, not the driver's.
_BUILT_IN = frozenset({"mode", "max-buffer-size"})


@dataclass(frozen=True, slots=True)
class DriverSpec:
    """One registered driver: how to make it and how to check its options."""

    name: str
    create: Callable[[LogInfo], Logger]
    validate: Callable[[Mapping[str, str]], None] | None = None
    can_read: bool = False


@dataclass(frozen=True, slots=True)
class LogConfig:
    """A container's ``HostConfig.LogConfig``: driver name and options."""

    type: str
    config: Mapping[str, str]


class DriverRegistry:
    """Drivers by name (plugins add theirs with :meth:`register`)."""

    def __init__(self) -> None:
        self._drivers: dict[str, DriverSpec] = {}

    def register(self, spec: DriverSpec) -> None:
        """Add ``spec``; ``Conflict`` when the name is taken."""
        if spec.name in self._drivers:
            raise errdefs.Conflict(f"logger: log driver named '{spec.name}' is already registered")
        self._drivers[spec.name] = spec

    def get(self, name: str) -> DriverSpec:
        """The driver called ``name``; ``InvalidParameter`` when there is none."""
        spec = self._drivers.get(name)
        if spec is None:
            raise errdefs.InvalidParameter(f"logger: no log driver named '{name}' is registered")
        return spec

    def names(self) -> list[str]:
        """The registered names, sorted (``docker info``'s ``Plugins.Log``)."""
        return sorted(self._drivers)

    def validate(self, name: str, options: Mapping[str, str]) -> None:
        """Check ``options`` for driver ``name`` as Docker's ``ValidateLogOpts``; ``InvalidParameter``."""
        if name == "none":
            return
        copier_mode(options)
        spec = self.get(name)
        if spec.validate is not None:
            spec.validate({k: v for k, v in options.items() if k not in _BUILT_IN})

    def create(self, name: str, info: LogInfo) -> Logger:
        """A driver instance for the container of ``info``."""
        return self.get(name).create(info)


def copier_mode(options: Mapping[str, str]) -> tuple[LogMode, int]:
    """``mode`` and ``max-buffer-size`` of ``options``; ``InvalidParameter`` in Docker's words."""
    text = options.get("mode", "")
    if text not in ("", "blocking", "non-blocking"):
        raise errdefs.InvalidParameter(f"logger: logging mode not supported: {text}")
    mode = LogMode.NON_BLOCKING if text == "non-blocking" else LogMode.BLOCKING
    size = DEFAULT_MAX_BUFFER_SIZE
    if "max-buffer-size" in options:
        if mode is not LogMode.NON_BLOCKING:
            raise errdefs.InvalidParameter("logger: max-buffer-size option is only supported with 'mode=non-blocking'")
        try:
            size = ram_in_bytes(options["max-buffer-size"])
        except SizeError as exc:
            raise errdefs.InvalidParameter(f"error parsing option max-buffer-size: {exc}") from None
    return mode, size


#: The drivers built in: json-file, local, none.
drivers = DriverRegistry()
drivers.register(DriverSpec("json-file", JsonFileLogger.create, validate_json_file_options, can_read=True))
drivers.register(DriverSpec("local", LocalLogger.create, validate_local_options, can_read=True))
drivers.register(DriverSpec("none", lambda info: NoneLogger()))


def validate_log_opts(driver: str, options: Mapping[str, str], registry: DriverRegistry = drivers) -> None:
    """Check ``--log-driver``/``--log-opt``: unknown driver or option, bad value -> ``InvalidParameter``."""
    registry.validate(driver, options)


def merge_log_config(container: LogConfig, default: LogConfig, registry: DriverRegistry = drivers) -> LogConfig:
    """The container's log config with the daemon's defaults applied, validated.

    No driver -> the daemon's; the daemon's driver -> its options fill the
    ones the container did not set. Raises ``InvalidParameter``.
    """
    driver = container.type or default.type
    options = dict(container.config)
    if driver == default.type:
        for key, value in default.config.items():
            options.setdefault(key, value)
    registry.validate(driver, options)
    return LogConfig(driver, options)


def new_logger(driver: str, info: LogInfo, registry: DriverRegistry = drivers) -> Logger:
    """Start driver ``driver`` for the container of ``info`` (Docker's ``StartLogger``).

    Raises ``InvalidParameter`` for an unknown driver or bad options, and
    ``OSError`` when the log file cannot be opened.
    """
    return registry.create(driver, info)
