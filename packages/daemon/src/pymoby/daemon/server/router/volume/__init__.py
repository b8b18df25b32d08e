"""The volume router, the archive routes of ``docker cp``, and the Protocols of their backends."""

from ._archive import STAT_HEADER, ArchiveRoutes, negotiate_encoding
from ._backend import (
    ArchiveBackend,
    VolumeBackend,
    VolumeCreateBackend,
    VolumeInspectBackend,
    VolumeListBackend,
    VolumePruneBackend,
    VolumeRemoveBackend,
)
from ._router import VolumeRouter

__all__ = [
    "STAT_HEADER",
    "ArchiveBackend",
    "ArchiveRoutes",
    "VolumeBackend",
    "VolumeCreateBackend",
    "VolumeInspectBackend",
    "VolumeListBackend",
    "VolumePruneBackend",
    "VolumeRemoveBackend",
    "VolumeRouter",
    "negotiate_encoding",
]
