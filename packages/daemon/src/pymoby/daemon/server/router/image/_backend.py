"""What the image router needs from the daemon: small Protocols, one per concern (moby's split)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from pymoby import api
from pymoby.reference import Reference
from pymoby.registry import Credentials, Platform

from ....distribution import Job
from ..distribution import DistributionBackend

__all__ = [
    "CommitBackend",
    "ImageArchiveBackend",
    "ImageBackend",
    "ImageDeleteBackend",
    "ImageInspectBackend",
    "ImageListBackend",
    "ImageSearchBackend",
    "ImageTagBackend",
    "ImageTransferBackend",
]

Receive = Callable[[], Awaitable[bytes]]


class ImageListBackend(Protocol):
    """Serves ``GET /images/json``."""

    async def list_images(
        self, filters: api.Filters, *, all_images: bool = False, shared_size: bool = False
    ) -> list[api.ImageSummary]:
        """The images, newest first; ``InvalidParameter`` for bad filters."""
        ...


class ImageInspectBackend(Protocol):
    """Serves ``GET /images/{name}/json`` and ``/history``."""

    async def inspect_image(self, name: str, api_version: tuple[int, int] = (1, 45)) -> api.ImageInspect:
        """One image; ``NotFound`` when there is none."""
        ...

    async def image_history(self, name: str) -> list[api.ImageHistoryItem]:
        """Its history, newest first."""
        ...


class ImageTagBackend(Protocol):
    """Serves ``POST /images/{name}/tag``."""

    async def tag(self, name: str, ref: Reference) -> None:
        """Point ``ref`` at the image ``name``."""
        ...


class ImageDeleteBackend(Protocol):
    """Serves ``DELETE /images/{name}`` and ``POST /images/prune``."""

    async def delete_image(self, name: str, *, force: bool, prune: bool) -> list[api.ImageDeleteResponseItem]:
        """Untag or delete; ``Conflict`` in Docker's words."""
        ...

    async def prune_images(self, filters: api.Filters) -> api.ImagesPruneResponse:
        """Remove unused images."""
        ...


class ImageTransferBackend(Protocol):
    """Serves pulls (``POST /images/create?fromImage=``) and pushes."""

    def pull(self, ref: Reference, *, platform: Platform | None, credentials: Credentials | None) -> Job:
        """Start a pull; its job's output is the progress stream."""
        ...

    def push(self, ref: Reference, *, credentials: Credentials | None) -> Job:
        """Start a push."""
        ...


class ImageArchiveBackend(Protocol):
    """Serves ``/images/get``, ``/images/load`` and imports (``POST /images/create?fromSrc=``)."""

    async def save(self, names: list[str]) -> Job:
        """Start writing an archive (raw bytes); name errors are raised before."""
        ...

    def load(self, receive: Receive, *, quiet: bool) -> Job:
        """Start loading an archive read from ``receive``."""
        ...

    def import_image(
        self,
        receive: Receive,
        *,
        source: str,
        ref: Reference | None,
        message: str,
        changes: list[str],
        platform: Platform | None,
    ) -> Job:
        """Start importing a root file system tar."""
        ...


class CommitBackend(Protocol):
    """Serves ``POST /commit``."""

    async def commit(
        self,
        container: str,
        *,
        ref: Reference | None,
        author: str,
        comment: str,
        pause: bool,
        changes: list[str],
        config: api.ContainerConfig | None,
    ) -> str:
        """Commit a container; the new image's ID."""
        ...


class ImageSearchBackend(Protocol):
    """Serves ``GET /images/search``."""

    async def search(
        self, term: str, *, limit: int, filters: api.Filters, credentials: Credentials | None
    ) -> list[api.ImageSearchResult]:
        """Search a registry's index; a clear error when the registry has no search."""
        ...


class ImageBackend(
    ImageListBackend,
    ImageInspectBackend,
    ImageTagBackend,
    ImageDeleteBackend,
    ImageTransferBackend,
    ImageArchiveBackend,
    CommitBackend,
    ImageSearchBackend,
    DistributionBackend,
    Protocol,
):
    """Everything the image router uses."""
