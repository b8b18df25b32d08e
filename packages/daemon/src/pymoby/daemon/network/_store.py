"""Atomic persistence of the network records: one JSON file per network and per container.

``STATE/networks/<id>.json`` and ``STATE/containers/<id>.json``, each written
to a temporary file, fsynced, renamed over the old one and the directory
fsynced, so a crash leaves the old record or the new one, whole.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TypeVar

import msgspec

from ._model import ContainerRecord, NetworkRecord

__all__ = ["RecordStore"]

log = logging.getLogger("pymoby.daemon.network")

R = TypeVar("R", NetworkRecord, ContainerRecord)

_encoder = msgspec.json.Encoder()


def _atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    renamed = False
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            if durable:
                os.fsync(file.fileno())
        os.rename(tmp, path)
        renamed = True
    finally:
        if not renamed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    if not durable:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class RecordStore:
    """Reads and writes the records under one state directory (blocking calls: use a worker thread)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.networks_dir = root / "networks"
        self.containers_dir = root / "containers"

    def prepare(self) -> None:
        """Create the directories."""
        for directory in (self.networks_dir, self.containers_dir):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _load(self, directory: Path, kind: type[R]) -> list[R]:
        records: list[R] = []
        decoder = msgspec.json.Decoder(kind)
        for path in sorted(directory.glob("*.json")):
            try:
                records.append(decoder.decode(path.read_bytes()))
            except (OSError, msgspec.DecodeError) as exc:
                # A record we cannot read names nothing we can clean up; keep it for a human.
                log.error("ignoring unreadable network record %s: %s", path, exc)
        return records

    def load_networks(self) -> list[NetworkRecord]:
        """Every persisted network."""
        return self._load(self.networks_dir, NetworkRecord)

    def load_containers(self) -> list[ContainerRecord]:
        """Every persisted container record."""
        return self._load(self.containers_dir, ContainerRecord)

    def save_network(self, record: NetworkRecord) -> None:
        """Write a network record atomically."""
        _atomic_write(self.networks_dir / f"{record.id}.json", _encoder.encode(record))

    def save_container(self, record: ContainerRecord, *, durable: bool = True) -> None:
        """Write a container record atomically (and fsynced when ``durable``)."""
        _atomic_write(self.containers_dir / f"{record.id}.json", _encoder.encode(record), durable)

    def delete_network(self, network_id: str) -> None:
        """Forget a network (no error when it is already gone)."""
        with contextlib.suppress(FileNotFoundError):
            (self.networks_dir / f"{network_id}.json").unlink()

    def delete_container(self, container_id: str) -> None:
        """Forget a container (no error when it is already gone)."""
        with contextlib.suppress(FileNotFoundError):
            (self.containers_dir / f"{container_id}.json").unlink()
