"""What never changes about a stored image, computed once: when it was made, its labels, top layer and size.

An image ID is the digest of its config, so these facts are fixed for an
ID. The parent link is set once, just after the image is stored (commit,
load): a found parent is kept, an absent one is looked for again with a
single ``stat``. Listing 200 images then costs no file read per image.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from pymoby.image import Image, ImageStore, UnknownImage
from pymoby.layer import LayerStore, UnknownLayer

from ..container import parse_time

__all__ = ["ImageFacts", "ImageFactsCache"]


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """The fixed facts of one image."""

    #: Creation time in nanoseconds (0 when unknown).
    created: int
    labels: dict[str, str]
    #: Whether the image has a ``config`` object (very old images have none).
    has_config: bool
    chain_id: str | None
    #: Size of all its layers.
    size: int


def _created(image: Image) -> int:
    text = image.config.created
    if not text:
        return 0
    try:
        return parse_time(text)
    except ValueError:
        return 0


class ImageFactsCache:
    """Facts and parent links of the images of ``images``; thread-safe."""

    def __init__(self, images: ImageStore, layers: LayerStore) -> None:
        self._images = images
        self._layers = layers
        self._metadata = os.fspath(images.root / "metadata" / "sha256")
        self._facts: dict[str, ImageFacts] = {}
        self._parents: dict[str, str] = {}
        self._lock = threading.Lock()

    def facts(self, image: Image) -> ImageFacts:
        """The facts of ``image`` (computed on first use)."""
        found = self._facts.get(image.id)
        if found is not None:
            return found
        chain = image.chain_id
        try:
            size = self._layers.size(chain) if chain is not None else 0
        except UnknownLayer:
            size = 0
        config = image.config.config
        found = ImageFacts(
            created=_created(image),
            labels=dict(config.labels or {}) if config is not None else {},
            has_config=config is not None,
            chain_id=chain,
            size=size,
        )
        with self._lock:
            self._facts[image.id] = found
        return found

    def parent(self, image_id: str) -> str | None:
        """The recorded parent image ID, or None."""
        known = self._parents.get(image_id)
        if known is not None:
            return known
        try:
            os.stat(f"{self._metadata}/{image_id.removeprefix('sha256:')}/parent")
        except OSError:
            return None
        try:
            parent = self._images.get_parent(image_id)
        except UnknownImage:
            return None
        if parent:
            with self._lock:
                self._parents[image_id] = parent
        return parent

    def links(self, images: list[Image]) -> dict[str, str]:
        """child ID -> parent ID for every image of ``images`` that has a parent."""
        links = {}
        for image in images:
            parent = self.parent(image.id)
            if parent:
                links[image.id] = parent
        return links

    def forget_missing(self, present: set[str]) -> None:
        """Drop what is cached for images no longer stored."""
        with self._lock:
            for key in [k for k in self._facts if k not in present]:
                del self._facts[key]
            for key in [k for k in self._parents if k not in present]:
                del self._parents[key]
