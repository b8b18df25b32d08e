"""The classic build cache: a step is skipped when an image already records it (dockerd's ``LocalImageCache``).

A step's key is its parent image and its record (:mod:`._runconfig`): the
run configuration with the step's command, which names the instruction, and
for COPY and ADD the content hashes of the sources. The cache looks among
the parent's children (for ``scratch``, the images without a parent) for one
whose ``container_config`` matches (:func:`same_config`), the newest if
several do. After the first miss of a stage nothing more is looked up until
the next stage, as everything after a changed step must run again.
"""

from __future__ import annotations

from pymoby.image import ContainerConfig, Image, ImageStore, InvalidImageConfig, UnknownImage, parse_time

from ._runconfig import same_config

__all__ = ["ImageCache", "children_index", "find_cached"]


def _created(image: Image) -> float:
    try:
        return parse_time(image.config.created or "").timestamp()
    except InvalidImageConfig:  # an unreadable time sorts first
        return 0.0


def children_index(images: ImageStore) -> dict[str, list[str]]:
    """Every image's children, by parent ID (``""``: the images without a parent). One pass over the store."""
    index: dict[str, list[str]] = {}
    for image in images.images():
        try:
            parent = images.get_parent(image.id) or ""
        except UnknownImage:  # deleted meanwhile
            continue
        index.setdefault(parent, []).append(image.id)
    return index


def find_cached(
    images: ImageStore, parent_id: str, record: ContainerConfig, index: dict[str, list[str]] | None = None
) -> str | None:
    """The newest child of ``parent_id`` (``""``: scratch) whose step record matches ``record``, if any."""
    if index is None:
        index = children_index(images)
    best: Image | None = None
    for child in index.get(parent_id, ()):
        try:
            image = images.get(child)
        except UnknownImage:  # a child deleted meanwhile is no match
            continue
        if same_config(image.config.container_config, record) and (best is None or _created(image) >= _created(best)):
            best = image
    return best.id if best is not None else None


class ImageCache:
    """The cache of one build (``disabled`` with ``--no-cache``)."""

    def __init__(self, images: ImageStore, *, disabled: bool = False) -> None:
        self._images = images
        self._disabled = disabled
        self._busted = False
        self._index: dict[str, list[str]] | None = None

    def reset(self) -> None:
        """A new stage: look up again."""
        self._busted = False

    def probe(self, parent_id: str, record: ContainerConfig) -> str | None:
        """The cached image of this step, or None (and no more lookups until :meth:`reset`). Blocking.

        The parent links are read once per build (then kept up to date by :meth:`add`).
        """
        if self._disabled or self._busted:
            return None
        if self._index is None:
            self._index = children_index(self._images)
        found = find_cached(self._images, parent_id, record, self._index)
        if found is None:
            self._busted = True
        return found

    def add(self, parent_id: str, image_id: str) -> None:
        """An image this build made: a later stage may find it."""
        if self._index is not None:
            self._index.setdefault(parent_id, []).append(image_id)
