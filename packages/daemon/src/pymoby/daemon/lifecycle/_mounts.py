"""A container's own mounts at this stage: bind mounts (``-v /src:/dst``, ``--mount type=bind``) and tmpfs.

Parsed at create into Docker's ``MountPoints`` records (what inspect and the
``volume`` filter see) and turned into OCI mounts at start. Named and
anonymous volumes need the volume service, which is not there yet: asking
for one is a ``NotImplemented`` error that says so.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

from pymoby import api, errdefs

from ..container import MountPointRecord
from ..oci import bind_mount

__all__ = ["InvalidMountSpec", "mount_points_for", "oci_mounts_for", "prepare_bind_sources"]

_PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
_MODES = frozenset({"ro", "rw", "z", "Z", "nocopy", *_PROPAGATIONS})
VOLUMES_NOT_SUPPORTED = (
    "named and anonymous volumes are not supported by pymobyd yet: use a bind mount (-v /host/path:{dst})"
)


class InvalidMountSpec(errdefs.InvalidParameter):
    """A ``Binds`` entry or ``Mounts`` item Docker would refuse."""


def _split_bind(spec: str) -> tuple[str, str, str]:
    parts = spec.split(":")
    if len(parts) == 2:
        return parts[0], parts[1], ""
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise InvalidMountSpec(f"invalid volume specification: '{spec}'")


def _bind_record(source: str, destination: str, mode: str, spec: str) -> MountPointRecord:
    if not destination.startswith("/"):
        raise InvalidMountSpec(f"invalid volume specification: '{spec}': invalid mount config for type \"bind\": "
                               f"invalid mount path: '{destination}' mount path must be absolute")  # fmt: skip
    options = [o for o in mode.split(",") if o]
    for option in options:
        if option not in _MODES:
            raise InvalidMountSpec(f"invalid mode: {mode}")
    propagation = next((o for o in options if o in _PROPAGATIONS), "rprivate")
    return MountPointRecord(
        source=posixpath.normpath(source),
        destination=posixpath.normpath(destination),
        rw="ro" not in options,
        type="bind",
        mode=mode,
        propagation=propagation,
    )


def mount_points_for(host_config: api.HostConfig) -> dict[str, MountPointRecord]:
    """The ``MountPoints`` of a new container from ``Binds``, ``Mounts`` and ``Tmpfs``.

    Raises :class:`InvalidMountSpec` for a malformed entry, ``Conflict`` for
    two mounts at one destination (Docker's ``Duplicate mount point``), and
    ``NotImplemented`` for a volume.
    """
    points: dict[str, MountPointRecord] = {}

    def add(record: MountPointRecord) -> None:
        if record.destination in points:
            raise InvalidMountSpec(f"Duplicate mount point: {record.destination}")
        points[record.destination] = record

    for spec in host_config.binds or ():
        source, destination, mode = _split_bind(spec)
        if not source.startswith("/"):
            raise errdefs.NotImplemented(VOLUMES_NOT_SUPPORTED.format(dst=destination))
        add(_bind_record(source, destination, mode, spec))
    mounts = host_config.mounts if isinstance(host_config.mounts, list) else []
    for mount in mounts:
        if not mount.target:
            raise InvalidMountSpec("invalid mount config: Target must not be empty")
        if mount.type == "bind":
            if not mount.source:
                raise InvalidMountSpec('invalid mount config for type "bind": field Source must not be empty')
            if not os.path.exists(mount.source) and not (
                mount.bind_options is not None and mount.bind_options.create_mountpoint
            ):
                raise InvalidMountSpec(
                    f'invalid mount config for type "bind": bind source path does not exist: {mount.source}'
                )
            propagation = (mount.bind_options.propagation if mount.bind_options else "") or "rprivate"
            record = MountPointRecord(
                source=mount.source,
                destination=posixpath.normpath(mount.target),
                rw=not mount.read_only,
                type="bind",
                propagation=propagation,
                spec=api.decode(api.encode(mount), dict),
            )
            add(record)
        elif mount.type == "tmpfs":
            add(
                MountPointRecord(
                    destination=posixpath.normpath(mount.target),
                    rw=not mount.read_only,
                    type="tmpfs",
                    spec=api.decode(api.encode(mount), dict),
                )
            )
        elif mount.type == "volume":
            raise errdefs.NotImplemented(VOLUMES_NOT_SUPPORTED.format(dst=mount.target))
        else:
            raise InvalidMountSpec(f'invalid mount config for type "{mount.type}": mount type unknown')
    return points


def prepare_bind_sources(points: dict[str, MountPointRecord]) -> None:
    """Create missing ``-v`` bind sources on the host, as Docker does (blocking)."""
    for record in points.values():
        if record.type == "bind" and record.spec is None and not os.path.exists(record.source):
            os.makedirs(record.source, mode=0o755, exist_ok=True)


def _tmpfs_options(spec: dict[str, Any], read_only: bool) -> list[str]:
    options = ["noexec", "nosuid", "nodev", "rprivate"]
    tmpfs = spec.get("TmpfsOptions") or {}
    if tmpfs.get("SizeBytes"):
        options.append(f"size={tmpfs['SizeBytes']}")
    if tmpfs.get("Mode"):
        options.append(f"mode={tmpfs['Mode']:o}")
    if read_only:
        options.append("ro")
    return options


def oci_mounts_for(points: dict[str, MountPointRecord]) -> list[dict[str, Any]]:
    """The OCI mounts of a container's ``MountPoints`` (binds and tmpfs)."""
    mounts: list[dict[str, Any]] = []
    for record in points.values():
        if record.type == "bind":
            recursive = True
            if record.spec is not None:
                recursive = not (record.spec.get("BindOptions") or {}).get("NonRecursive", False)
            mounts.append(
                bind_mount(
                    record.source,
                    record.destination,
                    read_only=not record.rw,
                    propagation=record.propagation or "rprivate",
                    recursive=recursive,
                )
            )
        elif record.type == "tmpfs":
            mounts.append(
                {
                    "destination": record.destination,
                    "type": "tmpfs",
                    "source": "tmpfs",
                    "options": _tmpfs_options(record.spec or {}, not record.rw),
                }
            )
    return mounts
