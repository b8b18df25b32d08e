"""What every part of the container service shares: stores, containerd, events, the task group.

The service is split by concern into mixins (create, start, stop, exit
handling, removal, inspection, streams, exec, restore), each a module of
this package, all over :class:`ServiceBase`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from pymoby import errdefs
from pymoby.libcontainerd import Client, FifoSet

from ..container import Container, ContainerStore
from ..events import Events
from ..oci import SpecSettings, SysInfo, detect_spec_settings, read_sysinfo

if TYPE_CHECKING:
    from .._sysinfo import HostInfo
    from ..config import DaemonConfig
    from ..images import ImageService
    from ..logger import Copier, Logger
    from ..network import NetworkController
    from ..volume import ContainerMounts

__all__ = ["ServiceBase", "TaskRuntime", "TaskStdin"]

log = logging.getLogger("pymoby.daemon")


@dataclass(slots=True)
class TaskRuntime:
    """The live handles of a container's current task (between start and exit handling)."""

    pid: int
    fifos: FifoSet
    logger: Logger | None
    copier: Copier | None
    #: When the task started, on the monotonic clock (the restart policy's execution duration).
    started: float = field(default_factory=time.monotonic)
    #: Whether the daemon holds a mount of the container's root file system for this task.
    mounted: bool = False
    #: Whether the network subsystem set up the container's network for this task.
    networked: bool = False
    #: Whether the container's volumes are mounted for this task.
    volumes_mounted: bool = False
    #: Set once the exit has been handled (so a late second exit event does nothing).
    exited: bool = False


class TaskStdin(anyio.abc.ByteSendStream):
    """A process's stdin: the FIFO writer, and on close containerd's ``CloseIO`` so the process reads EOF.

    Closing only our end of the FIFO is not enough: the shim holds the FIFO
    open itself until it is told to close it, as Docker does with ``CloseIO``.
    """

    def __init__(self, writer: anyio.abc.ByteSendStream, client: Client, container_id: str, exec_id: str = "") -> None:
        self._writer = writer
        self._client = client
        self._container_id = container_id
        self._exec_id = exec_id
        self._closed = False

    async def send(self, item: bytes) -> None:
        """Write to the process's stdin."""
        await self._writer.send(item)

    async def aclose(self) -> None:
        """Close our end and have the shim close the process's stdin (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._writer.aclose()
        try:
            await self._client.close_stdin(self._container_id, self._exec_id)
        except errdefs.PymobyError as exc:
            log.debug("close stdin of %s: %s", self._container_id, exc)

    @property
    def extra_attributes(self) -> Any:
        return {}


class ServiceBase:
    """Shared state and helpers of the container service."""

    def __init__(
        self,
        *,
        config: Callable[[], DaemonConfig],
        events: Events,
        images: ImageService,
        containerd: Client | None,
        host: HostInfo,
        networks: NetworkController,
        mounts: ContainerMounts,
    ) -> None:
        self._config = config
        self.events = events
        self.images = images
        self._containerd = containerd
        self.host = host
        #: The network subsystem: sandboxes, endpoints, ports and names of the containers.
        self.networks = networks
        #: The containers' binds, volumes and tmpfs mounts (over the volume service).
        self.mounts = mounts
        cfg = config()
        self.data_root = Path(cfg.data_root)
        self.exec_root = Path(cfg.exec_root)
        self.containers_root = self.data_root / "containers"
        self.fifo_root = self.exec_root / "containerd"
        self.store = ContainerStore()
        self.shutting_down = False
        self._tg: anyio.abc.TaskGroup | None = None
        #: Exec instances by ID (:mod:`._exec`), kept until their container's task ends.
        self.exec_store: dict[str, Any] = {}
        #: What the host can enforce (cgroup features, CPUs), and the daemon's side of every spec.
        self.sysinfo: SysInfo | None = None
        self.spec_settings: SpecSettings | None = None

    async def host_facts(self) -> tuple[SysInfo, SpecSettings]:
        """The host's cgroup features and the spec settings, read once (in a worker thread)."""
        if self.sysinfo is None:
            self.sysinfo = await anyio.to_thread.run_sync(read_sysinfo)
        if self.spec_settings is None:
            self.spec_settings = await anyio.to_thread.run_sync(detect_spec_settings)
        return self.sysinfo, self.spec_settings

    # -- plumbing -------------------------------------------------------------------
    @property
    def config(self) -> DaemonConfig:
        """The daemon's configuration as it is now (reloads change it)."""
        return self._config()

    @property
    def containerd(self) -> Client:
        """The containerd client; ``Unavailable`` when the daemon runs without containerd."""
        if self._containerd is None:
            raise errdefs.Unavailable("containerd is not available to this daemon")
        return self._containerd

    def spawn(self, func: Callable[..., Coroutine[Any, Any, Any]], *args: Any, name: str | None = None) -> None:
        """Run ``func(*args)`` in the service's task group (it owns all background work)."""
        if self._tg is None:
            raise errdefs.Unavailable("the container service is not running")
        self._tg.start_soon(func, *args, name=name)

    def get(self, name: str) -> Container:
        """The container called ``name`` (ID, name or unique prefix); ``No such container`` otherwise."""
        return self.store.get(name)

    async def checkpoint(self, container: Container) -> None:
        """Write the container's files atomically (in a worker thread)."""
        if container.state.removed:
            return
        try:
            await anyio.to_thread.run_sync(container.checkpoint)
        except FileNotFoundError:
            pass  # removed meanwhile
        except OSError as exc:
            log.error("failed to save the state of container %s: %s", container.id, exc)

    def event_attributes(self, container: Container, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Docker's attributes of a container event: its labels, ``image``, ``name``, then ``extra``."""
        attributes = dict(container.config.labels or {})
        attributes["image"] = container.config.image
        attributes["name"] = container.name.lstrip("/")
        if extra:
            attributes.update(extra)
        return attributes

    def log_event(self, container: Container, action: str, extra: Mapping[str, str] | None = None) -> None:
        """Emit a container event (``docker events`` shows it)."""
        self.events.log("container", action, container.id, self.event_attributes(container, extra))

    def container_dir(self, container_id: str) -> Path:
        """``DATA_ROOT/containers/<id>``."""
        return self.containers_root / container_id

    def fifo_dir(self, container_id: str) -> Path:
        """Where a container's stdio FIFOs live (under the exec root, as Docker keeps them)."""
        return self.fifo_root / container_id
