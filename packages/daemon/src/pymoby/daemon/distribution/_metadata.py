"""Which registry blobs hold which layers: Docker's ``v2metadata`` under ``image/<driver>/distribution``.

::

    v2metadata-by-diffid/sha256/<diff hex>  [{"Digest": "sha256:...", "SourceRepository": "host/app", "HMAC": ""}]
    diffid-by-digest/sha256/<blob hex>      sha256:<diff hex>

A pull records the compressed blob each layer came from and its
repository; a push records what it uploaded. A later push of the layer to
the same registry then finds it (``Layer already exists``) or mounts it from
the other repository (``Mounted from ...``) instead of uploading it again.
Files are written atomically; thread-safe.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BlobRecord", "DistributionMetadata"]

_MAX_RECORDS = 50


@dataclass(frozen=True, slots=True)
class BlobRecord:
    """A registry blob that holds a layer: its digest and the repository (``host/path``) it is in."""

    digest: str
    repository: str
    #: The blob's size (-1 when unknown) and media type ("" when unknown).
    size: int = -1
    media_type: str = ""

    @property
    def registry(self) -> str:
        """The registry part of :attr:`repository` (``docker.io``, ``127.0.0.1:5000``)."""
        return self.repository.split("/", 1)[0]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    renamed = False
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
        renamed = True
    finally:
        if not renamed:
            os.unlink(tmp)


def _entry(record: BlobRecord) -> dict[str, object]:
    # Docker's keys, plus Size and MediaType (dockerd ignores them) so a push can name the blob without a HEAD.
    return {
        "Digest": record.digest,
        "SourceRepository": record.repository,
        "HMAC": "",
        "Size": record.size,
        "MediaType": record.media_type,
    }


def _hex(digest: str) -> str:
    return digest.partition(":")[2] or digest


class DistributionMetadata:
    """The blob records of every layer, under ``root`` (``image/<driver>/distribution``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._by_diff = self.root / "v2metadata-by-diffid" / "sha256"
        self._by_digest = self.root / "diffid-by-digest" / "sha256"
        self._lock = threading.Lock()

    def records(self, diff_id: str) -> list[BlobRecord]:
        """What is known of the layer ``diff_id``, most recent first."""
        try:
            raw = json.loads((self._by_diff / _hex(diff_id)).read_bytes())
        except (OSError, ValueError):
            return []
        found = []
        for entry in raw if isinstance(raw, list) else []:
            if isinstance(entry, dict) and entry.get("Digest") and entry.get("SourceRepository"):
                size = entry.get("Size")
                found.append(
                    BlobRecord(
                        str(entry["Digest"]),
                        str(entry["SourceRepository"]),
                        size if isinstance(size, int) else -1,
                        str(entry.get("MediaType") or ""),
                    )
                )
        return found

    def diff_id(self, digest: str) -> str | None:
        """The diff ID of the layer the blob ``digest`` decompresses to, if known."""
        try:
            return (self._by_digest / _hex(digest)).read_text().strip() or None
        except OSError:
            return None

    def add(self, diff_id: str, record: BlobRecord) -> None:
        """Remember that ``record`` holds the layer ``diff_id``."""
        with self._lock:
            current = [
                r for r in self.records(diff_id) if (r.digest, r.repository) != (record.digest, record.repository)
            ]
            current.insert(0, record)
            body = [_entry(r) for r in current[:_MAX_RECORDS]]
            _write(self._by_diff / _hex(diff_id), json.dumps(body).encode())
            _write(self._by_digest / _hex(record.digest), diff_id.encode())

    def remove(self, diff_id: str, record: BlobRecord) -> None:
        """Forget ``record`` (the registry no longer has it)."""
        with self._lock:
            current = [
                r for r in self.records(diff_id) if (r.digest, r.repository) != (record.digest, record.repository)
            ]
            body = [_entry(r) for r in current]
            _write(self._by_diff / _hex(diff_id), json.dumps(body).encode())
