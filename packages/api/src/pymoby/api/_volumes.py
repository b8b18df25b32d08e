"""Wire types of the ``/volumes`` endpoints and of ``/containers/{id}/archive`` (Engine API v1.45).

Field names follow Docker's Go types (``api/types/volume``): ``Labels`` and
``Options`` encode as ``null`` when Go would keep a nil map; ``Status``,
``UsageData`` and ``ClusterVolume`` are ``omitempty`` (``msgspec.UNSET``).
The archive stat (``X-Docker-Container-Path-Stat``) uses lower-case keys and
Go's ``os.FileMode`` bits, as Docker's ``PathStat`` does.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType, field

__all__ = [
    "ContainerPathStat",
    "Volume",
    "VolumeCreateRequest",
    "VolumeListResponse",
    "VolumeUsageData",
    "VolumesPruneResponse",
]


class VolumeUsageData(msgspec.Struct, rename="pascal"):
    """``UsageData`` of a volume (``/system/df`` only): bytes used and how many containers use it; -1 unknown."""

    size: int = -1
    ref_count: int = -1


class Volume(msgspec.Struct, rename="pascal"):
    """A volume as inspect, list and create answer it."""

    name: str
    driver: str
    mountpoint: str
    created_at: str | UnsetType = UNSET
    status: dict[str, Any] | UnsetType = UNSET
    labels: dict[str, str] | None = None
    scope: str = "local"
    options: dict[str, str] | None = None
    usage_data: VolumeUsageData | UnsetType = UNSET


class VolumeCreateRequest(msgspec.Struct, rename="pascal"):
    """The body of ``POST /volumes/create`` (``ClusterVolumeSpec`` is accepted and ignored: no swarm)."""

    name: str = ""
    driver: str = ""
    driver_opts: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    cluster_volume_spec: dict[str, Any] | None = None


class VolumeListResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /volumes``."""

    volumes: list[Volume] = field(default_factory=list)
    warnings: list[str] | None = None


class VolumesPruneResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /volumes/prune``."""

    volumes_deleted: list[str] = field(default_factory=list)
    space_reclaimed: int = 0


class ContainerPathStat(msgspec.Struct):
    """What ``X-Docker-Container-Path-Stat`` carries (base64 of this JSON).

    ``mode`` holds Go's ``os.FileMode`` bits (``1<<31`` directory, ``1<<27``
    symlink, ...), not a Unix ``st_mode``; ``mtime`` is RFC 3339 with
    nanoseconds; ``linkTarget`` is the fully resolved path of a symlink,
    inside the container.
    """

    name: str
    size: int
    mode: int
    mtime: str
    link_target: str = field(default="", name="linkTarget")
