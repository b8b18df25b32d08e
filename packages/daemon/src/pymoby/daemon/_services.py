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
from typing import TYPE_CHECKING, Protocol

from pymoby import api

if TYPE_CHECKING:
    from .config import DaemonConfig

__all__ = ["ContainerCounter", "ContainerdFactory", "ContainerdService", "Components", "ImageCounter", "RegistryLogin"]


class ContainerdService(Protocol):
    """The containerd the daemon runs on."""

    @property
    def address(self) -> str:
        """Path of containerd's gRPC socket."""
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


@dataclass(frozen=True, slots=True)
class Components:
    """The concrete parts chosen by the composition root; each is optional for tests."""

    containerd: ContainerdFactory | None = None
    registry_login: Callable[[DaemonConfig], RegistryLogin] | None = None
