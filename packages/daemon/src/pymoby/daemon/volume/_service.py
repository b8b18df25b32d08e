"""The volume service: names, drivers, labels, references and events (Docker's ``VolumesService``).

Above the drivers it keeps, per volume, the driver it lives in, its labels
and options (persisted, see :mod:`._metadata`) and the set of containers
that reference it (in memory: container restore re-adds them). A volume
with references cannot be removed (``volume is in use``, 409), with or
without ``force``. Operations on one name are serialised; different names
proceed concurrently (a slow plugin blocks only its own volumes).
"""

from __future__ import annotations

import builtins
import logging
import os
import secrets
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import anyio

from pymoby import api, errdefs

from ._driver import Driver, DriverVolume
from ._errors import DriverNotFound, NoSuchVolume, PluginUnavailable, VolumeDriverError, VolumeInUse, VolumeNameConflict
from ._filters import (
    ANONYMOUS_LABEL,
    LIST_FILTERS,
    PRUNE_FILTERS,
    dangling_filter,
    matches_list,
    matches_prune,
    prune_all,
)
from ._local import LOCAL_DRIVER, LocalDriver
from ._metadata import MetadataStore, VolumeMetadata
from ._plugin import PluginDriver, PluginRegistry

__all__ = ["EventLogger", "VolumeService"]

log = logging.getLogger("pymoby.daemon.volume")


class EventLogger(Protocol):
    """Where volume events go (the daemon's event bus: ``Events.log``)."""

    def log(self, event_type: str, action: str, actor_id: str, attributes: dict[str, str] | None = None) -> object:
        """Publish one event."""
        ...


@dataclass(slots=True)
class _Entry:
    name: str
    driver: str
    labels: dict[str, str] | None = None
    options: dict[str, str] | None = None
    refs: set[str] = field(default_factory=set)


def _format_time(when: datetime | None) -> str:
    if when is None:
        return "0001-01-01T00:00:00Z"  # Go's zero time, as Docker shows a plugin volume without one
    return when.astimezone().isoformat(timespec="seconds").replace("+00:00", "Z")


def _op_error(op: str, name: str, exc: errdefs.PymobyError) -> errdefs.PymobyError:
    """``exc`` prefixed as Docker's OpErr prints (``create NAME: ...``), keeping its kind."""
    kind = errdefs.kind_of(exc) or errdefs.System
    return kind(f"{op} {name}: {exc}")


def _tree_size(path: str) -> int:
    """Bytes of the files under ``path`` (hardlinks once), as Docker's ``directory.Size``."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for top, dirs, files in os.walk(path, onerror=None):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            if st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    continue
                seen.add(key)
            total += st.st_size
    return total


class VolumeService:
    """Create, find, list, remove and prune volumes; count who uses them; mount them for containers."""

    def __init__(
        self,
        local: LocalDriver,
        metadata: MetadataStore,
        *,
        plugins: PluginRegistry | None = None,
        events: EventLogger | None = None,
        plugin_activation_timeout: float = 30.0,
    ) -> None:
        self.local = local
        self._metadata = metadata
        self._plugins = plugins
        self._events = events
        self._activation_timeout = plugin_activation_timeout
        self._drivers: dict[str, Driver] = {LOCAL_DRIVER: local}
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, anyio.Lock] = {}
        self._driver_lock = anyio.Lock()
        self._pruning = False

    @classmethod
    async def open(
        cls,
        data_root: str | os.PathLike[str],
        *,
        plugins: PluginRegistry | None = None,
        events: EventLogger | None = None,
        plugin_activation_timeout: float = 30.0,
    ) -> VolumeService:
        """The service over ``DATA_ROOT/volumes``, with the volumes it had (forgetting local ones that are gone)."""
        root = Path(data_root) / "volumes"

        def load() -> tuple[LocalDriver, MetadataStore, list[VolumeMetadata]]:
            local = LocalDriver.open(root)
            store = MetadataStore(root / ".metadata")
            return local, store, store.load_all()

        local, store, records = await anyio.to_thread.run_sync(load)
        service = cls(local, store, plugins=plugins, events=events, plugin_activation_timeout=plugin_activation_timeout)
        gone = []
        for record in records:
            driver = record.driver or LOCAL_DRIVER
            if driver == LOCAL_DRIVER and await local.get(record.name) is None:
                gone.append(record.name)
                continue
            service._entries[record.name] = _Entry(record.name, driver, record.labels, record.options)
        for name in gone:
            await anyio.to_thread.run_sync(store.delete, name)
        return service

    # -- plumbing ---------------------------------------------------------------------
    @asynccontextmanager
    async def _locked(self, name: str) -> AsyncIterator[None]:
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = anyio.Lock()
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and lock.statistics().tasks_waiting == 0:
                self._locks.pop(name, None)

    def _log(self, action: str, name: str, attributes: dict[str, str]) -> None:
        if self._events is not None:
            self._events.log("volume", action, name, attributes)

    async def driver(self, name: str, *, retry_for: float | None = None) -> Driver:
        """The driver called ``name`` (``local`` or an activated plugin). Raises DriverNotFound, PluginUnavailable."""
        name = name or LOCAL_DRIVER
        found = self._drivers.get(name)
        if found is not None:
            return found
        async with self._driver_lock:
            found = self._drivers.get(name)
            if found is not None:
                return found
            address = None
            if self._plugins is not None:
                address = await anyio.to_thread.run_sync(self._plugins.find, name)
            if address is None:
                raise DriverNotFound(f'error looking up volume plugin {name}: plugin "{name}" not found')
            plugin = await PluginDriver.activate(
                address, retry_for=self._activation_timeout if retry_for is None else retry_for
            )
            self._drivers[name] = plugin
            return plugin

    async def _all_drivers(self) -> tuple[list[Driver], list[str]]:
        drivers: dict[str, Driver] = dict(self._drivers)
        warnings: list[str] = []
        if self._plugins is not None:
            for name in await anyio.to_thread.run_sync(self._plugins.scan):
                if name in drivers:
                    continue
                try:
                    drivers[name] = await self.driver(name, retry_for=0)
                except DriverNotFound:
                    continue  # a plugin, but not a volume driver
                except errdefs.PymobyError as exc:
                    warnings.append(str(exc))
        return list(drivers.values()), warnings

    def driver_names(self) -> list[str]:
        """The volume drivers known now (``local`` and activated plugins), for ``/info``."""
        return sorted(self._drivers)

    async def _api(self, entry: _Entry, found: DriverVolume, *, status: bool = False) -> api.Volume:
        driver = self._drivers.get(entry.driver)
        scope = await driver.scope() if driver is not None else "local"
        volume = api.Volume(
            name=entry.name,
            driver=entry.driver,
            mountpoint=found.mountpoint,
            labels=dict(entry.labels) if entry.labels is not None else None,
            options=dict(entry.options) if entry.options is not None else None,
            scope=scope,
        )
        volume.created_at = _format_time(found.created_at)
        if status and found.status:
            volume.status = found.status
        return volume

    async def _save(self, entry: _Entry) -> None:
        record = VolumeMetadata(name=entry.name, driver=entry.driver, labels=entry.labels, options=entry.options)
        await anyio.to_thread.run_sync(self._metadata.save, record)

    async def _probe(self, name: str) -> tuple[_Entry, DriverVolume] | None:
        """Look for ``name`` in the drivers loaded so far (a volume made behind our back, or after lost metadata)."""
        for driver in list(self._drivers.values()):
            try:
                found = await driver.get(name)
            except errdefs.PymobyError:
                continue
            if found is not None:
                entry = _Entry(name, driver.name)
                self._entries[name] = entry
                await self._save(entry)
                return entry, found
        return None

    async def _lookup(self, name: str) -> tuple[_Entry, DriverVolume] | None:
        """The entry of ``name`` and what its driver says, purging an entry whose driver lost the volume."""
        entry = self._entries.get(name)
        if entry is None:
            return await self._probe(name)
        driver = await self.driver(entry.driver)
        found = await driver.get(name)
        if found is None:
            await self._purge(entry)
            return None
        return entry, found

    async def _purge(self, entry: _Entry) -> None:
        self._entries.pop(entry.name, None)
        await anyio.to_thread.run_sync(self._metadata.delete, entry.name)

    # -- the operations ------------------------------------------------------------------
    async def create(
        self,
        name: str = "",
        driver: str = "",
        *,
        options: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        reference: str | None = None,
    ) -> api.Volume:
        """Create a volume (a random name and the anonymous label when ``name`` is empty), or return the one
        of that name. ``reference`` (a container ID) protects it from removal until released.

        Raises InvalidVolumeName, InvalidVolumeOption, DriverNotFound, VolumeNameConflict, VolumeDriverError.
        """
        if not name:
            name = secrets.token_hex(32)
            labels = {**(labels or {}), ANONYMOUS_LABEL: ""}
        async with self._locked(name):
            try:
                entry, found, created = await self._create(name, driver, options, labels)
            except errdefs.PymobyError as exc:
                raise _op_error("create", name, exc) from exc
            if reference:
                entry.refs.add(reference)
            if created:
                self._log("create", name, {"driver": entry.driver})
            return await self._api(entry, found)

    async def _create(
        self, name: str, driver_name: str, options: dict[str, str] | None, labels: dict[str, str] | None
    ) -> tuple[_Entry, DriverVolume, bool]:
        entry = self._entries.get(name)
        if entry is not None:
            if driver_name and driver_name != entry.driver:
                await self.driver(driver_name)  # an unknown driver is reported as such first
            current = await self.driver(entry.driver)
            found = await current.get(name)
            if found is not None:
                if driver_name and driver_name != entry.driver:
                    raise VolumeNameConflict(
                        f"driver '{entry.driver}' already has volume '{name}': volume name must be unique"
                    )
                return entry, found, False
            if entry.refs:
                raise VolumeNameConflict(
                    f"found references to volume '{name}' in driver '{entry.driver}' but the volume was not found "
                    "in the driver -- you may need to remove containers referencing this volume or force remove "
                    "the volume to re-create it"
                )
            await self._purge(entry)
        elif not driver_name:
            probed = await self._probe(name)
            if probed is not None:
                return probed[0], probed[1], False
        driver = await self.driver(driver_name or LOCAL_DRIVER)
        found = await driver.get(name)
        if found is None:
            found = await driver.create(name, dict(options or {}))
        entry = _Entry(
            name, driver.name, dict(labels) if labels is not None else None, dict(options) if options else None
        )
        self._entries[name] = entry
        await self._save(entry)
        return entry, found, True

    async def get(
        self, name: str, *, driver: str = "", reference: str | None = None, status: bool = False
    ) -> api.Volume:
        """The volume called ``name`` (``Status`` too with ``status``); adds ``reference`` when given.

        Raises NoSuchVolume (404), errdefs.Conflict when ``driver`` is not the volume's.
        """
        async with self._locked(name):
            try:
                looked = await self._lookup(name)
            except errdefs.PymobyError as exc:
                raise _op_error("get", name, exc) from exc
            if looked is None:
                raise NoSuchVolume(name)
            entry, found = looked
            if driver and driver != entry.driver:
                raise errdefs.Conflict(f"get {name}: found volume driver does not match passed in driver")
            if reference:
                entry.refs.add(reference)
            return await self._api(entry, found, status=status)

    async def inspect(self, name: str) -> api.Volume:
        """``GET /volumes/{name}``: the volume with its driver's ``Status``. Raises NoSuchVolume."""
        return await self.get(name, status=True)

    async def list(self, filters: api.Filters | None = None) -> tuple[list[api.Volume], list[str]]:
        """The volumes passing ``filters`` (sorted by name), and warnings from drivers that could not list.

        Raises api.InvalidFilter for a filter ``GET /volumes`` does not take.
        """
        filters = filters or api.Filters()
        filters.validate(LIST_FILTERS)
        dangling_filter(filters)  # a bad value is an error even when nothing is listed
        drivers, warnings = await self._all_drivers()
        wanted = filters.get("driver")
        out: dict[str, api.Volume] = {}
        for driver in drivers:
            if wanted and driver.name not in wanted:
                continue
            try:
                found_all = await driver.list()
            except errdefs.PymobyError as exc:
                warnings.append(f"list {driver.name}: {exc}" if not isinstance(exc, PluginUnavailable) else str(exc))
                found_all = [
                    DriverVolume(name=e.name, mountpoint="") for e in self._entries.values() if e.driver == driver.name
                ]
            for found in found_all:
                entry = self._entries.get(found.name)
                if entry is not None and entry.driver != driver.name:
                    log.warning(
                        "Volume name %s already exists for driver %s, not including volume returned by %s",
                        found.name, entry.driver, driver.name,
                    )  # fmt: skip
                    continue
                view = entry or _Entry(found.name, driver.name)
                if not matches_list(
                    filters, name=found.name, driver=driver.name, labels=view.labels, in_use=bool(view.refs)
                ):
                    continue
                out[found.name] = await self._api(view, found)
        return [out[name] for name in sorted(out)], warnings

    async def remove(self, name: str, *, force: bool = False) -> None:
        """Remove the volume and its data. ``force`` forgets it even when the driver fails, and makes a
        missing volume no error.

        Raises NoSuchVolume, VolumeInUse (409, also with ``force``), VolumeDriverError.
        """
        async with self._locked(name):
            try:
                looked = await self._lookup(name)
            except errdefs.PymobyError as exc:
                raise _op_error("get", name, exc) from exc
            if looked is None:
                if force:
                    return
                raise NoSuchVolume(name)
            entry, _ = looked
            if entry.refs:
                raise VolumeInUse(name, entry.refs)
            driver = await self.driver(entry.driver)
            try:
                await driver.remove(name)
            except errdefs.PymobyError as exc:
                if not force:
                    raise _op_error("remove", name, exc) from exc
                log.warning("forgetting volume %s although its driver failed to remove it: %s", name, exc)
            await self._purge(entry)
            self._log("destroy", name, {"driver": entry.driver})

    async def prune(self, filters: api.Filters | None = None) -> api.VolumesPruneResponse:
        """Remove unused local volumes without mount options: anonymous ones, or all with ``all=true``.

        Raises api.InvalidFilter, errdefs.InvalidParameter (``all``), errdefs.Conflict when a prune runs.
        """
        filters = filters or api.Filters()
        filters.validate(PRUNE_FILTERS)
        everything = prune_all(filters)
        if self._pruning:
            raise errdefs.Conflict("a prune operation is already running")
        self._pruning = True
        try:
            report = api.VolumesPruneResponse()
            for found in await self.local.list():
                entry = self._entries.get(found.name)
                if entry is None or entry.driver != LOCAL_DRIVER or entry.refs or not found.local_data:
                    continue
                if not matches_prune(filters, labels=entry.labels, everything=everything):
                    continue
                size = await anyio.to_thread.run_sync(_tree_size, found.mountpoint)
                try:
                    await self.remove(found.name)
                except errdefs.PymobyError as exc:
                    log.warning("Could not remove volume %s: %s", found.name, exc)
                    continue
                report.space_reclaimed += size
                report.volumes_deleted.append(found.name)
        finally:
            self._pruning = False
        self._log("prune", "", {"reclaimed": str(report.space_reclaimed)})
        return report

    async def disk_usage(self) -> builtins.list[api.Volume]:
        """Local volumes (without mount options) with ``UsageData``: bytes used and references (``/system/df``)."""
        out = []
        for found in await self.local.list():
            if not found.local_data:
                continue
            entry = self._entries.get(found.name) or _Entry(found.name, LOCAL_DRIVER)
            volume = await self._api(entry, found)
            size = await anyio.to_thread.run_sync(_tree_size, found.mountpoint)
            volume.usage_data = api.VolumeUsageData(size=size, ref_count=len(entry.refs))
            out.append(volume)
        return sorted(out, key=lambda v: v.name)

    # -- references and mounts (for the container lifecycle) --------------------------------
    def references(self, name: str) -> frozenset[str]:
        """The references (container IDs) on ``name``."""
        entry = self._entries.get(name)
        return frozenset(entry.refs) if entry is not None else frozenset()

    def release(self, name: str, reference: str) -> None:
        """Drop ``reference`` from ``name`` (no error when either is unknown)."""
        entry = self._entries.get(name)
        if entry is not None:
            entry.refs.discard(reference)

    def is_anonymous(self, name: str) -> bool:
        """Whether ``name`` carries the anonymous label."""
        entry = self._entries.get(name)
        return entry is not None and ANONYMOUS_LABEL in (entry.labels or {})

    async def mount(self, name: str, driver: str, ref: str) -> str:
        """Mount the volume for the mount ``ref``; the host path of its data. Raises NoSuchVolume,
        VolumeMountError, VolumeDriverError."""
        entry = self._entries.get(name)
        if entry is None:
            looked = await self._probe(name)
            if looked is None:
                raise NoSuchVolume(name)
            entry = looked[0]
        if driver and driver != entry.driver:
            raise errdefs.Conflict(f"get {name}: found volume driver does not match passed in driver")
        impl = await self.driver(entry.driver)
        try:
            return await impl.mount(name, ref)
        except VolumeDriverError as exc:
            raise VolumeDriverError(f"error while mounting volume '{name}': {exc}") from exc

    async def unmount(self, name: str, driver: str, ref: str) -> None:
        """Release the mount ``ref`` of the volume."""
        impl = await self.driver(driver or (self._entries[name].driver if name in self._entries else LOCAL_DRIVER))
        await impl.unmount(name, ref)

    def restore_mount(self, name: str, driver: str) -> None:
        """Count a mount of a live-restored running container (local volumes with mount options)."""
        if (driver or LOCAL_DRIVER) == LOCAL_DRIVER:
            self.local.restore_mount(name)

    async def release_idle_mounts(self) -> builtins.list[str]:
        """Unmount local volumes left mounted with no user (call after containers are restored)."""
        return await anyio.to_thread.run_sync(self.local.release_idle)

    async def close(self) -> None:
        """Unmount what nobody uses (daemon shutdown)."""
        await anyio.to_thread.run_sync(self.local.close)
