"""``docker save``: images to a docker-archive with the OCI layout inside, as Docker 25+ writes it.

::

    blobs/sha256/<hex>   layer tars (uncompressed, named by diff ID), configs, OCI manifests
    index.json           OCI index: one manifest per image, its name in the annotations
    manifest.json        [{"Config": "blobs/sha256/...", "RepoTags": [...], "Layers": [...]}]
    oci-layout           {"imageLayoutVersion": "1.0.0"}
    repositories         {"busybox": {"latest": "<top layer hex>"}}

Older Docker (20.10) loads it through ``manifest.json``; newer tools through
the OCI layout. The archive streams: each layer is read from the layer store
(its original bytes, so its digest is its diff ID) straight into the output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pymoby.layer import LayerStore, chain_id, encode_header
from pymoby.reference import familiar_name, parse_normalized_named

from ._config import config_digest
from ._store import Image, ImageStore

__all__ = ["SaveItem", "save"]

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"
_BLOCK = 512


@dataclass(frozen=True, slots=True)
class SaveItem:
    """An image to save and the tags (``busybox:latest``, ``example.com/app:1``) to record for it."""

    image_id: str
    repo_tags: Sequence[str] = ()


def _file(name: str, data: bytes) -> Iterator[bytes]:
    yield encode_header(name, b"0", size=len(data), mode=0o644)
    yield data
    if len(data) % _BLOCK:
        yield bytes(-len(data) % _BLOCK)


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def save(images: ImageStore, layers: LayerStore, items: Sequence[SaveItem]) -> Iterator[bytes]:
    """The archive of ``items``, as a stream of bytes. Each layer is written once however many images share it.

    Raises UnknownImage for a missing image, UnknownLayer if its layers are
    gone, TarSplitMismatch if a layer's files were changed on disk.
    """
    resolved: list[tuple[Image, list[str]]] = [(images.get(item.image_id), list(item.repo_tags)) for item in items]
    yield encode_header("blobs/", b"5", mode=0o755)
    yield encode_header("blobs/sha256/", b"5", mode=0o755)
    written: set[str] = set()
    manifest_json: list[dict[str, object]] = []
    index_entries: list[dict[str, object]] = []
    repositories: dict[str, dict[str, str]] = {}
    for image, tags in resolved:
        layer_paths: list[str] = []
        layer_descriptors: list[dict[str, object]] = []
        parent: str | None = None
        for diff_id in image.config.rootfs.diff_ids:
            parent = chain_id(parent, diff_id)
            layer = layers.lookup(parent)
            path = f"blobs/sha256/{diff_id.removeprefix('sha256:')}"
            size = layer.tar_size
            if size is None:
                size = sum(len(chunk) for chunk in layers.tar_stream(parent))
            if diff_id not in written:
                written.add(diff_id)
                yield encode_header(path, b"0", size=size, mode=0o644)
                produced = 0
                for chunk in layers.tar_stream(parent):
                    produced += len(chunk)
                    yield chunk
                if produced != size:
                    raise ValueError(f"layer {diff_id} changed size while it was saved")
                if size % _BLOCK:
                    yield bytes(-size % _BLOCK)
            layer_paths.append(path)
            layer_descriptors.append({"mediaType": LAYER_MEDIA_TYPE, "digest": diff_id, "size": size})
        config_path = f"blobs/sha256/{image.id.removeprefix('sha256:')}"
        if image.id not in written:
            written.add(image.id)
            yield from _file(config_path, image.raw)
        manifest = _json(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST_MEDIA_TYPE,
                "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": image.id, "size": len(image.raw)},
                "layers": layer_descriptors,
            }
        )
        manifest_digest = config_digest(manifest)
        if manifest_digest not in written:
            written.add(manifest_digest)
            yield from _file(f"blobs/sha256/{manifest_digest.removeprefix('sha256:')}", manifest)
        descriptor: dict[str, object] = {
            "mediaType": MANIFEST_MEDIA_TYPE,
            "digest": manifest_digest,
            "size": len(manifest),
        }
        if tags:
            for tag in tags:
                ref = parse_normalized_named(tag)
                annotations = {
                    "io.containerd.image.name": str(ref),
                    "org.opencontainers.image.ref.name": ref.tag or "latest",
                }
                index_entries.append(descriptor | {"annotations": annotations})
                if layer_paths:
                    top = layer_paths[-1].rpartition("/")[2]
                    repositories.setdefault(familiar_name(ref), {})[ref.tag or "latest"] = top
        else:
            index_entries.append(descriptor)
        manifest_json.append({"Config": config_path, "RepoTags": tags or None, "Layers": layer_paths})
    index = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": index_entries}
    yield from _file("index.json", _json(index))
    yield from _file("manifest.json", _json(manifest_json))
    yield from _file("oci-layout", _json({"imageLayoutVersion": "1.0.0"}))
    if repositories:
        yield from _file("repositories", _json(repositories))
    yield bytes(2 * _BLOCK)
