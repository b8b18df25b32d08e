"""``DaemonCli``: the start sequence of pymobyd, its signals and its shutdown.

In Docker's order: lock and pid file, API server and listeners, containerd
(connect, or start our own under supervision), the network controller (the
default bridge, the networks and their iptables chains restored) and the
volume service, the daemon (containers restored), routers, serve. At
shutdown the daemon's containers stop before the networks and volumes close.
SIGTERM/SIGINT stop it gracefully; SIGHUP reloads the reloadable settings
from the config file and emits the daemon ``reload`` event.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from .._daemon import ENGINE_VERSION, Daemon
from .._services import Components
from ..builder import Builder
from ..config import DaemonConfig, InvalidConfig, load_config_file, merge_config
from ..events import Events
from ..network import NetworkConfig, NetworkController
from ..server import (
    CORSMiddleware,
    DebugMiddleware,
    ExperimentalMiddleware,
    HostAddress,
    Listener,
    Middleware,
    Router,
    Server,
    ServerConfig,
    TLSOptions,
    VersionMiddleware,
    load_listeners,
    parse_host,
)
from ..server.router.build import BuildRouter
from ..server.router.container import ContainerRouter
from ..server.router.exec import ExecRouter
from ..server.router.image import ImageRouter
from ..server.router.network import NetworkRouter
from ..server.router.system import SystemRouter
from ..server.router.volume import ArchiveRoutes, VolumeRouter
from ..volume import PluginRegistry, VolumeService
from ._pidfile import DaemonLock

__all__ = ["DEFAULT_SOCKET", "DaemonCli"]

log = logging.getLogger("pymoby.daemon")

DEFAULT_SOCKET = "/run/pymoby.sock"


async def _close_volumes(volumes: VolumeService) -> None:
    with anyio.CancelScope(shield=True):
        await volumes.close()


def _tls_options(config: DaemonConfig) -> TLSOptions | None:
    if not (config.tls or config.tlsverify):
        return None
    cert_dir = Path(os.environ.get("DOCKER_CERT_PATH", Path.home() / ".docker"))
    return TLSOptions(
        cert=config.tlscert or str(cert_dir / "cert.pem"),
        key=config.tlskey or str(cert_dir / "key.pem"),
        ca=config.tlscacert or str(cert_dir / "ca.pem"),
        verify=config.tlsverify,
    )


class DaemonCli:
    """Runs one daemon from a configuration until a stop signal."""

    def __init__(
        self,
        config: DaemonConfig,
        components: Components,
        *,
        server_config: ServerConfig | None = None,
        config_file: str | None = None,
        config_file_required: bool = False,
        flags: dict[str, Any] | None = None,
        group_explicit: bool = False,
    ) -> None:
        self.config = config
        self.components = components
        self.server_config = server_config or ServerConfig()
        self.config_file = config_file
        self.config_file_required = config_file_required
        self.flags = flags or {}
        self.group_explicit = group_explicit
        self.daemon: Daemon | None = None

    def hosts(self) -> list[HostAddress]:
        """The parsed ``-H`` addresses (the default socket when none)."""
        tls = bool(self.config.tls or self.config.tlsverify)
        return [parse_host(h, DEFAULT_SOCKET, tls) for h in (self.config.hosts or [f"unix://{DEFAULT_SOCKET}"])]

    async def run(self) -> None:
        """Start, serve until SIGTERM/SIGINT, then shut down. Start-up errors propagate."""
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async with anyio.create_task_group() as tg:
                ready = anyio.Event()
                tg.start_soon(self._serve, ready)
                async for signum in signals:
                    if signum == signal.SIGHUP:
                        if ready.is_set():
                            await self.reload()
                        continue
                    log.info("Processing signal '%s'", signal.Signals(signum).name)
                    break
                tg.cancel_scope.cancel()
        log.info("Daemon shutdown complete")

    async def _serve(self, ready: anyio.Event) -> None:
        config = self.config
        lock = DaemonLock(Path(config.data_root), Path(config.pidfile) if config.pidfile else None)
        await anyio.to_thread.run_sync(lock.acquire)
        hosts = self.hosts()
        sockets: list[Path] = [Path(h.address) for h in hosts if h.proto == "unix"]
        try:

            def prepare() -> list[Listener]:
                Path(config.exec_root).mkdir(mode=0o700, parents=True, exist_ok=True)
                return load_listeners(
                    hosts,
                    tls=_tls_options(config),
                    tls_explicitly_off=config.tls is False,
                    group=config.group,
                    group_explicit=self.group_explicit,
                )

            listeners = await anyio.to_thread.run_sync(prepare)
            warnings: list[str] = []
            for host in hosts:
                if host.proto == "tcp" and not (config.tls or config.tlsverify):
                    warnings.append(
                        f"WARNING: API is accessible on http://{host.address} without encryption.\n"
                        "         Access to the remote API is equivalent to root access on the host."
                    )
            async with AsyncExitStack() as stack:
                containerd = None
                if self.components.containerd is not None:
                    containerd = await stack.enter_async_context(self.components.containerd(config))
                    log.info("containerd is serving at %s", containerd.address)
                events = Events()
                networks = await stack.enter_async_context(
                    NetworkController.open(NetworkConfig.from_daemon(config), events=events)
                )
                volumes = await VolumeService.open(config.data_root, plugins=PluginRegistry(), events=events)
                stack.push_async_callback(_close_volumes, volumes)
                daemon = await Daemon.new(
                    config,
                    containerd=containerd,
                    registry=self.components.registry_login,
                    images=self.components.images,
                    events=events,
                    networks=networks,
                    volumes=volumes,
                    warnings=tuple(warnings),
                )
                self.daemon = daemon
                middlewares: list[Middleware] = [
                    ExperimentalMiddleware(config.experimental),
                    VersionMiddleware(ENGINE_VERSION),
                ]
                if config.api_cors_header:
                    middlewares.append(CORSMiddleware(config.api_cors_header))
                if config.debug:
                    middlewares.append(DebugMiddleware())
                routers: list[Router] = [SystemRouter(daemon)]
                if daemon.image_service is not None:
                    routers.append(ImageRouter(daemon.image_service))
                if daemon.container_service is not None:
                    routers.append(ContainerRouter(daemon.container_service))
                    routers.append(ArchiveRoutes(daemon.container_service))
                    routers.append(ExecRouter(daemon.container_service))
                if daemon.image_service is not None:
                    builder = Builder(
                        daemon.image_service,
                        daemon.container_service,
                        jobs=daemon.image_service.jobs,
                        scratch_dir=Path(config.data_root) / "tmp",
                        events=daemon.events,
                    )
                    routers.append(BuildRouter(builder))
                routers.append(NetworkRouter(daemon.container_service or networks))
                routers.append(VolumeRouter(volumes))
                server = Server(self.server_config, routers, middlewares)
                async with anyio.create_task_group() as tg:
                    await tg.start(daemon.run)
                    await tg.start(server.serve, listeners)
                    log.info("Daemon has completed initialization")
                    ready.set()
        finally:
            for path in sockets:
                with contextlib.suppress(OSError):
                    path.unlink()
            lock.release()

    async def reload(self) -> None:
        """Re-read the config file and apply its reloadable keys (errors are logged, not fatal)."""
        if self.daemon is None:
            return
        log.info("Got signal to reload configuration, reloading from: %s", self.config_file)
        try:
            file_values = (
                load_config_file(self.config_file, must_exist=self.config_file_required) if self.config_file else {}
            )
            new = merge_config(self.flags, file_values)
        except InvalidConfig as exc:
            log.error("Error reloading the configuration: %s", exc)
            return
        self.daemon.reload(new)
