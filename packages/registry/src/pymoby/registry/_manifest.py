"""Manifests and indexes: media types, descriptors, parsing and checks.

Docker schema 2 manifests and manifest lists, OCI manifests and indexes.
Schema 1 is refused with Docker's deprecation message.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ._errors import ManifestInvalid, UnsupportedManifest
from ._platform import Platform

__all__ = [
    "ACCEPT_MANIFESTS",
    "DOCKER_CONFIG",
    "DOCKER_LAYER",
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "OCI_CONFIG",
    "OCI_INDEX",
    "OCI_LAYER",
    "OCI_MANIFEST",
    "SCHEMA1_TYPES",
    "Descriptor",
    "Manifest",
    "build_manifest",
    "parse_manifest",
]

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
SCHEMA1_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)
MANIFEST_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
#: What the client accepts, best first.
ACCEPT_MANIFESTS = (OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST)


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A content descriptor: media type, digest, size (and platform, annotations, urls)."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    urls: tuple[str, ...] = ()
    artifact_type: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Descriptor:
        """A descriptor from its JSON object; raises :class:`ManifestInvalid` when malformed."""
        if not isinstance(data, dict):
            raise ManifestInvalid("descriptor is not an object")
        try:
            digest, size = str(data["digest"]), int(data["size"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestInvalid(f"descriptor without a valid digest and size: {data!r:.200}") from exc
        platform = Platform.from_json(data["platform"]) if isinstance(data.get("platform"), dict) else None
        return cls(
            media_type=str(data.get("mediaType") or ""),
            digest=digest,
            size=size,
            platform=platform,
            annotations={str(k): str(v) for k, v in (data.get("annotations") or {}).items()},
            urls=tuple(str(u) for u in data.get("urls") or ()),
            artifact_type=str(data.get("artifactType") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this descriptor, in the OCI field names."""
        data: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.artifact_type:
            data["artifactType"] = self.artifact_type
        if self.urls:
            data["urls"] = list(self.urls)
        if self.annotations:
            data["annotations"] = dict(self.annotations)
        if self.platform is not None:
            data["platform"] = self.platform.to_json()
        return data


@dataclass(frozen=True, slots=True)
class Manifest:
    """A fetched (or built) manifest or index: its exact bytes and what they say.

    ``raw`` is what the registry served, so ``digest`` is the digest of
    ``raw``. ``manifests`` is set for an index, ``config`` and ``layers``
    for an image manifest.
    """

    media_type: str
    raw: bytes
    digest: str
    data: dict[str, Any]
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()
    manifests: tuple[Descriptor, ...] = ()
    subject: Descriptor | None = None

    @property
    def is_index(self) -> bool:
        """Whether this is a manifest list or an OCI index."""
        return self.media_type in INDEX_TYPES

    @property
    def descriptor(self) -> Descriptor:
        """A descriptor of this manifest."""
        return Descriptor(self.media_type, self.digest, len(self.raw))

    def blobs(self) -> tuple[Descriptor, ...]:
        """The blobs an image manifest needs: config, then layers."""
        return ((self.config,) if self.config is not None else ()) + self.layers


def parse_manifest(raw: bytes, content_type: str = "", reference: str = "") -> Manifest:
    """Parse ``raw`` as a manifest or index; the media type comes from the body, else ``content_type``.

    Raises :class:`UnsupportedManifest` for schema 1 (with Docker's
    deprecation message) and unknown media types, :class:`ManifestInvalid`
    for malformed JSON.
    """
    content_type = content_type.split(";", 1)[0].strip()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ManifestInvalid(f"invalid manifest JSON for {reference or 'image'}: {exc}", reference=reference) from exc
    if not isinstance(data, dict):
        raise ManifestInvalid("manifest is not a JSON object", reference=reference)
    media_type = str(data.get("mediaType") or "")
    if data.get("schemaVersion") == 1 or content_type in SCHEMA1_TYPES or media_type in SCHEMA1_TYPES:
        raise UnsupportedManifest(
            "[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support "
            "has been removed. Suggest the author of "
            f"{reference or 'this image'} to upgrade the image to the OCI Format or Docker Image manifest v2, "
            "schema 2.",
            reference=reference,
        )
    if not media_type:
        if content_type in MANIFEST_TYPES | INDEX_TYPES:
            media_type = content_type
        elif "manifests" in data:
            media_type = OCI_INDEX
        elif "config" in data:
            media_type = OCI_MANIFEST
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    subject = Descriptor.from_json(data["subject"]) if isinstance(data.get("subject"), dict) else None
    if media_type in INDEX_TYPES:
        manifests = tuple(Descriptor.from_json(m) for m in data.get("manifests") or ())
        return Manifest(media_type, raw, digest, data, manifests=manifests, subject=subject)
    if media_type in MANIFEST_TYPES:
        if "config" not in data:
            raise ManifestInvalid("image manifest without a config", reference=reference)
        config = Descriptor.from_json(data["config"])
        layers = tuple(Descriptor.from_json(layer) for layer in data.get("layers") or ())
        return Manifest(media_type, raw, digest, data, config=config, layers=layers, subject=subject)
    raise UnsupportedManifest(
        f"unsupported manifest media type {media_type or content_type or '(none)'} for {reference or 'image'}",
        reference=reference,
    )


def build_manifest(data: dict[str, Any]) -> Manifest:
    """A :class:`Manifest` from a JSON object, serialised compactly (for pushes)."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return parse_manifest(raw, str(data.get("mediaType") or ""))
