"""Wire types of ``POST /build`` and ``POST /build/prune``.

The build streams ``JSONMessage`` lines (see ``_images``); the image a
stage produced comes as ``{"aux": {"ID": "sha256:..."}}`` (:class:`BuildResult`).
"""

from __future__ import annotations

import msgspec

__all__ = ["BuildCachePruneResponse", "BuildResult"]


class BuildResult(msgspec.Struct, rename="pascal"):
    """``aux`` of a build stream: the image built (Docker's ``types.BuildResult``)."""

    id: str = msgspec.field(name="ID")


class BuildCachePruneResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /build/prune``: what was deleted, and the bytes freed."""

    caches_deleted: list[str] = msgspec.field(default_factory=list)
    space_reclaimed: int = 0
