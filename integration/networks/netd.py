"""A network-only Engine API daemon for the tests: the real server, system and network routers.

Until pymobyd wires the network controller in, the docker CLI and docker-py
drive the ``/networks`` endpoints through this process: the daemon's own
HTTP server, ``SystemRouter`` over a real ``Daemon``, ``NetworkRouter`` over
a real ``NetworkController``, plus two test-only routes that stand in for
containers (a network namespace with its endpoints, no process):

- ``POST /_test/containers`` ``{"Name", "NetworkMode", "Ports": {"80/tcp": [{}]}}``
  -> ``{"Id", "NetnsPath", "NetworkSettings"}`` (created and started);
- ``POST /_test/containers/{id}/stop``.

Run: ``python netd.py BASE BRIDGE POOL`` (serves ``BASE/netd.sock`` until
SIGTERM; at boot no container is running, as after a reboot).
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import anyio
import msgspec

from pymoby import api
from pymoby.daemon import ENGINE_VERSION, Daemon
from pymoby.daemon.config import DaemonConfig
from pymoby.daemon.network import ContainerNetworkSpec, NetworkConfig, NetworkController
from pymoby.daemon.server import (
    ExperimentalMiddleware,
    Request,
    Response,
    Route,
    Server,
    ServerConfig,
    VersionMiddleware,
    json_response,
    load_listeners,
    parse_host,
    post,
)
from pymoby.daemon.server.router.network import NetworkRouter
from pymoby.daemon.server.router.system import SystemRouter


class TestContainer(msgspec.Struct, rename="pascal"):
    name: str
    network_mode: str = "default"
    ports: dict[str, list[api.PortBinding] | None] | None = None
    aliases: list[str] | None = None


class TestContainers:
    """The stand-in container routes."""

    def __init__(self, controller: NetworkController, base: Path) -> None:
        self.controller = controller
        self.base = base

    def routes(self) -> Sequence[Route]:
        return (
            post("/_test/containers", self.post_container),
            post("/_test/containers/{id}/stop", self.post_container_stop),
        )

    async def post_container(self, request: Request) -> Response:
        body = await request.json(TestContainer)
        container_id = (body.name.encode().hex() * 64)[:64]
        endpoints = {body.network_mode: api.EndpointSettings(aliases=body.aliases)} if body.aliases else {}
        spec = ContainerNetworkSpec(
            id=container_id,
            name=body.name,
            network_mode=body.network_mode,
            endpoints=endpoints,
            port_bindings=body.ports,
            files_dir=self.base / "files" / body.name,
        )
        await self.controller.create_container(spec)
        info = await self.controller.start_container(container_id)
        return json_response(
            {"Id": container_id, "NetnsPath": str(info.netns_path or ""), "NetworkSettings": info.settings}, 201
        )

    async def post_container_stop(self, request: Request) -> Response:
        await self.controller.stop_container(self.controller.find_container_id(request.vars["id"]))
        return Response(204)


async def main(base: Path, bridge: str, pool: str) -> None:
    network_config = NetworkConfig(
        data_root=base / "root", exec_root=base / "exec", bridge=bridge, default_address_pools=((pool, 24),)
    )
    daemon = await Daemon.new(DaemonConfig(data_root=str(base / "root"), exec_root=str(base / "exec"), pidfile=""))
    socket_path = base / "netd.sock"
    socket_path.unlink(missing_ok=True)
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with NetworkController.open(network_config, events=daemon.events) as controller:
            await controller.restore_containers(running=())
            routers = [SystemRouter(daemon), NetworkRouter(controller), TestContainers(controller, base)]
            server = Server(ServerConfig(), routers, [ExperimentalMiddleware(False), VersionMiddleware(ENGINE_VERSION)])
            listeners = load_listeners([parse_host(f"unix://{socket_path}", "")])
            async with anyio.create_task_group() as tg:
                await tg.start(server.serve, listeners)
                print("ready", flush=True)
                async for _ in signals:
                    break
                tg.cancel_scope.cancel()
    socket_path.unlink(missing_ok=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    anyio.run(main, Path(sys.argv[1]), sys.argv[2], sys.argv[3])
