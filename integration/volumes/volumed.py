"""A stand-in daemon for the volume tests: pymobyd's API server with the volume pieces wired in.

It serves, on a unix socket, the real server and middlewares, the system
router over a real :class:`~pymoby.daemon.Daemon` (``/_ping``, ``/version``,
``/events``), the volume router over a real ``VolumeService`` (plugins
looked for in ``BASE/plugins``), and the archive routes. Containers are
the one thing it fakes, until pymobyd's container service calls
``ContainerMounts``: a test "creates" one with ``POST /_test/containers/NAME``
(a root directory, ``Binds``/``Mounts``/``Tmpfs``/``VolumesFrom`` and image
volumes, handed to ``ContainerMounts.create`` exactly as the container
service will), ``start``s and ``stop``s it (``ContainerMounts.start/stop``,
which mount and unmount its volumes and answer the OCI mounts), and
removes it (``?v=1`` removes its anonymous volumes). The mount points are
kept in ``BASE/containers.json``, as ``config.v2.json`` keeps them, so they
survive a restart of this daemon.

Run: ``python volumed.py BASE`` (socket ``BASE/d.sock``, data root ``BASE/root``).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import msgspec

from pymoby import api, errdefs
from pymoby.daemon import ENGINE_VERSION, Daemon
from pymoby.daemon.archive import ArchiveTarget
from pymoby.daemon.config import DaemonConfig
from pymoby.daemon.server import (
    ExperimentalMiddleware,
    Request,
    Response,
    Route,
    Server,
    ServerConfig,
    VersionMiddleware,
    delete,
    json_response,
    load_listeners,
    parse_host,
    post,
)
from pymoby.daemon.server.router.system import SystemRouter
from pymoby.daemon.server.router.volume import ArchiveRoutes, VolumeRouter
from pymoby.daemon.volume import ContainerMounts, MountPoint, PluginRegistry, VolumeService

_points = msgspec.json.Decoder(dict[str, MountPoint])


class Containers:
    """Containers as records in a JSON file: what the archive routes and the test control routes use."""

    def __init__(self, path: Path, mounts: ContainerMounts, daemon: Daemon) -> None:
        self.path = path
        self.mounts = mounts
        self.daemon = daemon

    def load(self) -> dict[str, dict[str, Any]]:
        try:
            return json.loads(self.path.read_text())  # type: ignore[no-any-return]
        except FileNotFoundError:
            return {}

    def save(self, records: Mapping[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(records))
        tmp.replace(self.path)

    def get(self, name: str) -> tuple[dict[str, Any], dict[str, MountPoint], api.HostConfig]:
        record = self.load().get(name)
        if record is None:
            raise errdefs.NotFound(f"No such container: {name}")
        points = _points.decode(json.dumps(record["MountPoints"]))
        host_config = api.decode(json.dumps(record["HostConfig"]), api.HostConfig)
        return record, points, host_config

    def mount_points_of(self, name_or_id: str) -> Mapping[str, MountPoint]:
        return self.get(name_or_id)[1]

    @asynccontextmanager
    async def container_filesystem(self, name: str) -> AsyncIterator[ArchiveTarget]:
        record, points, host_config = self.get(name)
        async with self.mounts.filesystem(record["Id"], points, host_config) as fs_mounts:
            yield ArchiveTarget(
                record["Id"], record["Root"], fs_mounts, read_only_root=host_config.readonly_rootfs, user=record["User"]
            )

    def log_container_event(self, container_id: str, action: str) -> None:
        self.daemon.events.log("container", action, container_id, {})

    # -- the test control routes ------------------------------------------------------------
    def routes(self) -> Sequence[Route]:
        return (
            post("/_test/containers/{name}", self.post_create),
            post("/_test/containers/{name}/start", self.post_start),
            post("/_test/containers/{name}/stop", self.post_stop),
            delete("/_test/containers/{name}", self.delete_container),
        )

    async def post_create(self, request: Request) -> Response:
        body = json.loads(await request.body.read_all())
        name = request.vars["name"]
        host_config = api.decode_lenient(json.dumps(body.get("HostConfig") or {}), api.HostConfig)
        points = await self.mounts.create(
            name,
            host_config,
            config_volumes=body.get("Volumes") or [],
            volumes_from=self,
            rootfs=body["Root"],
        )
        records = self.load()
        records[name] = {
            "Id": name,
            "Root": body["Root"],
            "User": body.get("User", ""),
            "HostConfig": json.loads(api.encode(host_config)),
            "MountPoints": json.loads(msgspec.json.encode(points)),
        }
        self.save(records)
        return json_response([p.to_api() for p in points.values()], 201)

    async def post_start(self, request: Request) -> Response:
        record, points, host_config = self.get(request.vars["name"])
        started = await self.mounts.start(record["Id"], points, host_config, rootfs=record["Root"])
        await started.release()
        records = self.load()
        records[record["Id"]]["MountPoints"] = json.loads(msgspec.json.encode(points))
        self.save(records)
        return json_response({"mounts": started.mounts, "rootfsPropagation": started.rootfs_propagation})

    async def post_stop(self, request: Request) -> Response:
        record, points, _ = self.get(request.vars["name"])
        await self.mounts.stop(record["Id"], points)
        records = self.load()
        records[record["Id"]]["MountPoints"] = json.loads(msgspec.json.encode(points))
        self.save(records)
        return Response(204)

    async def delete_container(self, request: Request) -> Response:
        record, points, _ = self.get(request.vars["name"])
        errors = await self.mounts.remove(record["Id"], points, remove_volumes=request.query.get_bool("v"))
        records = self.load()
        records.pop(record["Id"], None)
        self.save(records)
        return json_response({"errors": errors})


async def serve(base: Path) -> None:
    config = DaemonConfig(data_root=str(base / "root"), exec_root=str(base / "exec"))
    daemon = await Daemon.new(config)
    registry = PluginRegistry(socket_dirs=[base / "plugins"], spec_dirs=[base / "plugin-specs"])
    volumes = await VolumeService.open(config.data_root, plugins=registry, events=daemon.events)
    mounts = ContainerMounts(
        volumes, daemon_root=config.data_root, scratch_dir=base / "exec" / "volume-mounts", events=daemon.events
    )
    containers = Containers(base / "containers.json", mounts, daemon)
    for name in containers.load():
        await mounts.restore(name, containers.get(name)[1], running=False)
    await mounts.cleanup()
    server = Server(
        ServerConfig(),
        [SystemRouter(daemon), VolumeRouter(volumes), ArchiveRoutes(containers), containers],
        [ExperimentalMiddleware(False), VersionMiddleware(ENGINE_VERSION)],
    )
    listeners = load_listeners([parse_host(f"unix://{base / 'd.sock'}", "")])
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(server.serve, listeners)
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    tg.cancel_scope.cancel()
                    break
    finally:
        with anyio.CancelScope(shield=True):
            await volumes.close()
        (base / "d.sock").unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    anyio.run(serve, args.base)


if __name__ == "__main__":
    main(sys.argv[1:])
