"""Wire types of the system endpoints: version, info, disk usage, auth.

Field names follow Docker's JSON exactly; where Docker's name is not plain
PascalCase of the Python name (``ID``, ``NCPU``, ``OSType``) it is spelled
out with ``msgspec.field(name=...)``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import field

__all__ = [
    "AuthConfig",
    "AuthResponse",
    "Commit",
    "ComponentVersion",
    "DiskUsage",
    "ErrorResponse",
    "IndexInfo",
    "NetworkAddressPool",
    "PluginsInfo",
    "RegistryServiceConfig",
    "Runtime",
    "SwarmInfo",
    "SystemInfo",
    "SystemVersion",
    "VersionPlatform",
]


class ErrorResponse(msgspec.Struct):
    """The body of every error answer: ``{"message": "..."}``."""

    message: str


class VersionPlatform(msgspec.Struct, rename="pascal"):
    """``Platform`` of ``GET /version``: the product name."""

    name: str = ""


class ComponentVersion(msgspec.Struct, rename="pascal"):
    """One entry of ``Components`` in ``GET /version`` (Engine, containerd, runc, ...)."""

    name: str
    version: str
    details: dict[str, str] | None = None


class SystemVersion(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /version``."""

    platform: VersionPlatform = field(default_factory=VersionPlatform)
    components: list[ComponentVersion] = field(default_factory=list)
    version: str = ""
    api_version: str = ""
    min_api_version: str = field(default="", name="MinAPIVersion")
    git_commit: str = ""
    go_version: str = ""
    os: str = ""
    arch: str = ""
    kernel_version: str = ""
    experimental: bool = False
    build_time: str = ""


class Commit(msgspec.Struct, rename="pascal"):
    """The commit a component was built from (``ContainerdCommit``, ``RuncCommit``)."""

    id: str = field(default="", name="ID")
    expected: str = ""


class IndexInfo(msgspec.Struct, rename="pascal"):
    """One registry index of ``RegistryConfig.IndexConfigs``."""

    name: str
    mirrors: list[str] = field(default_factory=list)
    secure: bool = True
    official: bool = False


class RegistryServiceConfig(msgspec.Struct, rename="pascal"):
    """``RegistryConfig`` of ``GET /info``: mirrors and insecure registries."""

    allow_nondistributable_artifacts_cidrs: list[str] | None = field(
        default=None, name="AllowNondistributableArtifactsCIDRs"
    )
    allow_nondistributable_artifacts_hostnames: list[str] | None = None
    insecure_registry_cidrs: list[str] = field(default_factory=list, name="InsecureRegistryCIDRs")
    index_configs: dict[str, IndexInfo] = field(default_factory=dict)
    mirrors: list[str] = field(default_factory=list)


class Runtime(msgspec.Struct):
    """An OCI runtime of ``Runtimes`` in ``GET /info`` (Docker spells these keys in lower case)."""

    path: str
    runtime_args: list[str] | None = field(default=None, name="runtimeArgs")


class PluginsInfo(msgspec.Struct, rename="pascal"):
    """``Plugins`` of ``GET /info``: the drivers available per kind."""

    volume: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    authorization: list[str] | None = None
    log: list[str] = field(default_factory=list)


class SwarmInfo(msgspec.Struct, rename="pascal"):
    """``Swarm`` of ``GET /info``; pymoby has no swarm mode, so it is always inactive."""

    node_id: str = field(default="", name="NodeID")
    node_addr: str = ""
    local_node_state: str = "inactive"
    control_available: bool = False
    error: str = ""
    remote_managers: list[dict[str, str]] | None = None


class NetworkAddressPool(msgspec.Struct, rename="pascal"):
    """One of ``DefaultAddressPools``: a base CIDR cut into subnets of ``Size`` bits."""

    base: str
    size: int


class SystemInfo(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /info``."""

    id: str = field(default="", name="ID")
    containers: int = 0
    containers_running: int = 0
    containers_paused: int = 0
    containers_stopped: int = 0
    images: int = 0
    driver: str = ""
    driver_status: list[list[str]] = field(default_factory=list)
    docker_root_dir: str = ""
    plugins: PluginsInfo = field(default_factory=PluginsInfo)
    memory_limit: bool = False
    swap_limit: bool = False
    kernel_memory_tcp: bool = field(default=False, name="KernelMemoryTCP")
    cpu_cfs_period: bool = False
    cpu_cfs_quota: bool = False
    cpu_shares: bool = field(default=False, name="CPUShares")
    cpu_set: bool = field(default=False, name="CPUSet")
    pids_limit: bool = False
    oom_kill_disable: bool = False
    ipv4_forwarding: bool = field(default=False, name="IPv4Forwarding")
    bridge_nf_iptables: bool = field(default=False, name="BridgeNfIptables")
    bridge_nf_ip6tables: bool = field(default=False, name="BridgeNfIp6tables")
    debug: bool = False
    nfd: int = field(default=0, name="NFd")
    n_goroutines: int = field(default=0, name="NGoroutines")
    system_time: str = ""
    logging_driver: str = ""
    cgroup_driver: str = ""
    cgroup_version: str = ""
    n_events_listener: int = field(default=0, name="NEventsListener")
    kernel_version: str = ""
    operating_system: str = ""
    os_version: str = field(default="", name="OSVersion")
    os_type: str = field(default="", name="OSType")
    architecture: str = ""
    ncpu: int = field(default=0, name="NCPU")
    mem_total: int = 0
    index_server_address: str = ""
    registry_config: RegistryServiceConfig | None = None
    generic_resources: list[dict[str, Any]] | None = None
    http_proxy: str = ""
    https_proxy: str = ""
    no_proxy: str = ""
    name: str = ""
    labels: list[str] = field(default_factory=list)
    experimental_build: bool = False
    server_version: str = ""
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    default_runtime: str = ""
    swarm: SwarmInfo = field(default_factory=SwarmInfo)
    live_restore_enabled: bool = False
    isolation: str = ""
    init_binary: str = ""
    containerd_commit: Commit = field(default_factory=Commit)
    runc_commit: Commit = field(default_factory=Commit)
    init_commit: Commit = field(default_factory=Commit)
    security_options: list[str] = field(default_factory=list)
    product_license: str = ""
    default_address_pools: list[NetworkAddressPool] | None = None
    warnings: list[str] | None = None
    cdi_spec_dirs: list[str] = field(default_factory=list, name="CDISpecDirs")


class DiskUsage(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /system/df``.

    The entries stay plain mappings until the image, container and volume
    types join this package; their JSON is the same.
    """

    layers_size: int = 0
    images: list[dict[str, Any]] | None = None
    containers: list[dict[str, Any]] | None = None
    volumes: list[dict[str, Any]] | None = None
    build_cache: list[dict[str, Any]] | None = None


class AuthConfig(msgspec.Struct, omit_defaults=True):
    """Registry credentials, the body of ``POST /auth`` and of ``X-Registry-Auth`` (lower-case keys)."""

    username: str = ""
    password: str = ""
    auth: str = ""
    email: str = ""
    serveraddress: str = ""
    identitytoken: str = ""
    registrytoken: str = ""


class AuthResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /auth``."""

    status: str
    identity_token: str = ""
