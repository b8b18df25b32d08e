"""What the build router needs from the daemon: small Protocols, one per concern."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from pymoby import api

from ....builder import BuildOptions
from ....distribution import Job

__all__ = ["BuildBackend", "BuildCacheBackend", "ImageBuildBackend"]


class ImageBuildBackend(Protocol):
    """Serves ``POST /build``."""

    def build(self, receive: Callable[[], Awaitable[bytes]], options: BuildOptions) -> Job:
        """Start a build of the context tar read from ``receive``; the job's output is the build's stream."""
        ...


class BuildCacheBackend(Protocol):
    """Serves ``POST /build/prune``."""

    async def prune(self, filters: api.Filters, *, all_cache: bool = False) -> api.BuildCachePruneResponse:
        """Delete the build cache the filters select."""
        ...


class BuildBackend(ImageBuildBackend, BuildCacheBackend, Protocol):
    """Everything the build router uses (:class:`pymoby.daemon.builder.Builder` is one)."""
