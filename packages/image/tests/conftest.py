"""Fixtures for the image tests: layer, image and reference stores on a temporary data root (vfs driver)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pymoby.image import ImageStore
from pymoby.layer import LayerStore
from pymoby.reference import ReferenceStore


@dataclass
class Stores:
    """The three stores the image package works with."""

    layers: LayerStore
    images: ImageStore
    references: ReferenceStore
    root: Path

    def reopen_images(self) -> ImageStore:
        """A second image store on the same directory (as after a daemon restart)."""
        return ImageStore(self.root / "image" / "vfs" / "imagedb", self.layers)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    """Fresh stores; the layer store is closed afterwards."""
    layers = LayerStore(tmp_path / "data", "vfs")
    try:
        yield Stores(
            layers,
            ImageStore(tmp_path / "data" / "image" / "vfs" / "imagedb", layers),
            ReferenceStore(tmp_path / "data" / "image" / "vfs" / "repositories.json"),
            tmp_path / "data",
        )
    finally:
        layers.close()
