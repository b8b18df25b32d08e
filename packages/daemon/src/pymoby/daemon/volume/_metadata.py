"""What the volume service remembers of each volume: its driver, labels and options.

One small JSON file per volume in ``DATA_ROOT/volumes/.metadata/`` (written
atomically: temporary file, fsync, rename, fsync of the directory), so a
create costs one file whatever the number of volumes. The directory name
starts with a dot, which no local volume name can (they start with a letter
or digit), so it never collides with a volume's directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

import msgspec

__all__ = ["MetadataStore", "VolumeMetadata"]

log = logging.getLogger("pymoby.daemon.volume")


class VolumeMetadata(msgspec.Struct, rename="pascal"):
    """The record of one volume (Docker's ``volumeMetadata`` keys)."""

    name: str
    driver: str = ""
    labels: dict[str, str] | None = None
    options: dict[str, str] | None = None


_decoder = msgspec.json.Decoder(VolumeMetadata)


class MetadataStore:
    """The records, one file each (blocking: used from worker threads and at start-up)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        # Plugin volume names may hold any character: quote them into a file name.
        return self.root / (quote(name, safe="") + ".json")

    def load_all(self) -> list[VolumeMetadata]:
        """Every record; unreadable ones are logged and skipped."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        records = []
        for entry in os.scandir(self.root):
            if not entry.name.endswith(".json"):
                continue
            try:
                record = _decoder.decode(Path(entry.path).read_bytes())
            except (OSError, msgspec.DecodeError) as exc:
                log.warning("ignoring unreadable volume metadata %s: %s", entry.path, exc)
                continue
            if record.name != unquote(entry.name[: -len(".json")]):
                log.warning("ignoring volume metadata %s: it names %r", entry.path, record.name)
                continue
            records.append(record)
        return records

    def save(self, record: VolumeMetadata) -> None:
        """Write ``record`` atomically."""
        path = self._path(record.name)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        renamed = False
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(msgspec.json.encode(record))
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path)
            renamed = True
        finally:
            if not renamed:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        dir_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def delete(self, name: str) -> None:
        """Forget ``name`` (no error when there is no record)."""
        with contextlib.suppress(FileNotFoundError):
            self._path(name).unlink()
