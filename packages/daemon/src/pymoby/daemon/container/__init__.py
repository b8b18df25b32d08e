"""pymoby.daemon.container: the container model, its state machine, names, store and list view.

Pure data and decisions, no I/O but the atomic writes of a container's
files; the container service (:mod:`pymoby.daemon.lifecycle`) drives it.
"""

from ._container import CONFIG_FILE, HOSTCONFIG_FILE, Container, atomic_write
from ._names import NAME_CHARS, InvalidContainerName, NameConflict, NameRegistrar, random_name, validate_name
from ._state import (
    HEALTH_STATES,
    STATES,
    ExitStatus,
    HealthResult,
    HealthState,
    State,
    WaitCondition,
    WaitResult,
    human_duration,
)
from ._store import AmbiguousPrefix, ContainerStore, NoSuchContainer
from ._timefmt import ZERO_TIME, format_time, parse_time
from ._view import LIST_FILTERS, ListQuery, command_string, mount_points, summary

__all__ = [
    "CONFIG_FILE",
    "HEALTH_STATES",
    "HOSTCONFIG_FILE",
    "LIST_FILTERS",
    "NAME_CHARS",
    "STATES",
    "ZERO_TIME",
    "AmbiguousPrefix",
    "Container",
    "ContainerStore",
    "ExitStatus",
    "HealthResult",
    "HealthState",
    "InvalidContainerName",
    "ListQuery",
    "NameConflict",
    "NameRegistrar",
    "NoSuchContainer",
    "State",
    "WaitCondition",
    "WaitResult",
    "atomic_write",
    "command_string",
    "format_time",
    "human_duration",
    "mount_points",
    "parse_time",
    "random_name",
    "summary",
    "validate_name",
]
