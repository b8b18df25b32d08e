"""What the volume router and the archive routes need: small Protocols, one per concern."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from pymoby import api

from ....archive import ArchiveTarget

__all__ = [
    "ArchiveBackend",
    "VolumeBackend",
    "VolumeCreateBackend",
    "VolumeInspectBackend",
    "VolumeListBackend",
    "VolumePruneBackend",
    "VolumeRemoveBackend",
]


class VolumeCreateBackend(Protocol):
    """Serves ``POST /volumes/create``."""

    async def create(
        self,
        name: str = "",
        driver: str = "",
        *,
        options: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        reference: str | None = None,
    ) -> api.Volume:
        """Create (or return the existing) volume."""
        ...


class VolumeInspectBackend(Protocol):
    """Serves ``GET /volumes/{name}``."""

    async def inspect(self, name: str) -> api.Volume:
        """The volume; errdefs.NotFound when there is none."""
        ...


class VolumeListBackend(Protocol):
    """Serves ``GET /volumes``."""

    async def list(self, filters: api.Filters | None = None) -> tuple[list[api.Volume], list[str]]:
        """The volumes passing ``filters``, and warnings."""
        ...


class VolumeRemoveBackend(Protocol):
    """Serves ``DELETE /volumes/{name}``."""

    async def remove(self, name: str, *, force: bool = False) -> None:
        """Remove the volume; errdefs.Conflict while containers use it."""
        ...


class VolumePruneBackend(Protocol):
    """Serves ``POST /volumes/prune``."""

    async def prune(self, filters: api.Filters | None = None) -> api.VolumesPruneResponse:
        """Remove unused volumes."""
        ...


class VolumeBackend(
    VolumeCreateBackend, VolumeInspectBackend, VolumeListBackend, VolumeRemoveBackend, VolumePruneBackend, Protocol
):
    """Everything the volume router uses (``VolumeService`` implements it)."""


class ArchiveBackend(Protocol):
    """What ``GET/HEAD/PUT /containers/{id}/archive`` need from the container service."""

    def container_filesystem(self, name: str) -> AbstractAsyncContextManager[ArchiveTarget]:
        """The container ``name`` (ID, name or prefix), running or stopped, with its root file system
        mounted and its volumes mounted for the duration; errdefs.NotFound (``No such container: x``)."""
        ...

    def log_container_event(self, container_id: str, action: str) -> None:
        """Emit a container event (``archive-path``, ``extract-to-dir``)."""
        ...
