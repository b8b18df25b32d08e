"""What the builder needs from the rest of the daemon: two small Protocols.

- :class:`BuildImages`: the image service (its stores, lookups, tagging,
  pulling and deleting). :class:`pymoby.daemon.images.ImageService` is one.
- :class:`BuildContainers`: the container service, to run RUN steps (create,
  attach, start, wait, remove). :class:`pymoby.daemon.lifecycle.ContainerService`
  is one. Without it a RUN step fails with ``NotImplemented``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from pymoby import api
from pymoby.image import Image, ImageStore
from pymoby.layer import LayerStore
from pymoby.reference import Reference
from pymoby.registry import Credentials, Platform

if TYPE_CHECKING:
    import anyio.abc

    from ..container import WaitCondition, WaitResult
    from ..distribution import Job
    from ..lifecycle import AttachOptions, PreparedAttach

__all__ = ["BuildContainers", "BuildImages", "EventLog"]


class EventLog(Protocol):
    """Where the builder's own events go (``builder prune``)."""

    def log(self, event_type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None) -> object:
        """Record an event."""
        ...


class BuildImages(Protocol):
    """The image side of a build."""

    @property
    def layers(self) -> LayerStore:
        """The layer store: read-write layers for COPY, ADD and WORKDIR, and the layers steps make."""
        ...

    @property
    def images(self) -> ImageStore:
        """The image store: one image per step, each with its parent."""
        ...

    @property
    def docker_version(self) -> str:
        """What new images record as ``docker_version``."""
        ...

    def get_image(self, ref_or_id: str) -> Image:
        """A local image by name, tag, digest or ID (prefix); ``NotFound`` when there is none."""
        ...

    def tag_image(self, image_id: str, ref: Reference) -> None:
        """Point a tag at an image (blocking; emits the ``tag`` event)."""
        ...

    def pull(self, ref: Reference, *, platform: Platform | None, credentials: Credentials | None) -> Job:
        """Start pulling an image; the job's output is Docker's progress stream."""
        ...

    def is_dangling(self, image_id: str) -> bool:
        """Whether the image has no tag and no child."""
        ...

    async def delete_image(self, name: str, *, force: bool, prune: bool) -> list[api.ImageDeleteResponseItem]:
        """Delete an image (``Conflict`` while a container uses it)."""
        ...


class BuildContainers(Protocol):
    """The container side of a build: what running a RUN step takes."""

    async def create(
        self, name: str, request: api.ContainerCreateRequest, *, platform: str = ""
    ) -> api.ContainerCreateResponse:
        """Create a container (``name`` empty: a generated one)."""
        ...

    def prepare_attach(self, name: str, options: AttachOptions) -> PreparedAttach:
        """Subscribe to a container's output before it starts."""
        ...

    async def run_attach(self, prepared: PreparedAttach, connection: anyio.abc.ByteStream) -> None:
        """Copy the container's output (stdcopy frames) to ``connection`` until it ends."""
        ...

    async def start(self, name: str) -> None:
        """Start the container."""
        ...

    def wait(self, name: str, condition: WaitCondition) -> Callable[[], Awaitable[WaitResult]]:
        """Register a wait now; the returned function waits for the condition."""
        ...

    async def remove(self, name: str, *, force: bool = False, volumes: bool = False, link: bool = False) -> None:
        """Remove the container (``force`` kills it first)."""
        ...
