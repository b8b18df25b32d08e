"""Wire types of a container's ``HostConfig`` (Engine API v1.45).

The defaults are the zero values Docker's Go types encode to, so a
``HostConfig()`` encodes like Docker's empty one: lists and maps that Go
keeps ``nil`` are ``None`` (JSON ``null``), pointers (``PidsLimit``,
``MemorySwappiness``, ``OomKillDisable``) are ``None``, and the fields Go
tags ``omitempty`` (``Annotations``, ``StorageOpt``, ``Tmpfs``, ``Sysctls``,
``Runtime``, ``KernelMemory``, ``KernelMemoryTCP``, ``Mounts``, ``Init``)
are ``msgspec.UNSET`` and left out of the JSON. The values dockerd fills in
at create (``ShmSize`` 64 MiB, ``IpcMode``, ``CgroupnsMode``, ``Runtime``,
``LogConfig.Type``, ``RestartPolicy.Name`` ``"no"``) are daemon policy and
are applied by the daemon, not here.

The resource fields are declared on :class:`Resources` (the body of
``POST /containers/{id}/update`` embeds it too) and inherited inline by
:class:`HostConfig`, as Go embeds the struct.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType, field

__all__ = [
    "BindOptions",
    "DeviceMapping",
    "DeviceRequest",
    "DriverConfig",
    "HostConfig",
    "LogConfig",
    "Mount",
    "PortBinding",
    "PortMap",
    "Resources",
    "RestartPolicy",
    "ThrottleDevice",
    "TmpfsOptions",
    "Ulimit",
    "VolumeOptions",
    "WeightDevice",
]


class RestartPolicy(msgspec.Struct, rename="pascal"):
    """``RestartPolicy``: ``Name`` is ``""``, ``no``, ``always``, ``unless-stopped`` or ``on-failure``."""

    name: str = ""
    maximum_retry_count: int = 0


class LogConfig(msgspec.Struct, rename="pascal"):
    """``LogConfig``: the log driver (``Type``) and its options (``Config``)."""

    type: str = ""
    config: dict[str, str] | None = None


class PortBinding(msgspec.Struct, rename="pascal"):
    """One host binding of a container port: ``HostIp`` and ``HostPort`` (strings, as Docker has them)."""

    host_ip: str = ""
    host_port: str = ""


PortMap = dict[str, list[PortBinding] | None]
"""``PortBindings``: ``"80/tcp"`` -> host bindings (``null`` means exposed, not published)."""


class DeviceMapping(msgspec.Struct, rename="pascal"):
    """A host device made visible in the container (``--device``)."""

    path_on_host: str = ""
    path_in_container: str = ""
    cgroup_permissions: str = ""


class DeviceRequest(msgspec.Struct, rename="pascal"):
    """A request for devices from a device driver (``--gpus``)."""

    driver: str = ""
    count: int = 0
    device_ids: list[str] | None = field(default=None, name="DeviceIDs")
    capabilities: list[list[str]] | None = None
    options: dict[str, str] | None = None


class Ulimit(msgspec.Struct, rename="pascal"):
    """One ``setrlimit`` of the container's process: ``Name`` (``nofile``, ...), ``Hard`` and ``Soft``."""

    name: str = ""
    hard: int = 0
    soft: int = 0


class WeightDevice(msgspec.Struct, rename="pascal"):
    """A relative block-IO weight for one device (``--blkio-weight-device``)."""

    path: str = ""
    weight: int = 0


class ThrottleDevice(msgspec.Struct, rename="pascal"):
    """A block-IO rate limit for one device, in bytes or operations per second."""

    path: str = ""
    rate: int = 0


class BindOptions(msgspec.Struct, rename="pascal", omit_defaults=True):
    """``Mount.BindOptions``: propagation and recursion of a bind mount."""

    propagation: str = ""
    non_recursive: bool = False
    create_mountpoint: bool = False
    read_only_non_recursive: bool = False
    read_only_force_recursive: bool = False


class DriverConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """``Mount.VolumeOptions.DriverConfig``: the volume driver and its options."""

    name: str = ""
    options: dict[str, str] | None = None


class VolumeOptions(msgspec.Struct, rename="pascal", omit_defaults=True):
    """``Mount.VolumeOptions``: how a named volume is created and mounted."""

    no_copy: bool = False
    labels: dict[str, str] | None = None
    subpath: str = ""
    driver_config: DriverConfig | None = None


class TmpfsOptions(msgspec.Struct, rename="pascal", omit_defaults=True):
    """``Mount.TmpfsOptions``: size in bytes and mode (decimal of the octal value)."""

    size_bytes: int = 0
    mode: int = 0
    options: list[list[str]] | None = None


class Mount(msgspec.Struct, rename="pascal", omit_defaults=True):
    """One entry of ``HostConfig.Mounts`` (``--mount``): ``bind``, ``volume``, ``tmpfs`` or ``npipe``."""

    type: str = ""
    source: str = ""
    target: str = ""
    read_only: bool = False
    consistency: str = ""
    bind_options: BindOptions | None = None
    volume_options: VolumeOptions | None = None
    tmpfs_options: TmpfsOptions | None = None


class Resources(msgspec.Struct, rename="pascal"):
    """A container's resources: cgroup limits, devices and ulimits (Docker's ``container.Resources``)."""

    cpu_shares: int = 0
    memory: int = 0
    nano_cpus: int = 0
    cgroup_parent: str = ""
    blkio_weight: int = 0
    blkio_weight_device: list[WeightDevice] | None = None
    blkio_device_read_bps: list[ThrottleDevice] | None = None
    blkio_device_write_bps: list[ThrottleDevice] | None = None
    blkio_device_read_iops: list[ThrottleDevice] | None = field(default=None, name="BlkioDeviceReadIOps")
    blkio_device_write_iops: list[ThrottleDevice] | None = field(default=None, name="BlkioDeviceWriteIOps")
    cpu_period: int = 0
    cpu_quota: int = 0
    cpu_realtime_period: int = 0
    cpu_realtime_runtime: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    devices: list[DeviceMapping] | None = None
    device_cgroup_rules: list[str] | None = None
    device_requests: list[DeviceRequest] | None = None
    kernel_memory: int | UnsetType = UNSET
    kernel_memory_tcp: int | UnsetType = field(default=UNSET, name="KernelMemoryTCP")
    memory_reservation: int = 0
    memory_swap: int = 0
    memory_swappiness: int | None = None
    oom_kill_disable: bool | None = None
    pids_limit: int | None = None
    ulimits: list[Ulimit] | None = None
    cpu_count: int = 0
    cpu_percent: int = 0
    io_maximum_iops: int = field(default=0, name="IOMaximumIOps")
    io_maximum_bandwidth: int = field(default=0, name="IOMaximumBandwidth")


def _console_size() -> list[int]:
    return [0, 0]


class HostConfig(Resources, rename="pascal"):
    """A container's ``HostConfig``: every Engine API v1.45 field, resources inline.

    Decoding is as lenient as Docker's (unknown fields ignored, ``null`` for
    lists and maps); the values are checked by the daemon's validation, not
    by the type.
    """

    binds: list[str] | None = None
    container_id_file: str = field(default="", name="ContainerIDFile")
    log_config: LogConfig = field(default_factory=LogConfig)
    network_mode: str = ""
    port_bindings: PortMap | None = None
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    auto_remove: bool = False
    volume_driver: str = ""
    volumes_from: list[str] | None = None
    console_size: list[int] | None = field(default_factory=_console_size)
    annotations: dict[str, str] | UnsetType = UNSET
    cap_add: list[str] | None = None
    cap_drop: list[str] | None = None
    cgroupns_mode: str = ""
    dns: list[str] | None = None
    dns_options: list[str] | None = None
    dns_search: list[str] | None = None
    extra_hosts: list[str] | None = None
    group_add: list[str] | None = None
    ipc_mode: str = ""
    cgroup: str = ""
    links: list[str] | None = None
    oom_score_adj: int = 0
    pid_mode: str = ""
    privileged: bool = False
    publish_all_ports: bool = False
    readonly_rootfs: bool = False
    security_opt: list[str] | None = None
    storage_opt: dict[str, str] | UnsetType = UNSET
    tmpfs: dict[str, str] | UnsetType = UNSET
    uts_mode: str = field(default="", name="UTSMode")
    userns_mode: str = ""
    shm_size: int = 0
    sysctls: dict[str, str] | UnsetType = UNSET
    runtime: str | UnsetType = UNSET
    isolation: str = ""
    mounts: list[Mount] | UnsetType = UNSET
    masked_paths: list[str] | None = None
    readonly_paths: list[str] | None = None
    init: bool | UnsetType = UNSET
