"""A container's mounts through its life: create, start, stop, remove, restore, and ``docker cp``.

The container service calls :class:`ContainerMounts`:

- ``create``: validates ``Binds``, ``Mounts``, ``Tmpfs``, ``VolumesFrom`` and
  the image's ``VOLUME`` list (plus ``-v /path``, which the CLI sends as
  ``Config.Volumes``), creates named and anonymous volumes with the
  container as a reference, and returns its ``MountPoints`` (persist them
  in ``config.v2.json``; :meth:`MountPoint.to_api` gives inspect's
  ``Mounts``). Order and precedence are Docker's: volumes-from first, then
  binds, then ``--mount``, then the image's volumes where nothing is
  mounted yet; two binds or mounts on one destination are refused.
- ``start``: mounts the volumes, fills a new one from the image (at its
  first start, when it is empty, unless ``nocopy``), and returns the OCI
  mounts for the spec (binds, volumes, tmpfs, by depth) and the root
  propagation that shared/slave binds need.
- ``stop``: releases the volume mounts of the task (after it exited).
- ``remove``: drops the container's references; with ``rm -v`` removes its
  anonymous volumes.
- ``restore``: re-adds the references after a daemon restart.
- ``filesystem``: the mounts of the archive functions (``docker cp``).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
import stat
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio
import msgspec

from pymoby import api, errdefs

from ..archive import ContainerFS, FSMount, clean_path
from ..oci import merge_tmpfs_options, tmpfs_mount
from ._errors import DuplicateMountPoint, InvalidMountSpec
from ._local import LOCAL_DRIVER
from ._mountpoint import MountPoint
from ._ocibind import detect_rro, oci_bind, within
from ._populate import bind_subpath, populate_volume, release_subpath
from ._service import EventLogger, VolumeService
from ._spec import (
    parse_bind,
    parse_mount,
    parse_volumes_from,
    read_write,
    tmpfs_data,
    validate_mount,
    validate_tmpfs_destination,
)
from ._sysmount import mountpoints_under, unmount

__all__ = ["ContainerMounts", "MountPointsLookup", "StartedMounts", "detect_rro"]

log = logging.getLogger("pymoby.daemon.volume")


class MountPointsLookup(Protocol):
    """``--volumes-from``: another container's mount points (the container store)."""

    def mount_points_of(self, name_or_id: str) -> Mapping[str, MountPoint]:
        """The mount points of the container ``name_or_id``; errdefs.NotFound (``No such container: x``)."""
        ...


@dataclass(slots=True)
class StartedMounts:
    """What ``start`` gives the spec builder, and what to undo once the task runs."""

    #: OCI mount objects (``destination``, ``type``, ``source``, ``options``), parents before children.
    mounts: list[dict[str, Any]]
    #: ``rootfsPropagation`` the spec needs (``shared`` or ``rslave`` for such binds), ``""`` for the default.
    rootfs_propagation: str = ""
    _subpaths: list[str] = field(default_factory=list)

    async def release(self) -> None:
        """Drop the temporary sub-path mounts: call once the task is created (or failed to be)."""
        paths, self._subpaths = self._subpaths, []
        for path in paths:
            await anyio.to_thread.run_sync(release_subpath, path)


def _tmpfs_map(host_config: api.HostConfig) -> dict[str, str]:
    tmpfs = host_config.tmpfs
    return dict(tmpfs) if isinstance(tmpfs, dict) else {}


def _mounts_list(host_config: api.HostConfig) -> list[api.Mount]:
    mounts = host_config.mounts
    return list(mounts) if isinstance(mounts, list) else []


class ContainerMounts:
    """The mounts of containers, over the volume service (see the module docstring)."""

    def __init__(
        self,
        volumes: VolumeService,
        *,
        daemon_root: str | os.PathLike[str],
        scratch_dir: str | os.PathLike[str],
        events: EventLogger | None = None,
        rro: bool | None = None,
        runtime: str = "runc",
    ) -> None:
        self.volumes = volumes
        self.daemon_root = os.fspath(daemon_root)
        self.scratch_dir = os.fspath(scratch_dir)
        self._events = events
        self._rro = rro
        self._runtime = runtime

    # -- plumbing -----------------------------------------------------------------------
    def _log(self, action: str, name: str, attributes: dict[str, str]) -> None:
        if self._events is not None:
            self._events.log("volume", action, name, attributes)

    async def _rro_supported(self) -> bool:
        if self._rro is None:
            self._rro = await anyio.to_thread.run_sync(detect_rro, self._runtime)
        return self._rro

    def _daemon_root_propagation(self, point: MountPoint) -> None:
        """Binds from inside the daemon root get ``rslave`` (so the daemon can unmount what is under them)."""
        if point.type != "bind":
            return
        source, root = point.spec.source, self.daemon_root
        if not (within(source, root) or within(root, source)):
            return
        propagation = point.spec.bind_options.propagation if point.spec.bind_options is not None else ""
        if point.spec.bind_options is None:
            point.propagation = "rslave"
        elif propagation not in ("rslave", "rshared", ""):
            raise InvalidMountSpec(
                'invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is '
                f'within the daemon root, daemon root: "{root}", bind mount source: "{source}", '
                f'propagation: "{propagation}"'
            )

    # -- create --------------------------------------------------------------------------
    def validate(self, host_config: api.HostConfig) -> None:
        """The checks Docker makes before creating anything: ``--mount`` entries (a bind source must
        exist) and ``--tmpfs`` targets and options. Raises InvalidMountSpec, oci.InvalidMount."""
        for spec in _mounts_list(host_config):
            validate_mount(spec)
        for destination, data in _tmpfs_map(host_config).items():
            validate_tmpfs_destination(destination)
            merge_tmpfs_options(["noexec", "nosuid", "nodev", "rprivate", *(data.split(",") if data else [])])

    async def create(
        self,
        container_id: str,
        host_config: api.HostConfig,
        *,
        config_volumes: Iterable[str] = (),
        volumes_from: MountPointsLookup | None = None,
        rootfs: str | os.PathLike[str] | None = None,
        existing: Mapping[str, MountPoint] | None = None,
    ) -> dict[str, MountPoint]:
        """The container's mount points, its volumes created and referenced (see the module docstring).

        ``config_volumes`` is the image's ``VOLUME`` list merged with
        ``Config.Volumes``; ``rootfs`` (the mounted root, when the caller has
        it) lets an image volume over a file be refused now rather than at
        start. On error, every reference taken is released and the anonymous
        volumes made are removed. Raises InvalidMountSpec, DuplicateMountPoint,
        errdefs.InvalidParameter (``--volumes-from`` an unknown container),
        the volume service's errors.
        """
        self.validate(host_config)
        tmpfs = _tmpfs_map(host_config)
        points: dict[str, MountPoint] = dict(existing or {})
        referenced: list[str] = []
        made_anonymous: list[str] = []
        destinations: set[str] = set()
        done = False

        async def reference(point: MountPoint, *, options: dict[str, str] | None = None,
                            labels: dict[str, str] | None = None, image: bool = False) -> None:  # fmt: skip
            volume = await self.volumes.create(
                point.name, point.driver, options=options, labels=labels, reference=container_id
            )
            if not point.name:
                made_anonymous.append(volume.name)
            referenced.append(volume.name)
            point.name, point.driver, point.source = volume.name, volume.driver, volume.mountpoint
            # Docker marks -v and --mount volumes of the local driver "z"; the image's volumes keep "".
            if point.driver == LOCAL_DRIVER and not point.mode and not image:
                point.mode = "z"

        def replace(point: MountPoint) -> None:
            old = points.get(point.destination)
            if old is not None and old.is_volume and old.name:
                self.volumes.release(old.name, container_id)
            points[point.destination] = point

        try:
            for source_spec in host_config.volumes_from or []:
                source_id, mode = parse_volumes_from(source_spec)
                if volumes_from is None:
                    raise errdefs.InvalidParameter(f"No such container: {source_id}")
                try:
                    theirs = volumes_from.mount_points_of(source_id)
                except errdefs.NotFound as exc:
                    raise errdefs.InvalidParameter(str(exc)) from exc
                for other in theirs.values():
                    copy = MountPoint(
                        type=other.type,
                        name=other.name,
                        source=other.source,
                        rw=other.rw and read_write(mode),
                        driver=other.driver,
                        destination=other.destination,
                        propagation=other.propagation,
                        spec=msgspec.structs.replace(other.spec),
                    )
                    if copy.is_volume:
                        found = await self.volumes.get(copy.name, driver=copy.driver, reference=container_id)
                        referenced.append(found.name)
                        copy.source = found.mountpoint
                    replace(copy)
            for raw in host_config.binds or []:
                point = parse_bind(raw, host_config.volume_driver)
                self._daemon_root_propagation(point)
                if point.destination in destinations or point.destination in tmpfs:
                    raise DuplicateMountPoint(point.destination)
                if point.is_volume:
                    await reference(point)
                destinations.add(point.destination)
                replace(point)
            for spec in _mounts_list(host_config):
                point = parse_mount(spec)
                self._daemon_root_propagation(point)
                if point.destination in destinations:
                    raise DuplicateMountPoint(spec.target)
                if point.is_volume:
                    options = labels = None
                    if spec.volume_options is not None:
                        labels = spec.volume_options.labels
                        if spec.volume_options.driver_config is not None:
                            options = spec.volume_options.driver_config.options
                    await reference(point, options=options, labels=labels)
                elif point.type == "bind":
                    create_mountpoint = spec.bind_options is not None and spec.bind_options.create_mountpoint
                    point.skip_mountpoint_creation = not create_mountpoint
                destinations.add(point.destination)
                replace(point)
            for raw in config_volumes:
                destination = clean_path(raw)
                if destination in points or destination in tmpfs:
                    continue
                if rootfs is not None:
                    await anyio.to_thread.run_sync(_refuse_file, os.fspath(rootfs), destination)
                point = MountPoint(type="volume", destination=destination, rw=True, copy_data=True,
                                   driver=host_config.volume_driver)  # fmt: skip
                await reference(point, image=True)
                points[destination] = point
            done = True
        finally:
            if not done:
                await self._rollback(container_id, referenced, made_anonymous)
        return points

    async def _rollback(self, container_id: str, referenced: list[str], anonymous: list[str]) -> None:
        for name in referenced:
            self.volumes.release(name, container_id)
        with anyio.CancelScope(shield=True):
            for name in anonymous:
                try:
                    await self.volumes.remove(name)
                except errdefs.PymobyError as exc:
                    log.warning("could not remove volume %s after a failed create: %s", name, exc)

    # -- start / stop -------------------------------------------------------------------------
    async def start(
        self,
        container_id: str,
        mount_points: Mapping[str, MountPoint],
        host_config: api.HostConfig,
        *,
        rootfs: str | os.PathLike[str],
    ) -> StartedMounts:
        """Mount the volumes (filling new ones from the image at ``rootfs``) and give the OCI mounts.

        Updates the mount points in place (the volume mount IDs; ``copy_data``
        cleared once copied): persist them afterwards. On error, the volumes
        mounted here are released. Raises VolumeMountError, PathNotAccessible,
        errdefs.System (a shared/slave bind whose source is not on a shared or
        slave mount), the volume service's errors.
        """
        rro = await self._rro_supported()
        started = StartedMounts(mounts=[])
        mounted: list[MountPoint] = []
        done = False
        try:
            for destination in sorted(mount_points):
                point = mount_points[destination]
                if point.type == "tmpfs":
                    data = tmpfs_data(point.spec.tmpfs_options, point.spec.read_only)
                    started.mounts.append(tmpfs_mount(destination, data))
                    continue
                if point.is_volume:
                    source = await self._mount_volume(container_id, point, rootfs, started)
                    mounted.append(point)
                else:
                    source = point.source
                    if not point.skip_mountpoint_creation:
                        await anyio.to_thread.run_sync(_make_bind_source, source)
                bind, propagation = await anyio.to_thread.run_sync(oci_bind, point, source, rro, self.daemon_root)
                started.mounts.append(bind)
                if propagation == "shared" or (propagation and not started.rootfs_propagation):
                    started.rootfs_propagation = propagation
            for destination, data in _tmpfs_map(host_config).items():
                started.mounts.append(tmpfs_mount(destination, data))
            started.mounts.sort(key=lambda m: len([p for p in str(m["destination"]).split("/") if p]))
            done = True
        finally:
            if not done:
                with anyio.CancelScope(shield=True):
                    await started.release()
                    await self._unmount_all(container_id, mounted)
        return started

    async def _mount_volume(
        self, container_id: str, point: MountPoint, rootfs: str | os.PathLike[str], started: StartedMounts
    ) -> str:
        ref = point.id or secrets.token_hex(32)
        path = await self.volumes.mount(point.name, point.driver, ref)
        point.id = ref
        subpath = point.spec.volume_options.subpath if point.spec.volume_options is not None else ""
        if subpath:
            path = await anyio.to_thread.run_sync(bind_subpath, path, subpath, self.scratch_dir)
            started._subpaths.append(path)
        if point.copy_data:
            await anyio.to_thread.run_sync(populate_volume, os.fspath(rootfs), point.destination, path)
            point.copy_data = False
        self._log(
            "mount",
            point.name,
            {
                "driver": point.driver,
                "container": container_id,
                "destination": point.destination,
                "read/write": "true" if point.rw else "false",
                "propagation": point.propagation,
            },
        )
        return path

    async def _unmount_all(self, container_id: str, points: Iterable[MountPoint]) -> None:
        for point in points:
            if not point.is_volume or not point.id:
                continue
            try:
                await self.volumes.unmount(point.name, point.driver, point.id)
            except errdefs.PymobyError as exc:
                log.warning("error unmounting volume %s of container %s: %s", point.name, container_id, exc)
            point.id = ""
            self._log("unmount", point.name, {"driver": point.driver, "container": container_id})

    async def stop(self, container_id: str, mount_points: Mapping[str, MountPoint]) -> None:
        """Release the volume mounts of the task that exited (errors are logged, not raised)."""
        with anyio.CancelScope(shield=True):
            await self._unmount_all(container_id, mount_points.values())

    # -- remove / restore ---------------------------------------------------------------------
    async def remove(
        self, container_id: str, mount_points: Mapping[str, MountPoint], *, remove_volumes: bool
    ) -> list[str]:
        """Drop the container's references; with ``remove_volumes`` (``rm -v``) remove its anonymous
        volumes too. The errors, as messages (Docker logs them: the container is gone anyway)."""
        errors = []
        for point in mount_points.values():
            if not point.is_volume or not point.name:
                continue
            self.volumes.release(point.name, container_id)
            if not remove_volumes or not point.anonymous:
                continue
            try:
                await self.volumes.remove(point.name)
            except errdefs.Conflict:
                continue  # still used by another container (--volumes-from)
            except errdefs.NotFound:
                continue
            except errdefs.PymobyError as exc:
                errors.append(str(exc))
        return errors

    async def restore(self, container_id: str, mount_points: Mapping[str, MountPoint], *, running: bool) -> None:
        """After a daemon restart: the container references its volumes again (and, when it still runs,
        counts its mounts). A volume that is gone is logged."""
        for point in mount_points.values():
            if not point.is_volume or not point.name:
                continue
            try:
                await self.volumes.get(point.name, driver=point.driver, reference=container_id)
            except errdefs.PymobyError as exc:
                log.warning("container %s: volume %s: %s", container_id, point.name, exc)
                continue
            if running and point.id:
                self.volumes.restore_mount(point.name, point.driver)

    async def cleanup(self) -> None:
        """At daemon start, after restore: unmount what a previous daemon left (idle volume mounts,
        temporary sub-path mounts)."""
        await self.volumes.release_idle_mounts()

        def sweep() -> None:
            if not os.path.isdir(self.scratch_dir):
                return
            for path in sorted(mountpoints_under(self.scratch_dir), key=len, reverse=True):
                with contextlib.suppress(OSError):
                    unmount(path)
            for entry in os.scandir(self.scratch_dir):
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)

        await anyio.to_thread.run_sync(sweep)

    # -- docker cp ------------------------------------------------------------------------------
    @asynccontextmanager
    async def filesystem(
        self, container_id: str, mount_points: Mapping[str, MountPoint], host_config: api.HostConfig
    ) -> AsyncIterator[list[FSMount]]:
        """The mounts of the container for the archive functions, its volumes mounted meanwhile."""
        refs: list[tuple[MountPoint, str]] = []
        subpaths: list[str] = []
        mounts: list[FSMount] = []
        try:
            for destination in sorted(mount_points):
                point = mount_points[destination]
                if point.type == "tmpfs":
                    mounts.append(FSMount(destination, tmpfs=True, read_only=not point.rw))
                    continue
                source = point.source
                if point.is_volume:
                    ref = secrets.token_hex(32)
                    source = await self.volumes.mount(point.name, point.driver, ref)
                    refs.append((point, ref))
                    subpath = point.spec.volume_options.subpath if point.spec.volume_options is not None else ""
                    if subpath:
                        source = await anyio.to_thread.run_sync(bind_subpath, source, subpath, self.scratch_dir)
                        subpaths.append(source)
                elif not await anyio.to_thread.run_sync(os.path.lexists, source):
                    continue  # a bind source gone from the host: nothing is mounted there
                mounts.append(FSMount(destination, source, read_only=not point.rw))
            for destination in _tmpfs_map(host_config):
                mounts.append(FSMount(destination, tmpfs=True))
            yield mounts
        finally:
            with anyio.CancelScope(shield=True):
                for path in subpaths:
                    await anyio.to_thread.run_sync(release_subpath, path)
                for point, ref in refs:
                    try:
                        await self.volumes.unmount(point.name, point.driver, ref)
                    except errdefs.PymobyError as exc:
                        log.warning("error unmounting volume %s: %s", point.name, exc)

    @staticmethod
    def inspect(mount_points: Mapping[str, MountPoint]) -> list[api.MountPoint]:
        """Inspect's ``Mounts``."""
        return [point.to_api() for point in mount_points.values()]


def _refuse_file(rootfs: str, destination: str) -> None:
    with ContainerFS(rootfs, create_mountpoints=False) as fs:
        try:
            with fs.resolve(destination, follow_last=True) as node:
                st = node.lstat()
        except (FileNotFoundError, NotADirectoryError):
            return
    if not stat.S_ISDIR(st.st_mode):
        raise errdefs.System(
            f"cannot mount volume over existing file, file exists {Path(rootfs, destination.lstrip('/'))}"
        )


def _make_bind_source(source: str) -> None:
    """Create a missing ``-v`` bind source as a directory (an existing file is fine)."""
    try:
        os.makedirs(source, mode=0o755, exist_ok=True)
    except FileExistsError:
        pass
    except OSError as exc:
        if exc.errno != errno.ENOTDIR:
            raise errdefs.System(f"error while creating mount source path '{source}': {exc.strerror}") from exc
