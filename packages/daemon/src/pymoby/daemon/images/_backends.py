"""What the image service needs from the rest of the daemon: small Protocols the container side implements.

- :class:`ContainerUsage`: which containers use an image (``rmi``'s 409s,
  ``Containers`` in ``docker images``, prune).
- :class:`ContainerCommitter`: a container to commit, and pausing it
  during the commit.

Both are optional: without them no image is in use, and ``/commit``
answers ``NotImplemented``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pymoby import api

__all__ = ["CommitSource", "ContainerCommitter", "ContainerUsage", "ImageUser"]


@dataclass(frozen=True, slots=True)
class ImageUser:
    """A container that uses an image (its ``ImageID``)."""

    container_id: str
    running: bool


class ContainerUsage(Protocol):
    """Which containers use which images."""

    def containers_using(self, image_id: str) -> list[ImageUser]:
        """The containers created from ``image_id`` (``sha256:...``), running or not."""
        ...


@dataclass(frozen=True, slots=True)
class CommitSource:
    """A container about to be committed, as the container side describes it."""

    #: Full container ID; its read-write layer in the layer store has this name.
    id: str
    #: Its name without the leading slash (for the ``commit`` event).
    name: str
    #: The image it was created from (``sha256:...``; empty for ``scratch``).
    image_id: str
    #: The image as the user gave it (``busybox``), for the event.
    image: str
    #: The container's config (what ``docker inspect`` shows as ``Config``).
    config: api.ContainerConfig
    paused: bool = False
    os: str = "linux"


class ContainerCommitter(Protocol):
    """Looks a container up for ``POST /commit`` and pauses it while its layer is read."""

    async def commit_source(self, name: str) -> CommitSource:
        """The container ``name`` (name, ID or prefix).

        Raises ``NotFound`` (``No such container: NAME``) and ``Conflict``
        for a dead container or one being removed, in Docker's words.
        """
        ...

    async def pause(self, container_id: str) -> None:
        """Freeze the container's processes."""
        ...

    async def unpause(self, container_id: str) -> None:
        """Thaw them."""
        ...

    def log_commit(self, container_id: str, attributes: dict[str, str]) -> None:
        """Emit the container ``commit`` event (with the container's own attributes added)."""
        ...
