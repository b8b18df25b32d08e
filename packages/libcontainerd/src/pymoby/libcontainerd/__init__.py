"""pymoby.libcontainerd: the containerd supervisor and an async gRPC client.

:class:`Supervisor` runs containerd for the daemon (or reuses one left
running); :class:`Client` talks to it over one gRPC channel in one namespace:
containers, tasks, exec processes, signals, pause/resume, metrics and an
event subscription that survives containerd restarts. :class:`FifoSet` makes
the stdio FIFOs of a process. Errors are :mod:`pymoby.errdefs` kinds.
"""

from ._client import DEFAULT_NAMESPACE, Client
from ._config import DEFAULT_DISABLED_PLUGINS, SupervisorConfig, render_containerd_toml
from ._errors import (
    AlreadyExistsError,
    CancelledError,
    ContainerdError,
    ContainerdStartError,
    DataLossError,
    DeadlineError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
)
from ._events import (
    Event,
    TaskCreate,
    TaskDelete,
    TaskExecAdded,
    TaskExecStarted,
    TaskExit,
    TaskOOM,
    TaskPaused,
    TaskResumed,
    TaskStart,
)
from ._metrics import BlkioEntry, BlkioStats, CpuStats, MemoryStats, Metrics, PidsStats
from ._stdio import FifoReader, FifoSet, FifoWriter
from ._supervisor import Supervisor
from ._types import (
    RUNC_V2,
    ContainerInfo,
    ExitStatus,
    Mount,
    ProcessState,
    RuncOptions,
    StdioPaths,
    TaskStatus,
    Version,
)

__all__ = [
    "DEFAULT_DISABLED_PLUGINS",
    "DEFAULT_NAMESPACE",
    "RUNC_V2",
    "AlreadyExistsError",
    "BlkioEntry",
    "BlkioStats",
    "CancelledError",
    "Client",
    "ContainerInfo",
    "ContainerdError",
    "ContainerdStartError",
    "CpuStats",
    "DataLossError",
    "DeadlineError",
    "Event",
    "ExitStatus",
    "FailedPreconditionError",
    "FifoReader",
    "FifoSet",
    "FifoWriter",
    "InvalidArgumentError",
    "MemoryStats",
    "Metrics",
    "Mount",
    "NotFoundError",
    "PermissionDeniedError",
    "PidsStats",
    "ProcessState",
    "RuncOptions",
    "StdioPaths",
    "Supervisor",
    "SupervisorConfig",
    "TaskCreate",
    "TaskDelete",
    "TaskExecAdded",
    "TaskExecStarted",
    "TaskExit",
    "TaskOOM",
    "TaskPaused",
    "TaskResumed",
    "TaskStart",
    "TaskStatus",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "Version",
    "render_containerd_toml",
]
