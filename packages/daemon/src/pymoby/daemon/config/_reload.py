"""SIGHUP: which settings change without a restart, and the ``reload`` event's attributes."""

from __future__ import annotations

import msgspec

from ._config import DaemonConfig

__all__ = ["RELOADABLE", "reload_attributes", "reloaded"]

#: The keys a reload applies (as Docker's daemon/reload.go); the others need a restart.
RELOADABLE = (
    "debug",
    "labels",
    "live-restore",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "shutdown-timeout",
    "registry-mirrors",
    "insecure-registries",
    "default-runtime",
)


def reloaded(current: DaemonConfig, new: DaemonConfig) -> DaemonConfig:
    """``current`` with the reloadable keys taken from ``new``."""
    changes = {key.replace("-", "_"): getattr(new, key.replace("-", "_")) for key in RELOADABLE}
    return msgspec.structs.replace(current, **changes)


def reload_attributes(config: DaemonConfig, name: str) -> dict[str, str]:
    """The attributes of the daemon ``reload`` event: every reloadable setting, as strings."""
    attributes: dict[str, str] = {}
    for key in RELOADABLE:
        value = getattr(config, key.replace("-", "_"))
        if isinstance(value, bool):
            attributes[key] = "true" if value else "false"
        elif isinstance(value, list):
            attributes[key] = "[" + " ".join(value) + "]"
        else:
            attributes[key] = str(value)
    attributes["name"] = name
    return attributes
