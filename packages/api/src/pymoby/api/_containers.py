"""Wire types of the ``/containers`` and ``/exec`` endpoints (Engine API v1.45).

Field names and ``null``/omitted conventions follow Docker's Go types: a
field Go tags ``omitempty`` defaults to ``msgspec.UNSET`` (left out of the
JSON), a nil list or map is ``None`` (``null``). ``Cmd``, ``Entrypoint`` and
``Shell`` accept a string as well as a list, as Docker's ``StrSlice`` does;
the daemon normalises them to lists.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType, field

from ._hostconfig import HostConfig, Resources, RestartPolicy
from ._netsettings import NetworkingConfig, NetworkSettings, SummaryNetworkSettings

__all__ = [
    "BlkioStatEntry",
    "BlkioStats",
    "CPUStats",
    "CPUUsage",
    "ContainerConfig",
    "ContainerCreateRequest",
    "ContainerCreateResponse",
    "ContainerInspect",
    "ContainerPruneResponse",
    "ContainerState",
    "ContainerSummary",
    "ContainerTopResponse",
    "ContainerUpdateRequest",
    "ContainerUpdateResponse",
    "ContainerWaitResponse",
    "ExecConfig",
    "ExecInspect",
    "ExecProcessConfig",
    "ExecStartConfig",
    "FilesystemChange",
    "GraphDriverData",
    "Health",
    "HealthConfig",
    "HealthcheckResult",
    "IdResponse",
    "MemoryStats",
    "MountPoint",
    "NetworkStats",
    "PidsStats",
    "Port",
    "StatsResponse",
    "StorageStats",
    "SummaryHostConfig",
    "ThrottlingData",
    "WaitExitError",
]

StrSlice = list[str] | str | None


class HealthConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """``Healthcheck``: the test and its timings in nanoseconds (0: inherit from the image)."""

    test: list[str] | None = None
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


class ContainerConfig(msgspec.Struct, rename="pascal"):
    """A container's ``Config``: what is portable between hosts (Docker's ``container.Config``)."""

    hostname: str = ""
    domainname: str = ""
    user: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    exposed_ports: dict[str, dict[str, Any]] | UnsetType | None = UNSET
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    env: list[str] | None = None
    cmd: StrSlice = None
    healthcheck: HealthConfig | UnsetType | None = UNSET
    args_escaped: bool | UnsetType = UNSET
    image: str = ""
    volumes: dict[str, dict[str, Any]] | None = None
    working_dir: str = ""
    entrypoint: StrSlice = None
    network_disabled: bool | UnsetType = UNSET
    mac_address: str | UnsetType = UNSET
    on_build: list[str] | None = None
    labels: dict[str, str] | None = None
    stop_signal: str | UnsetType = UNSET
    stop_timeout: int | UnsetType | None = UNSET
    shell: StrSlice | UnsetType = UNSET


class ContainerCreateRequest(ContainerConfig, rename="pascal"):
    """The body of ``POST /containers/create``: the config plus ``HostConfig`` and ``NetworkingConfig``."""

    host_config: HostConfig | None = None
    networking_config: NetworkingConfig | None = None


class ContainerCreateResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /containers/create``."""

    id: str = field(name="Id")
    warnings: list[str] = field(default_factory=list)


class HealthcheckResult(msgspec.Struct, rename="pascal"):
    """One run of a health probe: times (RFC 3339 with nanoseconds), exit code and output."""

    start: str
    end: str
    exit_code: int
    output: str


class Health(msgspec.Struct, rename="pascal"):
    """``State.Health``: ``starting``, ``healthy``, ``unhealthy`` or ``none``, with the last results."""

    status: str
    failing_streak: int = 0
    log: list[HealthcheckResult] | None = None


class ContainerState(msgspec.Struct, rename="pascal"):
    """``State`` of ``GET /containers/{id}/json``."""

    status: str
    running: bool = False
    paused: bool = False
    restarting: bool = False
    oom_killed: bool = field(default=False, name="OOMKilled")
    dead: bool = False
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = "0001-01-01T00:00:00Z"
    finished_at: str = "0001-01-01T00:00:00Z"
    health: Health | UnsetType = UNSET


class GraphDriverData(msgspec.Struct, rename="pascal"):
    """``GraphDriver``: the storage driver and its directories for the container."""

    data: dict[str, str] | None
    name: str


class MountPoint(msgspec.Struct, rename="pascal"):
    """A mount of a container as inspect and list show it."""

    type: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    source: str = ""
    destination: str = ""
    driver: str | UnsetType = UNSET
    mode: str = ""
    rw: bool = field(default=False, name="RW")
    propagation: str = ""


class ContainerInspect(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /containers/{id}/json``."""

    id: str = field(name="Id")
    created: str
    path: str
    args: list[str]
    state: ContainerState
    image: str
    resolv_conf_path: str
    hostname_path: str
    hosts_path: str
    log_path: str
    name: str
    restart_count: int
    driver: str
    platform: str
    mount_label: str
    process_label: str
    app_armor_profile: str
    exec_ids: list[str] | None = field(name="ExecIDs")
    host_config: HostConfig
    graph_driver: GraphDriverData
    size_rw: int | UnsetType = UNSET
    size_root_fs: int | UnsetType = UNSET
    mounts: list[MountPoint] = field(default_factory=list)
    config: ContainerConfig | None = None
    network_settings: NetworkSettings | None = None


class Port(msgspec.Struct, rename="pascal"):
    """A port of a listed container: ``PrivatePort``/``Type``, and where it is published."""

    private_port: int
    type: str
    ip: str | UnsetType = field(default=UNSET, name="IP")
    public_port: int | UnsetType = UNSET


class SummaryHostConfig(msgspec.Struct, rename="pascal"):
    """``HostConfig`` of a listed container: its network mode."""

    network_mode: str | UnsetType = UNSET


class ContainerSummary(msgspec.Struct, rename="pascal"):
    """One entry of ``GET /containers/json``."""

    id: str = field(name="Id")
    names: list[str]
    image: str
    image_id: str = field(name="ImageID")
    command: str
    created: int
    ports: list[Port]
    size_rw: int | UnsetType = UNSET
    size_root_fs: int | UnsetType = UNSET
    labels: dict[str, str] | None = None
    state: str = ""
    status: str = ""
    host_config: SummaryHostConfig = field(default_factory=SummaryHostConfig)
    network_settings: SummaryNetworkSettings | None = None
    mounts: list[MountPoint] = field(default_factory=list)


class WaitExitError(msgspec.Struct, rename="pascal"):
    """``Error`` of a wait answer: why the container could not be waited for."""

    message: str = ""


class ContainerWaitResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /containers/{id}/wait``."""

    status_code: int
    error: WaitExitError | UnsetType = UNSET


class ContainerTopResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /containers/{id}/top``: ``ps`` column titles and rows."""

    titles: list[str]
    processes: list[list[str]]


class FilesystemChange(msgspec.Struct, rename="pascal"):
    """One entry of ``GET /containers/{id}/changes``: ``Kind`` 0 modified, 1 added, 2 deleted."""

    path: str
    kind: int


class ContainerUpdateRequest(Resources, rename="pascal"):
    """The body of ``POST /containers/{id}/update``: resources and the restart policy."""

    restart_policy: RestartPolicy | None = None


class ContainerUpdateResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /containers/{id}/update``."""

    warnings: list[str] | None = None


class ContainerPruneResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /containers/prune``."""

    containers_deleted: list[str] | None = None
    space_reclaimed: int = 0


class IdResponse(msgspec.Struct, rename="pascal"):
    """``{"Id": "..."}``: the answer of ``POST /containers/{id}/exec``."""

    id: str = field(name="Id")


class ExecConfig(msgspec.Struct, rename="pascal"):
    """The body of ``POST /containers/{id}/exec``."""

    user: str = ""
    privileged: bool = False
    tty: bool = False
    console_size: list[int] | None = None
    attach_stdin: bool = False
    attach_stderr: bool = False
    attach_stdout: bool = False
    detach: bool = False
    detach_keys: str = ""
    env: list[str] | None = None
    working_dir: str = ""
    cmd: StrSlice = None


class ExecStartConfig(msgspec.Struct, rename="pascal"):
    """The body of ``POST /exec/{id}/start``."""

    detach: bool = False
    tty: bool = False
    console_size: list[int] | None = None


class ExecProcessConfig(msgspec.Struct):
    """``ProcessConfig`` of an exec inspect (lower-case keys, as Docker has them)."""

    tty: bool
    entrypoint: str
    arguments: list[str]
    privileged: bool | UnsetType = UNSET
    user: str | UnsetType = UNSET


class ExecInspect(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /exec/{id}/json``."""

    id: str = field(name="ID")
    running: bool
    exit_code: int | None
    process_config: ExecProcessConfig
    open_stdin: bool
    open_stderr: bool
    open_stdout: bool
    can_remove: bool
    container_id: str = field(name="ContainerID")
    detach_keys: str
    pid: int


# -- stats (Docker's types.StatsJSON) ---------------------------------------------------


class ThrottlingData(msgspec.Struct):
    """CPU throttling counters."""

    periods: int = 0
    throttled_periods: int = 0
    throttled_time: int = 0


class CPUUsage(msgspec.Struct):
    """CPU time in nanoseconds."""

    total_usage: int = 0
    percpu_usage: list[int] | UnsetType = UNSET
    usage_in_kernelmode: int = 0
    usage_in_usermode: int = 0


class CPUStats(msgspec.Struct):
    """``cpu_stats`` / ``precpu_stats``."""

    cpu_usage: CPUUsage = field(default_factory=CPUUsage)
    system_cpu_usage: int | UnsetType = UNSET
    online_cpus: int | UnsetType = UNSET
    throttling_data: ThrottlingData = field(default_factory=ThrottlingData)


class MemoryStats(msgspec.Struct, omit_defaults=True):
    """``memory_stats``: usage, limit and the raw ``memory.stat`` counters (empty ones left out)."""

    usage: int = 0
    max_usage: int = 0
    stats: dict[str, int] | None = None
    failcnt: int = 0
    limit: int = 0


class BlkioStatEntry(msgspec.Struct):
    """One block-I/O counter of one device."""

    major: int
    minor: int
    op: str
    value: int


class BlkioStats(msgspec.Struct):
    """``blkio_stats``: lists of counters (``null`` when the kernel gives none)."""

    io_service_bytes_recursive: list[BlkioStatEntry] | None = None
    io_serviced_recursive: list[BlkioStatEntry] | None = None
    io_queue_recursive: list[BlkioStatEntry] | None = None
    io_service_time_recursive: list[BlkioStatEntry] | None = None
    io_wait_time_recursive: list[BlkioStatEntry] | None = None
    io_merged_recursive: list[BlkioStatEntry] | None = None
    io_time_recursive: list[BlkioStatEntry] | None = None
    sectors_recursive: list[BlkioStatEntry] | None = None


class StorageStats(msgspec.Struct, omit_defaults=True):
    """``storage_stats`` (Windows only: empty on Linux)."""

    read_count_normalized: int = 0
    read_size_bytes: int = 0
    write_count_normalized: int = 0
    write_size_bytes: int = 0


class PidsStats(msgspec.Struct, omit_defaults=True):
    """``pids_stats``: processes in the container and the limit."""

    current: int = 0
    limit: int = 0


class NetworkStats(msgspec.Struct):
    """Counters of one network interface of the container."""

    rx_bytes: int = 0
    rx_packets: int = 0
    rx_errors: int = 0
    rx_dropped: int = 0
    tx_bytes: int = 0
    tx_packets: int = 0
    tx_errors: int = 0
    tx_dropped: int = 0


class StatsResponse(msgspec.Struct):
    """One sample of ``GET /containers/{id}/stats``."""

    read: str
    preread: str
    pids_stats: PidsStats = field(default_factory=PidsStats)
    blkio_stats: BlkioStats = field(default_factory=BlkioStats)
    num_procs: int = 0
    storage_stats: StorageStats = field(default_factory=StorageStats)
    cpu_stats: CPUStats = field(default_factory=CPUStats)
    precpu_stats: CPUStats = field(default_factory=CPUStats)
    memory_stats: MemoryStats = field(default_factory=MemoryStats)
    name: str | UnsetType = UNSET
    id: str | UnsetType = UNSET
    networks: dict[str, NetworkStats] | UnsetType = UNSET
