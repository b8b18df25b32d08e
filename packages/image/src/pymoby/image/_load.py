"""``docker load``: a docker-archive (``manifest.json``) or an OCI layout archive into the stores.

The archive is unpacked into a scratch directory first (the files it needs
may come in any order), with the same safe extractor the layer store uses,
so a hostile archive cannot write outside it. Then, per image: each layer is
registered on its parent chain unless the chain is already there, checked
against the config's diff IDs; the config is stored; the tags are set.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pymoby.layer import DiffIDMismatch, LayerStore, WhiteoutFormat, apply_tar, chain_id
from pymoby.reference import Reference, ReferenceStore, familiar_string, parse_normalized_named

from ._config import parse_config
from ._errors import InvalidArchive, UnsupportedArchive
from ._store import Image, ImageStore

__all__ = ["LoadedImage", "load"]

_MANIFEST_TYPES = {"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}
_INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """An image that was loaded, with the tags now pointing at it."""

    image: Image
    tags: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """What ``docker load`` prints for it: ``Loaded image: busybox:latest`` or ``Loaded image ID: sha256:...``."""
        if self.tags:
            return [f"Loaded image: {tag}" for tag in self.tags]
        return [f"Loaded image ID: {self.image.id}"]


def _read_json(root: Path, rel: str) -> Any:
    try:
        with _open_inside(root, rel) as file:
            return json.loads(file.read())
    except (OSError, ValueError) as exc:
        raise InvalidArchive(f"invalid archive: cannot read {rel}: {exc}") from exc


def _open_inside(root: Path, rel: str) -> IO[bytes]:
    """Open ``rel`` under ``root``, refusing paths that climb out or go through symlinks."""
    clean = os.path.normpath(rel)
    if clean.startswith(("/", "..")):
        raise InvalidArchive(f"invalid archive: {rel!r} points outside of it")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in clean.split("/")[:-1]:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
        leaf = os.open(clean.rsplit("/", 1)[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        raise InvalidArchive(f"invalid archive: {rel}: {exc.strerror}") from exc
    finally:
        os.close(fd)
    return os.fdopen(leaf, "rb")


def _blob_path(digest: str) -> str:
    algorithm, _, hex_part = digest.partition(":")
    return f"blobs/{algorithm}/{hex_part}"


def _load_one(
    root: Path,
    images: ImageStore,
    layers: LayerStore,
    config_path: str,
    layer_paths: list[str],
) -> Image:
    with _open_inside(root, config_path) as file:
        raw = file.read()
    config = parse_config(raw)
    diff_ids = config.rootfs.diff_ids
    if len(layer_paths) != len(diff_ids):
        raise InvalidArchive(
            f"invalid manifest, layers length mismatch: expected {len(diff_ids)}, got {len(layer_paths)}"
        )
    held: list[str] = []
    parent: str | None = None
    try:
        for diff_id, path in zip(diff_ids, layer_paths, strict=True):
            chain = chain_id(parent, diff_id)
            if layers.has(chain):
                layers.get(chain)
            else:
                with _open_inside(root, path) as stream:
                    try:
                        layers.register(stream, parent, expected_diff_id=diff_id)
                    except DiffIDMismatch as exc:
                        raise InvalidArchive(f"invalid archive: layer {path}: {exc}") from exc
            held.append(chain)
            parent = chain
        return images.create(raw)
    finally:
        for chain in reversed(held):
            layers.release(chain)


def _tag(references: ReferenceStore | None, images: ImageStore, image: Image, names: list[str]) -> list[str]:
    tags = []
    for name in names:
        ref: Reference = parse_normalized_named(name)
        if ref.tag is None or ref.digest is not None:
            raise InvalidArchive(f"invalid tag {name!r}")
        if references is not None:
            references.add_tag(ref, image.id, force=True)
        tags.append(familiar_string(ref))
    if tags and references is not None:
        images.set_last_updated(image.id)
    return tags


def _oci_entries(root: Path, index: dict[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    """(config path, layer paths, names) for every image of an OCI layout index."""
    entries = []
    pending = list(index.get("manifests") or [])
    while pending:
        descriptor = pending.pop(0)
        media_type = descriptor.get("mediaType", "")
        digest = descriptor.get("digest", "")
        annotations = descriptor.get("annotations") or {}
        if media_type in _INDEX_TYPES:
            nested = _read_json(root, _blob_path(digest))
            pending.extend(m | {"annotations": annotations} for m in nested.get("manifests") or [])
            continue
        if media_type not in _MANIFEST_TYPES:
            continue
        manifest = _read_json(root, _blob_path(digest))
        name = annotations.get("io.containerd.image.name") or ""
        if not name and "/" in annotations.get("org.opencontainers.image.ref.name", ""):
            name = annotations["org.opencontainers.image.ref.name"]
        entries.append(
            (
                _blob_path(manifest["config"]["digest"]),
                [_blob_path(layer["digest"]) for layer in manifest.get("layers") or []],
                [name] if name else [],
            )
        )
    return entries


def load(
    stream: IO[bytes],
    images: ImageStore,
    layers: LayerStore,
    references: ReferenceStore | None = None,
    *,
    scratch: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[LoadedImage]:
    """Load every image of the archive ``stream``; tags go into ``references`` (replacing old ones).

    ``scratch`` is where the archive is unpacked (a temporary directory
    beside the layer store by default); ``progress`` gets each line that
    ``docker load`` would print. Raises InvalidArchive for a malformed
    archive or layers that do not match their config, UnsupportedArchive for
    the pre-1.10 format, and the layer store's errors.
    """
    base = scratch or layers.data_root / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="load-", dir=base))
    try:
        apply_tar(stream, work, whiteouts=WhiteoutFormat.DELETE, privileged=False)
        if (work / "manifest.json").exists():
            manifest = _read_json(work, "manifest.json")
            if not isinstance(manifest, list):
                raise InvalidArchive("invalid archive: manifest.json is not a list")
            entries = [
                (str(item["Config"]), [str(p) for p in item.get("Layers") or []], list(item.get("RepoTags") or []))
                for item in manifest
            ]
            parents = {str(item["Config"]): item.get("Parent") for item in manifest}
        elif (work / "index.json").exists():
            entries = _oci_entries(work, _read_json(work, "index.json"))
            parents = {}
        elif (work / "repositories").exists():
            raise UnsupportedArchive("loading the legacy (pre Docker 1.10) image archive format is not supported")
        else:
            raise InvalidArchive("invalid archive: no manifest.json or index.json")
        loaded: list[LoadedImage] = []
        for config_path, layer_paths, names in entries:
            image = _load_one(work, images, layers, config_path, layer_paths)
            parent = parents.get(config_path)
            if parent and parent in images:
                images.set_parent(image.id, parent)
            result = LoadedImage(image, _tag(references, images, image, names))
            loaded.append(result)
            if progress is not None:
                for line in result.messages():
                    progress(line)
        return loaded
    except (KeyError, TypeError) as exc:
        raise InvalidArchive(f"invalid archive: malformed manifest ({exc})") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
