"""The image store: image configs addressed by the sha256 of their bytes, as Docker's imagedb keeps them.

::

    imagedb/content/sha256/<hex>              the config, byte for byte as received
    imagedb/metadata/sha256/<hex>/parent      the parent image ID (build and commit lineage)
    imagedb/metadata/sha256/<hex>/lastUpdated RFC 3339 time of the last tag change

Each image holds a reference on its top layer in the layer store for as long
as it exists, so the layers of a stored image are never deleted under it.
Thread-safe.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pymoby.layer import LayerStore, UnknownLayer

from ._config import ImageConfig, config_digest, format_time, parse_config, parse_time
from ._errors import AmbiguousImageID, ImageInUse, InvalidImageConfig, UnknownImage

__all__ = ["Image", "ImageStore"]

_HEX = re.compile(r"[a-f0-9]{1,64}")

#: Tells whether something outside the store (a container) uses an image: a description, or None.
InUseCheck = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Image:
    """A stored image: its ID, its parsed config, and the config bytes the ID is the digest of."""

    id: str
    config: ImageConfig
    raw: bytes

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the ID, as ``docker images`` shows it."""
        return self.id.removeprefix("sha256:")[:12]

    @property
    def chain_id(self) -> str | None:
        """Chain ID of the top layer, None for an image without layers."""
        return self.config.chain_id()


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.rename(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class ImageStore:
    """Images under ``root`` (Docker's ``image/<driver>/imagedb``), their layers in ``layers``.

    ``in_use``, if given, is asked before a delete whether something (a
    container) still uses the image. Images whose config is corrupt or whose
    layers are missing are skipped at load, as Docker does.
    """

    def __init__(self, root: Path, layers: LayerStore, in_use: InUseCheck | None = None) -> None:
        self.root = Path(root)
        self._layers = layers
        self._in_use = in_use
        self._content = self.root / "content" / "sha256"
        self._metadata = self.root / "metadata" / "sha256"
        self._content.mkdir(parents=True, exist_ok=True)
        self._metadata.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._images: dict[str, Image] = {}
        #: child image ID -> parent image ID, as recorded in the metadata (read once, kept in step).
        self._parents: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        for path in self._content.iterdir():
            if path.name.startswith("."):
                path.unlink(missing_ok=True)  # an interrupted write
                continue
            raw = path.read_bytes()
            image_id = config_digest(raw)
            if image_id != "sha256:" + path.name:
                continue
            try:
                config = parse_config(raw)
                top = config.chain_id()
                if top is not None:
                    self._layers.get(top)
            except (InvalidImageConfig, UnknownLayer):
                continue
            self._images[image_id] = Image(image_id, config, raw)
            try:
                parent = (self._metadata / path.name / "parent").read_text().strip()
            except FileNotFoundError:
                parent = ""
            if parent:
                self._parents[image_id] = parent

    @staticmethod
    def _full(image_id: str) -> str:
        return image_id if image_id.startswith("sha256:") else "sha256:" + image_id

    def create(self, raw: bytes) -> Image:
        """Store the config ``raw`` and return the image; storing the same bytes again is a no-op.

        Raises InvalidImageConfig, or UnknownLayer if the layers it names
        are not in the layer store.
        """
        config = parse_config(raw)
        image_id = config_digest(raw)
        with self._lock:
            existing = self._images.get(image_id)
            if existing is not None:
                return existing
            top = config.chain_id()
            if top is not None:
                self._layers.get(top)
            try:
                _atomic_write(self._content / image_id.removeprefix("sha256:"), raw)
            except OSError:
                if top is not None:
                    self._layers.release(top)
                raise
            image = Image(image_id, config, raw)
            self._images[image_id] = image
            return image

    def get(self, image_id: str) -> Image:
        """The image with this full ID (with or without ``sha256:``). Raises UnknownImage."""
        with self._lock:
            image = self._images.get(self._full(image_id))
        if image is None:
            raise UnknownImage(f"No such image: {image_id}")
        return image

    def search(self, term: str) -> Image:
        """The image whose ID is ``term`` or starts with it (``sha256:`` optional).

        Raises UnknownImage when none matches, AmbiguousImageID when several do.
        """
        hex_part = term.removeprefix("sha256:")
        if not _HEX.fullmatch(hex_part):
            raise UnknownImage(f"No such image: {term}")
        with self._lock:
            exact = self._images.get("sha256:" + hex_part)
            if exact is not None:
                return exact
            found = [image for key, image in self._images.items() if key[7:].startswith(hex_part)]
        if not found:
            raise UnknownImage(f"No such image: {term}")
        if len(found) > 1:
            raise AmbiguousImageID(f"ambiguous image ID prefix {term!r}: it matches {len(found)} images")
        return found[0]

    def images(self) -> list[Image]:
        """Every image."""
        with self._lock:
            return list(self._images.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._images)

    def __contains__(self, image_id: object) -> bool:
        with self._lock:
            return isinstance(image_id, str) and self._full(image_id) in self._images

    def set_parent(self, image_id: str, parent_id: str) -> None:
        """Record ``parent_id`` as the parent of ``image_id``. Raises UnknownImage for either."""
        image = self.get(image_id)
        parent = self.get(parent_id)
        directory = self._metadata / image.id.removeprefix("sha256:")
        with self._lock:
            directory.mkdir(exist_ok=True)
            _atomic_write(directory / "parent", parent.id.encode())
            self._parents[image.id] = parent.id

    def get_parent(self, image_id: str) -> str | None:
        """The parent image ID recorded for the image, if any."""
        image = self.get(image_id)
        with self._lock:
            return self._parents.get(image.id)

    def children(self, image_id: str) -> list[str]:
        """IDs of the images whose recorded parent is ``image_id``."""
        image = self.get(image_id)
        with self._lock:
            return [
                child
                for child, parent in self._parents.items()
                if parent == image.id and child != image.id and child in self._images
            ]

    def set_last_updated(self, image_id: str, moment: datetime.datetime | None = None) -> None:
        """Record when the image's tags last changed (now by default)."""
        image = self.get(image_id)
        directory = self._metadata / image.id.removeprefix("sha256:")
        with self._lock:
            directory.mkdir(exist_ok=True)
            value = format_time(moment or datetime.datetime.now(datetime.UTC))
            _atomic_write(directory / "lastUpdated", value.encode())

    def get_last_updated(self, image_id: str) -> datetime.datetime | None:
        """When the image's tags last changed, if recorded."""
        image = self.get(image_id)
        try:
            text = (self._metadata / image.id.removeprefix("sha256:") / "lastUpdated").read_text()
        except FileNotFoundError:
            return None
        return parse_time(text)

    def delete(self, image_id: str) -> None:
        """Delete the image and release its layers (deleting those nothing else holds).

        Raises UnknownImage, and ImageInUse when child images or a user
        reported by ``in_use`` still need it.
        """
        image = self.get(image_id)
        children = self.children(image.id)
        if children:
            raise ImageInUse(
                f"conflict: unable to delete {image.short_id} (cannot be forced) - image has dependent child images"
            )
        if self._in_use is not None:
            user = self._in_use(image.id)
            if user:
                raise ImageInUse(
                    f"conflict: unable to delete {image.short_id} (must be forced) - image is being used by {user}"
                )
        with self._lock:
            if self._images.pop(image.id, None) is None:
                raise UnknownImage(f"No such image: {image_id}")
            self._parents.pop(image.id, None)
            hex_id = image.id.removeprefix("sha256:")
            (self._content / hex_id).unlink(missing_ok=True)
            shutil.rmtree(self._metadata / hex_id, ignore_errors=True)
        top = image.chain_id
        if top is not None:
            self._layers.release(top)
