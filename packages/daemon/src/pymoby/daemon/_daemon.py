"""The ``Daemon``: owns the engine's services and answers the system endpoints.

It implements the system router's backend (``/version``, ``/info``,
``/events``, ``/system/df``, ``/auth``) and holds the image service, the
network controller, the volume service and the container service that
drives them (each router takes one of them as its backend).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from pymoby import api, errdefs

from ._services import ContainerCounter, ContainerdService, ImageCounter, ImageServiceFactory, RegistryLogin
from ._sysinfo import BinaryVersion, HostInfo, binary_version, go_arch, read_host_info, sysctl_flag
from .config import DaemonConfig, reload_attributes, reloaded
from .events import Events
from .images import ImageService
from .lifecycle import ContainerService
from .network import NetworkController
from .volume import ContainerMounts, VolumeService

__all__ = ["ENGINE_VERSION", "Daemon"]

log = logging.getLogger("pymoby.daemon")

#: The engine's own version (the pymoby release).
ENGINE_VERSION = "0.1.0"
_VERSION_TTL = 1.0
_LOG_DRIVERS = ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "splunk", "syslog"]


def _engine_id(data_root: Path) -> str:
    """The daemon's stable ID: a UUID kept in ``DATA_ROOT/engine-id`` (written atomically)."""
    path = data_root / "engine-id"
    try:
        existing = path.read_text().strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    new = str(uuid.uuid4())
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        f.write(new)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)
    dir_fd = os.open(data_root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return new


class Daemon:
    """The engine: configuration, event bus, containerd and the stores."""

    def __init__(
        self,
        config: DaemonConfig,
        *,
        host: HostInfo,
        engine_id: str,
        events: Events | None = None,
        containerd: ContainerdService | None = None,
        runc: BinaryVersion | None = None,
        init: BinaryVersion | None = None,
        registry: Callable[[DaemonConfig], RegistryLogin] | None = None,
        containers: ContainerCounter | None = None,
        images: ImageCounter | None = None,
        image_service: ImageService | None = None,
        networks: NetworkController | None = None,
        volumes: VolumeService | None = None,
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.host = host
        self.id = engine_id
        self.name = socket.gethostname()
        self.events = events or Events()
        self.containerd = containerd
        self.runc = runc
        self.init = init
        self.registry_factory = registry
        self.registry = registry(config) if registry is not None else None
        self.containers = containers
        self.images = images
        self.image_service = image_service
        self.warnings = warnings
        self._containerd_version: tuple[float, tuple[str, str] | None] = (-1.0, None)
        #: The network controller (``/networks``, the containers' networks), when the daemon has one.
        self.networks = networks
        #: The volume service (``/volumes``, the containers' volumes), when the daemon has one.
        self.volumes = volumes
        #: The container service, when the daemon has images, networks and volumes (and so can have containers).
        self.container_service: ContainerService | None = None
        if image_service is not None:
            self.images = image_service
            # Pulls and pushes use the daemon's mirrors, insecure registries and transfer limits.
            image_service.configure(config)
        if image_service is not None and networks is not None and volumes is not None:
            mounts = ContainerMounts(
                volumes,
                daemon_root=config.data_root,
                scratch_dir=Path(config.exec_root) / "volume-mounts",
                events=self.events,
            )
            self.container_service = ContainerService(
                config=lambda: self.config,
                events=self.events,
                images=image_service,
                containerd=containerd.client if containerd is not None else None,
                host=host,
                networks=networks,
                mounts=mounts,
            )
            self.containers = self.container_service
            image_service.containers = self.container_service
            image_service.committer = _Committer(self.container_service)
            if image_service.events is None:
                image_service.events = self.events

    @classmethod
    async def new(
        cls,
        config: DaemonConfig,
        *,
        containerd: ContainerdService | None = None,
        registry: Callable[[DaemonConfig], RegistryLogin] | None = None,
        images: ImageServiceFactory | None = None,
        events: Events | None = None,
        networks: NetworkController | None = None,
        volumes: VolumeService | None = None,
        warnings: tuple[str, ...] = (),
    ) -> Daemon:
        """Set up the data root, read the host's facts and open the image service (``images``).

        ``networks`` and ``volumes`` are opened by the caller (they outlive the
        daemon's run: containers are stopped before they close), on the same
        ``events`` bus.
        """
        data_root = Path(config.data_root)

        def prepare() -> tuple[HostInfo, str, BinaryVersion | None, BinaryVersion | None, ImageService | None]:
            data_root.mkdir(mode=0o710, parents=True, exist_ok=True)
            service = images(data_root, config.storage_driver) if images is not None else None
            return (
                read_host_info(data_root),
                _engine_id(data_root),
                binary_version("runc"),
                binary_version("tini"),
                service,
            )

        host, engine_id, runc, init, image_service = await anyio.to_thread.run_sync(prepare)
        return cls(
            config,
            host=host,
            engine_id=engine_id,
            containerd=containerd,
            runc=runc,
            init=init,
            registry=registry,
            image_service=image_service,
            events=events,
            networks=networks,
            volumes=volumes,
            warnings=warnings,
        )

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run the daemon's background work (the container service) until cancelled; then shut it down."""
        try:
            async with anyio.create_task_group() as tg:
                if self.image_service is not None:
                    await tg.start(self.image_service.serve)
                if self.container_service is not None:
                    await tg.start(self.container_service.run)
                task_status.started()
                await anyio.sleep_forever()
        finally:
            if self.image_service is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self.image_service.close)

    # -- reload --------------------------------------------------------------------
    def reload(self, new: DaemonConfig) -> None:
        """Apply the reloadable keys of ``new`` and emit the daemon ``reload`` event."""
        self.config = reloaded(self.config, new)
        if self.registry_factory is not None:
            self.registry = self.registry_factory(self.config)  # mirrors and insecure registries may have changed
        if self.image_service is not None:
            self.image_service.configure(self.config)
        logging.getLogger("pymoby").setLevel(logging.DEBUG if self.config.debug else self.config.log_level.upper())
        self.events.log("daemon", "reload", self.id, reload_attributes(self.config, self.name))
        log.info("Reloaded configuration: %s", reload_attributes(self.config, self.name))

    # -- /version ------------------------------------------------------------------
    async def _containerd_version_cached(self) -> tuple[str, str] | None:
        if self.containerd is None:
            return None
        stamp, cached = self._containerd_version
        now = time.monotonic()
        if now - stamp < _VERSION_TTL:
            return cached
        try:
            with anyio.fail_after(5):
                cached = await self.containerd.version()
        except Exception as exc:
            log.warning("failed to retrieve containerd version: %s", exc)
            cached = None
        self._containerd_version = (now, cached)
        return cached

    async def system_version(self) -> api.SystemVersion:
        """The engine's version and its components' (containerd read live, cached a second)."""
        python = f"python{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
        engine_details = {
            "ApiVersion": api.API_VERSION,
            "Arch": go_arch(),
            "BuildTime": "",
            "Experimental": "true" if self.config.experimental else "false",
            "GitCommit": "",
            "GoVersion": python,
            "KernelVersion": self.host.kernel_version,
            "MinAPIVersion": api.MIN_API_VERSION,
            "Os": "linux",
        }
        components = [api.ComponentVersion(name="Engine", version=ENGINE_VERSION, details=engine_details)]
        containerd = await self._containerd_version_cached()
        if containerd is not None:
            components.append(
                api.ComponentVersion(name="containerd", version=containerd[0], details={"GitCommit": containerd[1]})
            )
        if self.runc is not None:
            components.append(
                api.ComponentVersion(name="runc", version=self.runc.version, details={"GitCommit": self.runc.commit})
            )
        if self.init is not None:
            components.append(
                api.ComponentVersion(
                    name="docker-init", version=self.init.version, details={"GitCommit": self.init.commit}
                )
            )
        return api.SystemVersion(
            platform=api.VersionPlatform(name="pymoby Engine"),
            components=components,
            version=ENGINE_VERSION,
            api_version=api.API_VERSION,
            min_api_version=api.MIN_API_VERSION,
            git_commit="",
            go_version=python,
            os="linux",
            arch=go_arch(),
            kernel_version=self.host.kernel_version,
            experimental=self.config.experimental,
            build_time="",
        )

    # -- /info ---------------------------------------------------------------------
    def _registry_config(self) -> api.RegistryServiceConfig:
        cidrs = ["::1/128", "127.0.0.0/8"]
        indexes = {
            "docker.io": api.IndexInfo(
                name="docker.io", mirrors=list(self.config.registry_mirrors), secure=True, official=True
            )
        }
        for entry in self.config.insecure_registries:
            if "/" in entry and entry.replace("/", "").replace(".", "").replace(":", "").isalnum():
                cidrs.append(entry)
            else:
                indexes[entry] = api.IndexInfo(name=entry, mirrors=[], secure=False, official=False)
        return api.RegistryServiceConfig(
            insecure_registry_cidrs=cidrs, index_configs=indexes, mirrors=list(self.config.registry_mirrors)
        )

    async def system_info(self) -> api.SystemInfo:
        """System-wide information: counts, drivers, host facts, registry configuration, warnings."""
        host, config = self.host, self.config
        running, paused, stopped = self.containers.container_counts() if self.containers else (0, 0, 0)
        images = self.images.image_count() if self.images else 0
        containerd = await self._containerd_version_cached()
        bridge_nf = sysctl_flag("/proc/sys/net/bridge/bridge-nf-call-iptables")
        bridge_nf6 = sysctl_flag("/proc/sys/net/bridge/bridge-nf-call-ip6tables")
        warnings = list(self.warnings) + list(host.warnings)
        if bridge_nf is not True and config.iptables:
            warnings.append("WARNING: bridge-nf-call-iptables is disabled")
        if bridge_nf6 is not True and config.iptables:
            warnings.append("WARNING: bridge-nf-call-ip6tables is disabled")
        security = []
        if host.apparmor:
            security.append("name=apparmor")
        if host.seccomp:
            security.append("name=seccomp,profile=builtin")
        if host.cgroup_version == "2":
            security.append("name=cgroupns")
        try:
            nfd = len(os.listdir("/proc/self/fd"))
        except OSError:
            nfd = 0
        return api.SystemInfo(
            id=self.id,
            containers=running + paused + stopped,
            containers_running=running,
            containers_paused=paused,
            containers_stopped=stopped,
            images=images,
            driver=config.storage_driver,
            driver_status=[
                ["Backing Filesystem", host.backing_filesystem],
                ["Supports d_type", "true"],
                ["Using metacopy", "false"],
                ["Native Overlay Diff", "true"],
                ["userxattr", "false"],
            ]
            if config.storage_driver == "overlay2"
            else [],
            docker_root_dir=config.data_root,
            plugins=api.PluginsInfo(
                volume=sorted({"local", *(self.volumes.driver_names() if self.volumes else ())}),
                network=["bridge", "host", "null"],
                authorization=None,
                log=_LOG_DRIVERS,
            ),
            memory_limit=host.memory_limit,
            swap_limit=host.swap_limit,
            kernel_memory_tcp=host.kernel_memory_tcp,
            cpu_cfs_period=host.cpu_cfs_period,
            cpu_cfs_quota=host.cpu_cfs_quota,
            cpu_shares=host.cpu_shares,
            cpu_set=host.cpu_set,
            pids_limit=host.pids_limit,
            oom_kill_disable=host.oom_kill_disable,
            ipv4_forwarding=bool(sysctl_flag("/proc/sys/net/ipv4/ip_forward")),
            bridge_nf_iptables=bool(bridge_nf),
            bridge_nf_ip6tables=bool(bridge_nf6),
            debug=config.debug,
            nfd=nfd,
            n_goroutines=threading.active_count(),
            system_time=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            logging_driver=config.log_driver,
            cgroup_driver="cgroupfs",
            cgroup_version=host.cgroup_version,
            n_events_listener=self.events.listeners,
            kernel_version=host.kernel_version,
            operating_system=host.operating_system,
            os_version=host.os_version,
            os_type="linux",
            architecture=host.architecture,
            ncpu=host.ncpu,
            mem_total=host.mem_total,
            index_server_address="https://index.docker.io/v1/",
            registry_config=self._registry_config(),
            http_proxy=os.environ.get("HTTP_PROXY", os.environ.get("http_proxy", "")),
            https_proxy=os.environ.get("HTTPS_PROXY", os.environ.get("https_proxy", "")),
            no_proxy=os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")),
            name=self.name,
            labels=list(config.labels),
            experimental_build=config.experimental,
            server_version=ENGINE_VERSION,
            runtimes={"io.containerd.runc.v2": api.Runtime(path="runc"), "runc": api.Runtime(path="runc")},
            default_runtime=config.default_runtime,
            live_restore_enabled=config.live_restore,
            isolation="",
            init_binary="docker-init",
            containerd_commit=api.Commit(id=containerd[1] if containerd else ""),
            runc_commit=api.Commit(id=self.runc.commit if self.runc else ""),
            init_commit=api.Commit(id=self.init.commit if self.init else ""),
            security_options=security,
            product_license="Community Engine",
            default_address_pools=[
                api.NetworkAddressPool(base=p.base, size=p.size) for p in config.default_address_pools
            ]
            or None,
            warnings=warnings or None,
        )

    # -- /system/df ------------------------------------------------------------------
    async def system_disk_usage(self, kinds: frozenset[str]) -> api.DiskUsage:
        """Disk usage of images (with how many containers use each), containers (with their sizes) and
        local volumes (with their sizes and how many containers use each)."""
        want = kinds or frozenset({"container", "image", "volume", "build-cache"})
        images: list[Any] = []
        containers: list[Any] = []
        layers_size = 0
        service, image_service = self.container_service, self.image_service
        if service is not None and "container" in want:
            containers = [api.decode(api.encode(c), dict) for c in await service.disk_usage()]
        if image_service is not None and "image" in want:
            summaries = await image_service.list_images(api.Filters(), all_images=True, shared_size=True)
            images = [api.decode(api.encode(summary), dict) for summary in summaries]
            layers_size = await anyio.to_thread.run_sync(image_service.layers.disk_usage)
        volumes: list[Any] = []
        if self.volumes is not None and "volume" in want:
            volumes = [api.decode(api.encode(v), dict) for v in await self.volumes.disk_usage()]
        return api.DiskUsage(
            layers_size=layers_size,
            images=images if "image" in want else None,
            containers=containers if "container" in want else None,
            volumes=volumes if "volume" in want else None,
            build_cache=[] if "build-cache" in want else None,
        )

    # -- /events -----------------------------------------------------------------------
    def subscribe_events(
        self, since: int | None, until: int | None, filters: api.Filters
    ) -> AbstractAsyncContextManager[AsyncIterator[api.EventMessage]]:
        """The events of a window, past then live."""
        return self.events.subscribe(since, until, filters)

    # -- /auth ------------------------------------------------------------------------
    async def auth(self, config: api.AuthConfig) -> api.AuthResponse:
        """Check credentials with the registry client; ``NotImplemented`` when none is wired."""
        if self.registry is None:
            raise errdefs.NotImplemented("registry login is not available in this build of pymobyd")
        return await self.registry.login(config)


class _Committer:
    """The container service as the image service's ``ContainerCommitter``."""

    def __init__(self, service: ContainerService) -> None:
        self._service = service

    async def commit_source(self, name: str) -> Any:
        """The container to commit."""
        return await self._service.commit_source(name)

    async def pause(self, container_id: str) -> None:
        """Freeze it while its layer is read."""
        await self._service.pause_for_commit(container_id)

    async def unpause(self, container_id: str) -> None:
        """Thaw it."""
        await self._service.unpause_after_commit(container_id)

    def log_commit(self, container_id: str, attributes: dict[str, str]) -> None:
        """The ``commit`` event."""
        self._service.log_commit(container_id, attributes)
