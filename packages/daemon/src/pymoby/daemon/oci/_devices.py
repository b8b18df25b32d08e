"""Host devices: ``--device``, ``--device-cgroup-rule``, privileged ``/dev`` and block-IO device numbers.

:func:`resolve_devices` is the one place that stats host device nodes
(blocking: run it in a worker thread); it returns a :class:`ResolvedDevices`
the spec builder turns into ``linux.devices`` and the device cgroup without
touching the host.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymoby import errdefs
from pymoby.api import HostConfig

__all__ = [
    "DeviceNode",
    "InvalidDevice",
    "ResolvedDevices",
    "device_cgroup_rule",
    "device_from_path",
    "host_devices",
    "resolve_devices",
]

_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")
_SKIPPED_DIRS = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"}


class InvalidDevice(errdefs.InvalidParameter):
    """A ``--device`` path is no device (nor a directory of them), or a cgroup rule is malformed."""


@dataclass(frozen=True, slots=True)
class DeviceNode:
    """A device node to create in the container: the OCI ``linux.devices`` entry."""

    path: str
    type: str  # "c", "b" or "p"
    major: int
    minor: int
    file_mode: int
    uid: int
    gid: int

    def to_spec(self) -> dict[str, Any]:
        """The ``linux.devices`` entry."""
        return {
            "path": self.path,
            "type": self.type,
            "major": self.major,
            "minor": self.minor,
            "fileMode": self.file_mode,
            "uid": self.uid,
            "gid": self.gid,
        }

    def cgroup_rule(self, access: str) -> dict[str, Any]:
        """The device-cgroup rule allowing ``access`` to this node."""
        return {"allow": True, "type": self.type, "major": self.major, "minor": self.minor, "access": access}


@dataclass(frozen=True, slots=True)
class ResolvedDevices:
    """What the builder needs from the host's device nodes for one container.

    ``devices``: (node, cgroup permissions) pairs from ``HostConfig.Devices``;
    ``host``: every host device for a privileged container; the block-IO
    lists are ``(major, minor, weight-or-rate)`` for the ``Blkio*`` fields.
    """

    devices: tuple[tuple[DeviceNode, str], ...] = ()
    host: tuple[DeviceNode, ...] = ()
    weight_devices: tuple[tuple[int, int, int], ...] = ()
    read_bps: tuple[tuple[int, int, int], ...] = ()
    write_bps: tuple[tuple[int, int, int], ...] = ()
    read_iops: tuple[tuple[int, int, int], ...] = ()
    write_iops: tuple[tuple[int, int, int], ...] = ()
    warnings: tuple[str, ...] = field(default=())


def device_from_path(path: str, container_path: str | None = None) -> DeviceNode | None:
    """The device node at ``path`` (not following a final symlink), or ``None`` if it is no device.

    Raises ``OSError`` when ``path`` cannot be stat'ed.
    """
    info = os.lstat(path)
    if stat.S_ISCHR(info.st_mode):
        kind = "c"
    elif stat.S_ISBLK(info.st_mode):
        kind = "b"
    elif stat.S_ISFIFO(info.st_mode):
        kind = "p"
    else:
        return None
    return DeviceNode(
        path=container_path or path,
        type=kind,
        major=os.major(info.st_rdev),
        minor=os.minor(info.st_rdev),
        file_mode=stat.S_IMODE(info.st_mode),
        uid=info.st_uid,
        gid=info.st_gid,
    )


def host_devices(root: str = "/dev") -> list[DeviceNode]:
    """Every device node under ``root`` (what a privileged container gets), skipping pts, shm, mqueue, fifos."""
    found: list[DeviceNode] = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in _SKIPPED_DIRS:
                found.extend(host_devices(entry.path))
            continue
        if entry.name == "console":
            continue
        try:
            node = device_from_path(entry.path)
        except FileNotFoundError:
            continue
        if node is not None and node.type != "p":
            found.append(node)
    return found


def _devices_from_mapping(on_host: str, in_container: str, permissions: str) -> list[tuple[DeviceNode, str]]:
    resolved = on_host
    if os.path.islink(on_host):
        resolved = os.path.realpath(on_host)
    try:
        node = device_from_path(resolved, in_container)
    except OSError as exc:
        raise InvalidDevice(
            f'error gathering device information while adding custom device "{on_host}": {exc.strerror}'
        ) from exc
    if node is not None:
        return [(node, permissions)]
    found: list[tuple[DeviceNode, str]] = []
    if os.path.isdir(resolved):
        for directory, _dirs, files in os.walk(resolved):
            for name in sorted(files):
                child = os.path.join(directory, name)
                try:
                    sub = device_from_path(child, child.replace(resolved, in_container, 1))
                except OSError:
                    continue
                if sub is not None:
                    found.append((sub, permissions))
    if not found:
        raise InvalidDevice(
            f'error gathering device information while adding custom device "{on_host}": not a device node'
        )
    return found


def _block_number(path: str) -> tuple[int, int]:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise InvalidDevice(f"stat {path}: {exc.strerror}") from exc
    return os.major(info.st_rdev), os.minor(info.st_rdev)


def resolve_devices(host_config: HostConfig, *, dev_root: str = "/dev") -> ResolvedDevices:
    """Stat the host devices ``host_config`` names (blocking: call it in a worker thread).

    Privileged containers get every node under ``dev_root`` as well; their
    ``Devices`` are mapped with ``rwm``, and a mapping onto the same path is
    skipped (it is already there), as Docker does. Raises
    :class:`InvalidDevice` for a path that is not a device.
    """
    pairs: list[tuple[DeviceNode, str]] = []
    host: list[DeviceNode] = []
    warnings: list[str] = []
    if host_config.privileged:
        host = host_devices(dev_root) if Path(dev_root).is_dir() else []
    for mapping in host_config.devices or ():
        permissions = mapping.cgroup_permissions or "rwm"
        in_container = mapping.path_in_container or mapping.path_on_host
        if host_config.privileged:
            if permissions != "rwm":
                warnings.append(
                    f"custom {permissions} permissions for device {mapping.path_on_host} are ignored in privileged mode"
                )
            if mapping.path_on_host == in_container:
                continue
            permissions = "rwm"
        pairs.extend(_devices_from_mapping(mapping.path_on_host, in_container, permissions))

    def numbers(devices: Sequence[Any] | None, attr: str) -> tuple[tuple[int, int, int], ...]:
        return tuple((*_block_number(d.path), getattr(d, attr)) for d in devices or ())

    return ResolvedDevices(
        devices=tuple(pairs),
        host=tuple(host),
        weight_devices=numbers(host_config.blkio_weight_device, "weight"),
        read_bps=numbers(host_config.blkio_device_read_bps, "rate"),
        write_bps=numbers(host_config.blkio_device_write_bps, "rate"),
        read_iops=numbers(host_config.blkio_device_read_iops, "rate"),
        write_iops=numbers(host_config.blkio_device_write_iops, "rate"),
        warnings=tuple(warnings),
    )


def device_cgroup_rule(rule: str) -> dict[str, Any]:
    """One ``--device-cgroup-rule`` (``c 1:3 rwm``, ``b *:* r``, ...) as an OCI device-cgroup entry.

    Raises :class:`InvalidDevice`: ``invalid device cgroup rule format: 'x'``.
    """
    match = _RULE.match(rule)
    if match is None:
        raise InvalidDevice(f"invalid device cgroup rule format: '{rule}'")
    kind, major, minor, access = match.groups()
    return {
        "allow": True,
        "type": kind,
        "major": -1 if major == "*" else int(major),
        "minor": -1 if minor == "*" else int(minor),
        "access": access,
    }
