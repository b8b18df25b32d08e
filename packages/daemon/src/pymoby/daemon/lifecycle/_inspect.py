"""Reading containers: inspect, list, top, changes, export, and the counts of ``/info`` and ``/system/df``."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import AsyncIterator

import anyio

from pymoby import api, errdefs

from ..container import Container, ListQuery, format_time, mount_points, summary
from ._remove import RemoveMixin
from ._threadstream import stream_from_thread

__all__ = ["InspectMixin", "parse_ps_output"]

_PS_ARG = re.compile(r"\s+([^\s]*)=\s*(PID[^\s]*)")


def parse_ps_output(output: str, pids: set[int]) -> api.ContainerTopResponse:
    """The ``ps`` table restricted to ``pids`` (the last column keeps its spaces)."""
    lines = output.splitlines()
    if not lines:
        raise errdefs.System("Couldn't find PID field in ps output")
    titles = lines[0].split()
    try:
        pid_index = titles.index("PID")
    except ValueError:
        raise errdefs.System("Couldn't find PID field in ps output") from None
    processes: list[list[str]] = []
    for line in lines[1:]:
        if not line.strip():
            continue
        fields = line.split(None, len(titles) - 1)
        try:
            pid = int(fields[pid_index])
        except (ValueError, IndexError):
            raise errdefs.System(f"Unexpected pid '{fields[pid_index] if fields else ''}'") from None
        if pid in pids:
            processes.append(fields)
    return api.ContainerTopResponse(titles=titles, processes=processes)


class InspectMixin(RemoveMixin):
    """Reading containers."""

    def image_display_name(self, container: Container) -> str:
        """``Image`` of the list: the name it was created with, or the image ID once that name moved on."""
        name = container.config.image
        if not name or name == container.image_id:
            return container.image_id
        image = self.images.find_image(name)
        if image is None or image.id != container.image_id:
            return container.image_id
        return name

    async def inspect(self, name: str, *, size: bool = False) -> api.ContainerInspect:
        """``GET /containers/{id}/json``."""
        container = self.get(name)
        state = container.state
        result = api.ContainerInspect(
            id=container.id,
            created=format_time(container.created),
            path=container.path,
            args=list(container.args),
            state=state.to_api(),
            image=container.image_id,
            resolv_conf_path=container.resolv_conf_path,
            hostname_path=container.hostname_path,
            hosts_path=container.hosts_path,
            log_path=container.log_path,
            name=container.name,
            restart_count=container.restart_count,
            driver=container.driver,
            platform="linux",
            mount_label="",
            process_label="",
            app_armor_profile=container.app_armor_profile,
            exec_ids=self.exec_ids_of(container) or None,
            host_config=container.host_config,
            graph_driver=self.images.graph_driver_data(container.id),
            mounts=mount_points(container),
            config=container.config,
            network_settings=self.network_settings(container),
        )
        if size:
            rw, root = await anyio.to_thread.run_sync(self.images.container_sizes, container.id, container.image_id)
            result.size_rw, result.size_root_fs = rw, root
        return result

    def exec_ids_of(self, container: Container) -> list[str]:
        """IDs of the container's exec instances (overridden by the exec mixin)."""
        return []

    async def list_containers(
        self,
        filters: api.Filters,
        *,
        all: bool = False,  # noqa: A002 - the query parameter's name
        limit: int = 0,
        size: bool = False,
    ) -> list[api.ContainerSummary]:
        """``GET /containers/json``, newest first."""

        def ancestors(ref: str) -> set[str]:
            image = self.images.find_image(ref)
            return self.images.family(image.id) if image is not None else set()

        query = ListQuery.fold(filters, all=all, limit=limit, find=self.store.find, ancestors=ancestors)
        now = time.time_ns()
        entries = [summary(c, self.image_display_name(c), now) for c in query.select(self.store)]
        if size:
            for entry in entries:
                image_id = entry.image_id
                rw, root = await anyio.to_thread.run_sync(self.images.container_sizes, entry.id, image_id)
                entry.size_rw, entry.size_root_fs = rw, root
        return entries

    async def top(self, name: str, ps_args: str = "") -> api.ContainerTopResponse:
        """``GET /containers/{id}/top``: ``ps`` (``-ef`` by default) restricted to the container's processes."""
        container = self.get(name)
        args = ps_args or "-ef"
        for key, value in _PS_ARG.findall(" " + args):
            if key != "pid":
                raise errdefs.InvalidParameter(f'specifying "{key}={value}" is not allowed')
        if not container.state.running:
            raise errdefs.Conflict(f"container {container.id} is not running")
        if container.state.restarting:
            raise errdefs.Conflict(f"Container {container.id} is restarting, wait until the container is running")
        pids = set(await self.containerd.list_pids(container.id))
        argv = args.split(" ")

        def run() -> str:
            with_pids = subprocess.run(
                ["ps", *argv, "-q", ",".join(str(p) for p in sorted(pids))],
                capture_output=True,
                text=True,
                check=False,
            )
            if with_pids.returncode == 0:
                return with_pids.stdout
            plain = subprocess.run(["ps", *argv], capture_output=True, text=True, check=False)
            if plain.returncode != 0:
                raise errdefs.System(f"Error running ps: {plain.stderr.strip() or plain.returncode}")
            return plain.stdout

        output = await anyio.to_thread.run_sync(run)
        result = parse_ps_output(output, pids)
        self.log_event(container, "top")
        return result

    async def changes(self, name: str) -> list[api.FilesystemChange]:
        """``GET /containers/{id}/changes``: what the container changed in its root file system."""
        container = self.get(name)
        layer = await anyio.to_thread.run_sync(self.images.get_rw_layer, container.id)
        found = await anyio.to_thread.run_sync(layer.changes)
        return [api.FilesystemChange(path=c.path, kind=int(c.kind)) for c in found]

    async def export(self, name: str) -> AsyncIterator[bytes]:
        """``GET /containers/{id}/export``: a tar of the whole root file system."""
        container = self.get(name)
        layer = await anyio.to_thread.run_sync(self.images.get_rw_layer, container.id)
        self.log_event(container, "export")
        return stream_from_thread(layer.export)

    def container_counts(self) -> tuple[int, int, int]:
        """(running, paused, stopped) for ``/info``."""
        return self.store.counts()

    async def disk_usage(self) -> list[api.ContainerSummary]:
        """The containers of ``/system/df``, with their sizes."""
        return await self.list_containers(api.Filters(), all=True, size=True)
