"""The volume subsystem's errors, each one errdefs kind, with Docker's messages.

::

    NotFound          NoSuchVolume ("get NAME: no such volume"), DriverNotFound, PathNotAccessible
    Conflict          VolumeInUse ("remove NAME: volume is in use - [IDS]"), VolumeNameConflict
    InvalidParameter  InvalidVolumeName, InvalidVolumeOption, InvalidMountSpec, DuplicateMountPoint
    System            VolumeDriverError (a driver or plugin failed), VolumeMountError
    Unavailable       PluginUnavailable (the plugin's socket does not answer)
"""

from __future__ import annotations

from collections.abc import Iterable

from pymoby import errdefs

__all__ = [
    "DriverNotFound",
    "DuplicateMountPoint",
    "InvalidMountSpec",
    "InvalidVolumeName",
    "InvalidVolumeOption",
    "NoSuchVolume",
    "PathNotAccessible",
    "PluginUnavailable",
    "VolumeDriverError",
    "VolumeInUse",
    "VolumeMountError",
    "VolumeNameConflict",
]


class NoSuchVolume(errdefs.NotFound):
    """The volume does not exist (Docker: ``get NAME: no such volume``)."""

    def __init__(self, name: str, op: str = "get") -> None:
        super().__init__(f"{op} {name}: no such volume")
        self.name = name


class VolumeInUse(errdefs.Conflict):
    """The volume is referenced by containers (Docker: ``remove NAME: volume is in use - [ID, ...]``)."""

    def __init__(self, name: str, refs: Iterable[str]) -> None:
        self.refs = sorted(refs)
        super().__init__(f"remove {name}: volume is in use - [{', '.join(self.refs)}]")
        self.name = name


class VolumeNameConflict(errdefs.Conflict):
    """A volume of that name exists with another driver."""


class InvalidVolumeName(errdefs.InvalidParameter):
    """The name is not acceptable to the local driver."""


class InvalidVolumeOption(errdefs.InvalidParameter):
    """A driver option is unknown, malformed, or missing a companion option."""


class DriverNotFound(errdefs.NotFound):
    """No volume driver (built in or plugin) has this name."""


class VolumeDriverError(errdefs.System):
    """A volume driver or plugin failed an operation (its message is kept)."""


class PluginUnavailable(errdefs.Unavailable):
    """A volume plugin's socket does not answer."""


class VolumeMountError(errdefs.System):
    """Mounting or unmounting a volume's file system failed."""


class InvalidMountSpec(errdefs.InvalidParameter):
    """A ``-v``/``--mount``/``--tmpfs``/``--volumes-from`` value Docker would refuse."""


class DuplicateMountPoint(errdefs.InvalidParameter):
    """Two mounts share a destination (Docker: ``Duplicate mount point: /data``)."""

    def __init__(self, destination: str) -> None:
        super().__init__(f"Duplicate mount point: {destination}")
        self.destination = destination


class PathNotAccessible(errdefs.NotFound):
    """A volume sub-path does not exist or goes through a symlink (Docker: ``cannot access path ...``)."""
