"""Wire types of the ``/images``, ``/commit`` and ``/distribution`` endpoints (Engine API v1.45).

Field names and the ``null``/omitted conventions follow Docker's Go types: a
field Go tags ``omitempty`` defaults to ``msgspec.UNSET``; fields only older
API versions carry (``VirtualSize`` before 1.44, ``Container`` and
``ContainerConfig`` before 1.45) are ``UNSET`` unless the daemon fills them
for such a client.

Pull, push, load and import answer with a stream of :class:`JSONMessage`
objects, one per line, as the docker CLI draws them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType, field

from ._containers import ContainerConfig, GraphDriverData

__all__ = [
    "DistributionInspect",
    "ImageDeleteResponseItem",
    "ImageHistoryItem",
    "ImageInspect",
    "ImageMetadata",
    "ImageRootFS",
    "ImageSearchResult",
    "ImageSummary",
    "ImagesPruneResponse",
    "JSONError",
    "JSONMessage",
    "OCIDescriptor",
    "OCIPlatform",
    "ProgressDetail",
    "PushResult",
]


class ImageSummary(msgspec.Struct, rename="pascal"):
    """One entry of ``GET /images/json``."""

    id: str = field(name="Id")
    parent_id: str = field(default="", name="ParentId")
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    #: Unix seconds.
    created: int = 0
    size: int = 0
    #: -1 unless ``shared-size`` was asked for.
    shared_size: int = -1
    labels: dict[str, str] | None = None
    #: How many containers use the image.
    containers: int = -1
    virtual_size: int | UnsetType = UNSET


class ImageRootFS(msgspec.Struct, rename="pascal"):
    """``RootFS`` of an image inspect: the layers' diff IDs, bottom first."""

    type: str = "layers"
    layers: list[str] | UnsetType = UNSET


class ImageMetadata(msgspec.Struct, rename="pascal"):
    """``Metadata`` of an image inspect: when a tag last moved (Go's zero time when never)."""

    last_tag_time: str = "0001-01-01T00:00:00Z"


class ImageInspect(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /images/{name}/json``."""

    id: str = field(name="Id")
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    parent: str = ""
    comment: str = ""
    created: str = ""
    container: str | UnsetType = UNSET
    container_config: ContainerConfig | UnsetType | None = UNSET
    docker_version: str = ""
    author: str = ""
    config: ContainerConfig | None = None
    architecture: str = ""
    variant: str | UnsetType = UNSET
    os: str = ""
    os_version: str | UnsetType = UNSET
    size: int = 0
    virtual_size: int | UnsetType = UNSET
    graph_driver: GraphDriverData | None = None
    root_fs: ImageRootFS = field(default_factory=ImageRootFS, name="RootFS")
    metadata: ImageMetadata = field(default_factory=ImageMetadata)


class ImageHistoryItem(msgspec.Struct, rename="pascal"):
    """One step of ``GET /images/{name}/history``, newest first (``<missing>`` for steps of no stored image)."""

    id: str = field(name="Id")
    #: Unix seconds.
    created: int = 0
    created_by: str = ""
    tags: list[str] | None = None
    size: int = 0
    comment: str = ""


class ImageDeleteResponseItem(msgspec.Struct, rename="pascal", omit_defaults=True):
    """One line of ``DELETE /images/{name}``: a reference ``Untagged`` or an image or layer ``Deleted``."""

    untagged: str = ""
    deleted: str = ""


class ImagesPruneResponse(msgspec.Struct, rename="pascal"):
    """The answer of ``POST /images/prune``."""

    images_deleted: list[ImageDeleteResponseItem] | None = None
    space_reclaimed: int = 0


class OCIPlatform(msgspec.Struct, omit_defaults=True):
    """An OCI platform (``architecture``, ``os``, ...) as ``GET /distribution`` lists them."""

    architecture: str = ""
    os: str = ""
    os_version: str = field(default="", name="os.version")
    os_features: list[str] | None = field(default=None, name="os.features")
    variant: str = ""


class OCIDescriptor(msgspec.Struct, omit_defaults=True):
    """An OCI content descriptor."""

    media_type: str = field(default="", name="mediaType")
    digest: str = ""
    size: int = 0
    urls: list[str] | None = None
    annotations: dict[str, str] | None = None
    platform: OCIPlatform | None = None


class DistributionInspect(msgspec.Struct, rename="pascal"):
    """The answer of ``GET /distribution/{name}/json``: the manifest's descriptor and its platforms."""

    descriptor: OCIDescriptor
    platforms: list[OCIPlatform] | None = None


class ImageSearchResult(msgspec.Struct):
    """One result of ``GET /images/search`` (Docker spells these keys in snake case)."""

    name: str
    description: str = ""
    is_official: bool = False
    is_automated: bool = False
    star_count: int = 0


class ProgressDetail(msgspec.Struct, omit_defaults=True):
    """``progressDetail`` of a progress message: bytes done and total (both left out when zero)."""

    current: int = 0
    total: int = 0


class JSONError(msgspec.Struct, omit_defaults=True):
    """``errorDetail`` of a progress stream's final error (Docker's ``jsonmessage.JSONError``)."""

    code: int = 0
    message: str = ""


class JSONMessage(msgspec.Struct, omit_defaults=True):
    """One line of a pull, push, load or import stream (Docker's ``jsonmessage.JSONMessage``).

    A status line (``{"status": "Pulling from library/busybox", "id": "latest"}``),
    a progress line with ``progressDetail`` and its rendering in ``progress``,
    an ``aux`` object (the pushed digest, a loaded image ID), a ``stream``
    of text (load), or an error (``errorDetail`` and ``error``), which ends the stream.
    """

    stream: str = ""
    status: str = ""
    progress_detail: ProgressDetail | UnsetType = field(default=UNSET, name="progressDetail")
    progress: str = ""
    id: str = ""
    error_detail: JSONError | UnsetType = field(default=UNSET, name="errorDetail")
    error: str = ""
    aux: Any | UnsetType = UNSET


class PushResult(msgspec.Struct, rename="pascal"):
    """``aux`` of the push stream's last line: the tag pushed and its manifest digest and size."""

    tag: str
    digest: str
    size: int
