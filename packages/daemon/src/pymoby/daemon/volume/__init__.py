"""pymoby.daemon.volume: volumes (the ``local`` driver and plugins) and the mounts of containers.

- :class:`VolumeService` — create, inspect, list, remove and prune volumes
  (``/volumes`` endpoints), with references from containers and events.
  ``await VolumeService.open(data_root, plugins=PluginRegistry(), events=...)``.
- :class:`LocalDriver` — ``DATA_ROOT/volumes/NAME/_data``, with Docker's
  ``type``/``device``/``o`` options for tmpfs, bind or network file systems.
- :class:`PluginRegistry`, :class:`PluginDriver` — volume plugins speaking
  Docker's plugin protocol on a unix socket (``/run/docker/plugins``).
- :class:`ContainerMounts` — a container's mounts through create, start,
  stop, remove and restore, and for ``docker cp``; :class:`MountPoint` is
  what a container records.
- :func:`parse_bind`, :func:`parse_mount`, :func:`parse_volumes_from` — the
  ``-v``/``--mount``/``--volumes-from`` grammars, with Docker's messages.
"""

from ._driver import GLOBAL_SCOPE, LOCAL_SCOPE, Driver, DriverVolume
from ._errors import (
    DriverNotFound,
    DuplicateMountPoint,
    InvalidMountSpec,
    InvalidVolumeName,
    InvalidVolumeOption,
    NoSuchVolume,
    PathNotAccessible,
    PluginUnavailable,
    VolumeDriverError,
    VolumeInUse,
    VolumeMountError,
    VolumeNameConflict,
)
from ._filters import ANONYMOUS_LABEL, LIST_FILTERS, PRUNE_FILTERS
from ._lifecycle import ContainerMounts, MountPointsLookup, StartedMounts, detect_rro
from ._local import LOCAL_DRIVER, LocalDriver, validate_local_name
from ._mountpoint import MountPoint
from ._plugin import DEFAULT_PLUGIN_SOCKETS, DEFAULT_PLUGIN_SPECS, PluginDriver, PluginRegistry
from ._pluginclient import PLUGIN_MIMETYPE, PluginAddress, PluginCallError, PluginClient
from ._populate import copy_tree, populate_volume
from ._service import EventLogger, VolumeService
from ._spec import (
    DEFAULT_PROPAGATION,
    parse_bind,
    parse_mount,
    parse_volumes_from,
    read_write,
    tmpfs_data,
    valid_mode,
    validate_mount,
    validate_tmpfs_destination,
)

__all__ = [
    "ANONYMOUS_LABEL",
    "DEFAULT_PLUGIN_SOCKETS",
    "DEFAULT_PLUGIN_SPECS",
    "DEFAULT_PROPAGATION",
    "GLOBAL_SCOPE",
    "LIST_FILTERS",
    "LOCAL_DRIVER",
    "LOCAL_SCOPE",
    "PLUGIN_MIMETYPE",
    "PRUNE_FILTERS",
    "ContainerMounts",
    "Driver",
    "DriverNotFound",
    "DriverVolume",
    "DuplicateMountPoint",
    "EventLogger",
    "InvalidMountSpec",
    "InvalidVolumeName",
    "InvalidVolumeOption",
    "LocalDriver",
    "MountPoint",
    "MountPointsLookup",
    "NoSuchVolume",
    "PathNotAccessible",
    "PluginAddress",
    "PluginCallError",
    "PluginClient",
    "PluginDriver",
    "PluginRegistry",
    "PluginUnavailable",
    "StartedMounts",
    "VolumeDriverError",
    "VolumeInUse",
    "VolumeMountError",
    "VolumeNameConflict",
    "VolumeService",
    "copy_tree",
    "detect_rro",
    "parse_bind",
    "parse_mount",
    "parse_volumes_from",
    "populate_volume",
    "read_write",
    "tmpfs_data",
    "valid_mode",
    "validate_local_name",
    "validate_mount",
    "validate_tmpfs_destination",
]
