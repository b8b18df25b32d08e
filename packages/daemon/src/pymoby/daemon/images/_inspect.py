"""``GET /images/{name}/json`` and ``GET /images/{name}/history``, in Docker's shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import UNSET

from pymoby import api, errdefs
from pymoby.image import ContainerConfig, Image
from pymoby.layer import chain_ids
from pymoby.reference import familiar_string

from ..container import ZERO_TIME, format_time, parse_time

if TYPE_CHECKING:
    from ._service import ImageService

__all__ = ["image_config_to_api", "image_history", "inspect_image"]


def image_config_to_api(config: ContainerConfig | None) -> api.ContainerConfig | None:
    """An image's runtime defaults as the ``Config`` of an inspect (Docker's ``container.Config`` shape)."""
    if config is None:
        return None
    return api.decode(api.encode(config), api.ContainerConfig)


def _rfc3339nano(text: str | None) -> str:
    """A stored time re-rendered as Go's ``RFC3339Nano`` (trailing zeros of the fraction dropped)."""
    if not text:
        return ""
    try:
        ns = parse_time(text)
    except ValueError:
        return text
    return format_time(ns) if ns else text


def inspect_image(service: ImageService, name: str, api_version: tuple[int, int] = (1, 45)) -> api.ImageInspect:
    """What ``docker image inspect NAME`` shows (blocking). Raises ``NotFound``.

    ``api_version`` adds the fields older clients expect: ``VirtualSize``
    before 1.44, ``Container`` and ``ContainerConfig`` before 1.45.
    """
    image = service.get_image(name)
    config = image.config
    tags, digests = service.repo_tags(image.id)
    comment = config.comment
    if not comment and config.history:
        comment = config.history[-1].comment
    size = service.layers.size(image.chain_id) if image.chain_id else 0
    last = service.images.get_last_updated(image.id)
    inspect = api.ImageInspect(
        id=image.id,
        repo_tags=tags,
        repo_digests=digests,
        parent=service.images.get_parent(image.id) or "",
        comment=comment,
        created=_rfc3339nano(config.created),
        docker_version=config.docker_version,
        author=config.author,
        config=image_config_to_api(config.config),
        architecture=config.architecture,
        os=config.os or "linux",
        size=size,
        graph_driver=service.image_graph_driver(image),
        root_fs=api.ImageRootFS(type=config.rootfs.type, layers=list(config.rootfs.diff_ids) or UNSET),
        metadata=api.ImageMetadata(
            last_tag_time=format_time(int(last.timestamp() * 1_000_000) * 1000) if last is not None else ZERO_TIME
        ),
    )
    if config.variant:
        inspect.variant = config.variant
    if config.os_version:
        inspect.os_version = config.os_version
    if api_version < (1, 44):
        inspect.virtual_size = size
        if not inspect.created:
            inspect.created = ZERO_TIME
    if api_version < (1, 45):
        inspect.container = config.container
        inspect.container_config = image_config_to_api(config.container_config) or api.ContainerConfig()
    return inspect


def image_history(service: ImageService, name: str) -> list[api.ImageHistoryItem]:
    """``docker history NAME``: newest step first; steps of the parent images get their IDs and tags.

    Raises ``NotFound``, and ``System`` for an image whose history names more layers than it has.
    """
    image: Image | None = service.get_image(name)
    assert image is not None
    diff_ids = image.config.rootfs.diff_ids
    chains = chain_ids(diff_ids)
    steps: list[api.ImageHistoryItem] = []
    layer_index = 0
    for entry in image.config.history:
        size = 0
        if not entry.empty_layer:
            if layer_index >= len(chains):
                raise errdefs.System("too many non-empty layers in History section")
            size = service.layers.lookup(chains[layer_index]).diff_size
            layer_index += 1
        created = 0
        if entry.created:
            try:
                created = parse_time(entry.created) // 1_000_000_000
            except ValueError:
                created = 0
        steps.insert(
            0,
            api.ImageHistoryItem(
                id="<missing>", created=created, created_by=entry.created_by, size=size, comment=entry.comment
            ),
        )
    current: Image | None = image
    for step in steps:
        if current is None:
            break
        step.id = current.id
        tags = [familiar_string(r) for r in service.references.references(current.id) if r.digest is None]
        step.tags = tags or None
        parent = service.images.get_parent(current.id)
        current = service.find_image(parent) if parent else None
    return steps
