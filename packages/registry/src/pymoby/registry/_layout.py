"""OCI image layouts on disk: ``oci-layout``, ``index.json``, ``blobs/ALG/HEX``.

The format of the OCI image spec (image-layout.md), as ``skopeo copy ...
oci:DIR`` writes it; entries of ``index.json`` are named by the
``org.opencontainers.image.ref.name`` annotation.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pymoby import errdefs
from pymoby.reference import Digest

from ._manifest import OCI_INDEX, Descriptor

__all__ = ["REF_NAME", "OCILayout"]

REF_NAME = "org.opencontainers.image.ref.name"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    done = False
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
        done = True
    finally:
        if not done:
            os.unlink(tmp)


class OCILayout:
    """An OCI image layout directory. ``OCILayout(root)`` opens one; :meth:`create` makes one."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not (self.root / "oci-layout").exists():
            raise errdefs.NotFound(f"{self.root} is not an OCI image layout (no oci-layout file)")

    @classmethod
    def create(cls, root: Path) -> OCILayout:
        """Open ``root``, making an empty layout there first when it has none."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "oci-layout").exists():
            _write_atomic(root / "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        if not (root / "index.json").exists():
            _write_atomic(root / "index.json", json.dumps({"schemaVersion": 2, "manifests": []}).encode())
        (root / "blobs").mkdir(exist_ok=True)
        return cls(root)

    def blob_path(self, digest: str) -> Path:
        """Where the blob ``digest`` lives; raises the reference package's digest errors."""
        parsed = Digest.parse(digest)
        return self.root / "blobs" / parsed.algorithm / parsed.hex

    def has_blob(self, descriptor: Descriptor) -> bool:
        """Whether the layout has the blob, with the descriptor's size."""
        path = self.blob_path(descriptor.digest)
        return path.exists() and (descriptor.size < 0 or path.stat().st_size == descriptor.size)

    def write_blob(self, data: bytes, media_type: str = "application/octet-stream") -> Descriptor:
        """Store ``data`` and return its descriptor."""
        digest = str(Digest.from_bytes(data))
        path = self.blob_path(digest)
        if not path.exists():
            _write_atomic(path, data)
        return Descriptor(media_type, digest, len(data))

    def read_blob(self, digest: str) -> bytes:
        """The content of a blob; raises ``errdefs.NotFound`` when missing."""
        try:
            return self.blob_path(digest).read_bytes()
        except FileNotFoundError as exc:
            raise errdefs.NotFound(f"blob {digest} not found in {self.root}") from exc

    def index(self) -> dict[str, Any]:
        """The parsed ``index.json``."""
        data: Any = json.loads((self.root / "index.json").read_text())
        return data if isinstance(data, dict) else {}

    def manifests(self) -> list[Descriptor]:
        """The entries of ``index.json``."""
        return [Descriptor.from_json(m) for m in self.index().get("manifests") or ()]

    def add(self, descriptor: Descriptor, name: str = "") -> None:
        """Record ``descriptor`` in ``index.json`` (named ``name``, replacing an entry of that name)."""
        index = self.index()
        index.setdefault("schemaVersion", 2)
        index["mediaType"] = OCI_INDEX
        annotations = dict(descriptor.annotations)
        if name:
            annotations[REF_NAME] = name
        entry = Descriptor(descriptor.media_type, descriptor.digest, descriptor.size, descriptor.platform, annotations)
        kept = [
            m
            for m in index.get("manifests") or ()
            if not (
                (name and (m.get("annotations") or {}).get(REF_NAME) == name)
                or (not name and m.get("digest") == descriptor.digest)
            )
        ]
        kept.append(entry.to_json())
        index["manifests"] = kept
        _write_atomic(self.root / "index.json", json.dumps(index, indent=None, separators=(",", ":")).encode())

    def find(self, name: str = "") -> Descriptor:
        """The entry named ``name`` (or the only entry when ``name`` is empty).

        Raises ``errdefs.NotFound`` when there is no such entry, and
        ``errdefs.InvalidParameter`` when ``name`` is empty and there are several.
        """
        entries = self.manifests()
        if name:
            for entry in entries:
                if entry.annotations.get(REF_NAME) == name:
                    return entry
            raise errdefs.NotFound(f"no image named {name!r} in {self.root}")
        if len(entries) == 1:
            return entries[0]
        if not entries:
            raise errdefs.NotFound(f"no image in {self.root}")
        raise errdefs.InvalidParameter(f"{self.root} holds {len(entries)} images: name the one to push")
