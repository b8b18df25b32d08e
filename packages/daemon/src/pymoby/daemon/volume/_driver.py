"""The volume driver interface (Docker's ``volume.Driver``), shared by the local driver and plugins.

A driver owns the data of its volumes; the :class:`~._service.VolumeService`
above it owns names, labels, options, references and events. Every method
is async: the local driver does its file work in worker threads, plugins
answer over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = ["GLOBAL_SCOPE", "LOCAL_SCOPE", "Driver", "DriverVolume"]

LOCAL_SCOPE = "local"
GLOBAL_SCOPE = "global"


@dataclass(frozen=True, slots=True)
class DriverVolume:
    """A volume as its driver reports it."""

    name: str
    #: Where its data is on the host (``""`` when the driver only knows it once mounted).
    mountpoint: str
    created_at: datetime | None = None
    #: The driver's low-level details (``Status`` of inspect), if any.
    status: dict[str, Any] | None = None
    #: Whether the driver stores the data itself on this host (the local driver without mount options):
    #: only such volumes are sized by ``/system/df`` and removed by prune.
    local_data: bool = False
    options: dict[str, str] = field(default_factory=dict)


class Driver(Protocol):
    """A volume driver: ``local`` or a plugin speaking Docker's VolumeDriver protocol."""

    @property
    def name(self) -> str:
        """The driver's name (``local``, or the plugin's)."""
        ...

    async def scope(self) -> str:
        """``local`` or ``global`` (cluster-wide, from the plugin's capabilities)."""
        ...

    async def create(self, name: str, options: dict[str, str]) -> DriverVolume:
        """Create the volume, or return it when it exists. Raises InvalidVolumeName, InvalidVolumeOption,
        VolumeDriverError."""
        ...

    async def get(self, name: str) -> DriverVolume | None:
        """The volume, or ``None`` when the driver does not have it."""
        ...

    async def list(self) -> list[DriverVolume]:
        """Every volume the driver has. Raises VolumeDriverError, PluginUnavailable."""
        ...

    async def remove(self, name: str) -> None:
        """Delete the volume and its data. Raises VolumeDriverError (``volume has active mounts``...)."""
        ...

    async def mount(self, name: str, ref: str) -> str:
        """Make the volume's data available for the mount ``ref``; its host path. Raises VolumeMountError."""
        ...

    async def unmount(self, name: str, ref: str) -> None:
        """Release the mount ``ref`` (the last one unmounts the data). Raises VolumeMountError."""
        ...
