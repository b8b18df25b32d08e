"""The seams through which the composition root hands the daemon its parts.

The daemon depends on these Protocols only; ``pymoby.cmd`` chooses the
implementations (libcontainerd's supervisor and client, and, as they land,
the image store, the container store, the registry client). A test wires
fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pymoby import api

if TYPE_CHECKING:
    from pymoby.libcontainerd import Client

    from .config import DaemonConfig
    from .images import ImageService

__all__ = [
    "Components",
    "ContainerCounter",
    "ContainerdFactory",
    "ContainerdService",
    "ImageCounter",
    "ImageServiceFactory",
    "RegistryLogin",
]


class ContainerdService(Protocol):
    """The containerd the daemon runs on."""

    @property
    def address(self) -> str:
        """Path of containerd's gRPC socket."""
        ...

    @property
    def client(self) -> Client:
        """The gRPC client in the daemon's containerd namespace (one channel, reused)."""
        ...

    async def version(self) -> tuple[str, str]:
        """containerd's (version, revision); an errdefs ``Unavailable`` while it is down."""
        ...


class ContainerCounter(Protocol):
    """Counts for ``/info`` (the container store, when it lands)."""

    def container_counts(self) -> tuple[int, int, int]:
        """(running, paused, stopped)."""
        ...


class ImageCounter(Protocol):
    """Counts for ``/info`` (the image store, when it lands)."""

    def image_count(self) -> int:
        """How many images are stored."""
        ...


class RegistryLogin(Protocol):
    """Checks credentials against a registry (``POST /auth``)."""

    async def login(self, config: api.AuthConfig) -> api.AuthResponse:
        """``Unauthorized`` when the registry refuses them."""
        ...


ContainerdFactory = Callable[["DaemonConfig"], AbstractAsyncContextManager[ContainerdService]]
#: Opens the image service (layer, image and reference stores) under a data root with a graph driver.
ImageServiceFactory = Callable[[Path, str], "ImageService"]


@dataclass(frozen=True, slots=True)
class Components:
    """The concrete parts chosen by the composition root; each is optional for tests."""

    containerd: ContainerdFactory | None = None
    registry_login: Callable[[DaemonConfig], RegistryLogin] | None = None
    images: ImageServiceFactory | None = None
