"""Plain value types of the client: versions, containers, mounts, processes, exits."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "NO_STDIO",
    "RUNC_V2",
    "ContainerInfo",
    "ExitStatus",
    "Mount",
    "ProcessState",
    "RuncOptions",
    "StdioPaths",
    "TaskStatus",
    "Version",
]

#: The runtime (shim) name for runc through containerd-shim-runc-v2.
RUNC_V2 = "io.containerd.runc.v2"


@dataclass(frozen=True, slots=True)
class Version:
    """containerd's version and revision, as ``ctr version`` shows them."""

    version: str
    revision: str


@dataclass(frozen=True, slots=True)
class Mount:
    """One mount of a task's root file system (e.g. an overlay from the layer store)."""

    type: str
    source: str
    options: tuple[str, ...] = ()
    target: str = ""


@dataclass(frozen=True, slots=True)
class RuncOptions:
    """Options of the ``io.containerd.runc.v2`` runtime (``containerd.runc.v1.Options``)."""

    binary_name: str = ""
    root: str = ""
    systemd_cgroup: bool = False
    no_pivot_root: bool = False
    no_new_keyring: bool = False
    shim_cgroup: str = ""
    io_uid: int = 0
    io_gid: int = 0
    criu_path: str = ""


@dataclass(frozen=True, slots=True)
class StdioPaths:
    """The stdio of a process as containerd sees it: FIFO (or file) paths, or a terminal.

    An empty path means ``/dev/null``. With ``terminal`` the process gets a
    pty whose output arrives on ``stdout`` (``stderr`` stays empty).
    """

    stdin: str = ""
    stdout: str = ""
    stderr: str = ""
    terminal: bool = False


#: No stdio: the process's stdin, stdout and stderr are /dev/null.
NO_STDIO = StdioPaths()


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    """A container record in containerd's metadata store."""

    id: str
    runtime: str
    spec: dict[str, Any]
    labels: Mapping[str, str] = field(default_factory=dict)
    image: str = ""
    runtime_options: RuncOptions | None = None
    snapshotter: str = ""
    snapshot_key: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TaskStatus(enum.Enum):
    """The state of a task or exec process (containerd's ``Status``)."""

    UNKNOWN = "unknown"
    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"
    PAUSED = "paused"
    PAUSING = "pausing"


@dataclass(frozen=True, slots=True)
class ProcessState:
    """What containerd knows about a task's init process or an exec process.

    ``process_id`` is the container ID for the init process, the exec ID
    otherwise.
    """

    container_id: str
    process_id: str
    pid: int
    status: TaskStatus
    exit_status: int = 0
    exited_at: datetime | None = None
    stdio: StdioPaths = NO_STDIO


@dataclass(frozen=True, slots=True)
class ExitStatus:
    """How a process ended: its exit code (128+signal when killed) and when."""

    code: int
    exited_at: datetime | None
    pid: int = 0
