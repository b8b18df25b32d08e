"""The ``local`` volume driver: a directory per volume, optionally a mounted file system.

Laid out as Docker's: ``DATA_ROOT/volumes/NAME/_data`` holds the data and
``NAME/opts.json`` the mount options (``type``, ``device``, ``o``) when the
volume is a file system to mount (a tmpfs, a bind of a host directory, an
NFS export...). Such a volume is mounted on ``_data`` by its first user and
unmounted by its last (a count per volume; not persisted: no container runs
across a daemon restart unless it is live-restored, which re-counts).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import shutil
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import anyio

from ._driver import LOCAL_SCOPE, DriverVolume
from ._errors import InvalidVolumeName, InvalidVolumeOption, VolumeDriverError, VolumeMountError
from ._sysmount import is_mountpoint, mount, unmount

__all__ = ["LOCAL_DRIVER", "LocalDriver", "validate_local_name"]

log = logging.getLogger("pymoby.daemon.volume")

LOCAL_DRIVER = "local"
DATA_DIR = "_data"
OPTS_FILE = "opts.json"
_NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_VALID_OPTS = ("type", "o", "device", "size")
# option -> the options it needs beside it (Docker's mandatoryOpts)
_REQUIRED = {"device": ("type",), "type": ("device",), "o": ("device", "type")}
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kKmMgGtTpP]?)([iI]?[bB])?$")


def validate_local_name(name: str) -> None:
    """Raise InvalidVolumeName unless ``name`` is a valid local volume name (Docker's wording)."""
    if len(name) == 1:
        raise InvalidVolumeName("volume name is too short, names should be at least two alphanumeric characters")
    if not _NAME.match(name):
        raise InvalidVolumeName(
            f'"{name}" includes invalid characters for a local volume name, only "{_NAME_CHARS}" are allowed. '
            "If you intended to pass a host directory, use absolute path"
        )


def _ram_in_bytes(value: str) -> int:
    m = _SIZE.match(value.strip())
    if m is None:
        raise InvalidVolumeOption(f"invalid size: '{value}'")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def validate_options(options: dict[str, str]) -> None:
    """Raise InvalidVolumeOption for an option the local driver does not take, or one missing its companions."""
    for name in options:
        if name not in _VALID_OPTS:
            raise InvalidVolumeOption(f'invalid option: "{name}"')
    if "size" in options and _ram_in_bytes(options["size"]) > 0:
        # Docker needs project quotas (xfs/ext4 prjquota) for this; we do not set them up.
        raise InvalidVolumeOption("quota size requested but no quota support")
    for name, needs in _REQUIRED.items():
        if name in options:
            for other in needs:
                if other not in options:
                    raise InvalidVolumeOption(f'missing required option: "{other}"')


def _resolve_addr(options: str) -> str:
    """``addr=HOST`` in NFS/CIFS options with HOST resolved to an IP (the kernel client takes addresses only)."""
    out = []
    for option in options.split(","):
        if option.startswith("addr="):
            host = option[5:]
            try:
                socket.inet_pton(socket.AF_INET, host)
            except OSError:
                try:
                    host = socket.gethostbyname(host)
                except OSError as exc:
                    raise VolumeMountError(f"error resolving passed in network volume address: {exc}") from exc
            option = "addr=" + host
        out.append(option)
    return ",".join(out)


class _LocalVolume:
    __slots__ = ("active", "mounted", "name", "options", "root")

    def __init__(self, root: Path, name: str, options: dict[str, str]) -> None:
        self.root = root
        self.name = name
        self.options = options
        self.active = 0
        self.mounted = False

    @property
    def data(self) -> Path:
        return self.root / DATA_DIR

    @property
    def needs_mount(self) -> bool:
        return bool(self.options.get("device") or self.options.get("type"))

    def created_at(self) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.root.stat().st_ctime, UTC)
        except OSError:
            return None

    def describe(self) -> DriverVolume:
        return DriverVolume(
            name=self.name,
            mountpoint=str(self.data),
            created_at=self.created_at(),
            local_data=not self.options,
            options=dict(self.options),
        )

    def do_mount(self) -> None:
        device = self.options.get("device", "")
        if not device:
            raise VolumeMountError("failed to mount local volume: missing device in volume options")
        fstype = self.options.get("type", "")
        opts = self.options.get("o", "")
        if fstype in ("nfs", "nfs4", "cifs"):
            opts = _resolve_addr(opts)
        try:
            mount(device, str(self.data), fstype, opts)
        except OSError as exc:
            message = f"failed to mount local volume: mount {device}:{self.data}, flags: {opts!r}: {exc.strerror}"
            password = next((o[9:] for o in opts.split(",") if o.startswith("password=")), "")
            if password:
                message = message.replace("password=" + password, "password=********")
            raise VolumeMountError(message) from exc

    def do_unmount(self) -> None:
        try:
            unmount(str(self.data), detach=False)
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                unmount(str(self.data))  # still busy (a copy in flight): detach, the kernel finishes it
            elif is_mountpoint(str(self.data)):
                raise VolumeMountError(f"error unmounting volume {self.name}: {exc.strerror}") from exc
        self.mounted = False


class LocalDriver:
    """The ``local`` driver over ``ROOT`` (Docker: ``DATA_ROOT/volumes``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._volumes: dict[str, _LocalVolume] = {}
        # A threading lock: every method body runs in a worker thread.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """``local``."""
        return LOCAL_DRIVER

    @classmethod
    def open(cls, root: Path) -> LocalDriver:
        """Create ``root`` if needed and load the volumes in it (blocking: call it in a worker thread)."""
        driver = cls(root)
        root.mkdir(mode=0o701, parents=True, exist_ok=True)
        for entry in os.scandir(root):
            if not entry.is_dir(follow_symlinks=False) or entry.name.startswith("."):
                continue
            vroot = Path(entry.path)
            if not (vroot / DATA_DIR).exists() and not (vroot / OPTS_FILE).exists():
                log.debug("skipping non-volume directory %s", vroot)
                continue
            volume = _LocalVolume(vroot, entry.name, driver._load_options(vroot))
            if volume.needs_mount and is_mountpoint(str(volume.data)):
                volume.mounted = True  # left mounted by a previous daemon: see release_idle()
            driver._volumes[entry.name] = volume
        return driver

    @staticmethod
    def _load_options(vroot: Path) -> dict[str, str]:
        try:
            raw = json.loads((vroot / OPTS_FILE).read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("error while loading volume options for volume %s: %s", vroot.name, exc)
            return {}
        if not isinstance(raw, dict):
            return {}
        options = {
            "type": raw.get("MountType") or "",
            "o": raw.get("MountOpts") or "",
            "device": raw.get("MountDevice") or "",
        }
        return {k: v for k, v in options.items() if v}

    async def scope(self) -> str:
        """``local``."""
        return LOCAL_SCOPE

    # -- blocking implementations (worker threads) -----------------------------------
    def _create(self, name: str, options: dict[str, str]) -> DriverVolume:
        validate_local_name(name)
        validate_options(options)
        with self._lock:
            existing = self._volumes.get(name)
            if existing is not None:
                return existing.describe()
            vroot = self.root / name
            volume = _LocalVolume(vroot, name, {k: v for k, v in options.items() if k != "size" and v})
            try:
                vroot.mkdir(mode=0o701, exist_ok=True)
                volume.data.mkdir(mode=0o755, exist_ok=True)
                if volume.options:
                    record = {
                        "MountType": volume.options.get("type", ""),
                        "MountOpts": volume.options.get("o", ""),
                        "MountDevice": volume.options.get("device", ""),
                        "Quota": {"Size": 0},
                    }
                    tmp = vroot / f".{OPTS_FILE}.tmp"
                    with open(tmp, "w") as f:
                        json.dump(record, f)
                        f.flush()
                        os.fsync(f.fileno())
                    os.chmod(tmp, 0o600)
                    os.rename(tmp, vroot / OPTS_FILE)
            except OSError as exc:
                shutil.rmtree(vroot, ignore_errors=True)
                raise VolumeDriverError(f"error while creating volume root path '{vroot}': {exc.strerror}") from exc
            self._volumes[name] = volume
            return volume.describe()

    def _remove(self, name: str) -> None:
        with self._lock:
            volume = self._volumes.get(name)
            if volume is None:
                return
            if volume.active > 0:
                raise VolumeDriverError("volume has active mounts")
            if volume.mounted or (volume.needs_mount and is_mountpoint(str(volume.data))):
                volume.do_unmount()
            real = os.path.realpath(volume.data) if volume.data.exists() else str(volume.root)
            root = str(self.root)
            if real == root or not real.startswith(root + "/"):
                raise VolumeDriverError(f"unable to remove a directory outside of the local volume root {root}: {real}")
            try:
                shutil.rmtree(volume.root)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise VolumeDriverError(f"error removing volume path '{volume.root}': {exc.strerror}") from exc
            del self._volumes[name]

    def _mount(self, name: str) -> str:
        with self._lock:
            volume = self._volumes.get(name)
            if volume is None:
                raise VolumeDriverError(f"volume {name} not found")
            if volume.needs_mount:
                if not volume.mounted:
                    volume.do_mount()
                    volume.mounted = True
                volume.active += 1
            return str(volume.data)

    def _unmount(self, name: str) -> None:
        with self._lock:
            volume = self._volumes.get(name)
            if volume is None or not volume.needs_mount:
                return
            if volume.active > 0:
                volume.active -= 1
            if volume.active == 0 and volume.mounted:
                volume.do_unmount()

    def release_idle(self) -> list[str]:
        """Unmount volumes mounted with nobody using them (left by a previous daemon); their names."""
        released = []
        with self._lock:
            for volume in self._volumes.values():
                if volume.mounted and volume.active == 0:
                    try:
                        volume.do_unmount()
                    except VolumeMountError as exc:
                        log.warning("%s", exc)
                        continue
                    released.append(volume.name)
        return released

    def restore_mount(self, name: str) -> None:
        """Count a mount that survived a daemon restart (a live-restored container's)."""
        with self._lock:
            volume = self._volumes.get(name)
            if volume is not None and volume.needs_mount:
                volume.active += 1
                volume.mounted = True

    # -- the Driver interface --------------------------------------------------------
    async def create(self, name: str, options: dict[str, str]) -> DriverVolume:
        """Create ``NAME/_data`` (and ``opts.json``); an existing volume is returned as is."""
        return await anyio.to_thread.run_sync(self._create, name, dict(options))

    async def get(self, name: str) -> DriverVolume | None:
        """The volume, or ``None``."""
        volume = self._volumes.get(name)
        return volume.describe() if volume is not None else None

    async def list(self) -> list[DriverVolume]:
        """Every local volume."""
        return [v.describe() for v in list(self._volumes.values())]

    async def remove(self, name: str) -> None:
        """Unmount if needed and delete the volume's directory."""
        await anyio.to_thread.run_sync(self._remove, name)

    async def mount(self, name: str, ref: str) -> str:
        """Mount the volume's file system on first use; the ``_data`` path."""
        return await anyio.to_thread.run_sync(self._mount, name)

    async def unmount(self, name: str, ref: str) -> None:
        """Drop one use; the last unmounts the file system."""
        await anyio.to_thread.run_sync(self._unmount, name)

    def close(self) -> None:
        """Unmount what nobody uses (blocking)."""
        with contextlib.suppress(OSError):
            self.release_idle()
