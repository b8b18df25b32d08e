"""The container router and the Protocols of its backend."""

from ._backend import (
    AttachBackend,
    ContainerBackend,
    CreateBackend,
    ExecBackend,
    InspectBackend,
    LifecycleBackend,
    LogsBackend,
    StatsBackend,
)
from ._router import ContainerRouter

__all__ = [
    "AttachBackend",
    "ContainerBackend",
    "ContainerRouter",
    "CreateBackend",
    "ExecBackend",
    "InspectBackend",
    "LifecycleBackend",
    "LogsBackend",
    "StatsBackend",
]
