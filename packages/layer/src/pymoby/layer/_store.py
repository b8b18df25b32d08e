"""The layer store: content-addressed read-only layers and per-container read-write layers.

Thread-safe: the daemon calls it from worker threads. The tar work runs
outside the store's lock, so layers register in parallel; only the metadata
updates are serialized.

Reference counting follows Docker's layer store: :meth:`LayerStore.register`
and :meth:`LayerStore.get` give the caller a reference, :meth:`release`
drops one; a layer is also held by each child layer and by each read-write
layer on it. When nothing holds a layer it is deleted, and its parent
loses that hold in turn. References taken by callers live in memory only: after
a restart the image store takes them again for the images it loads.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from . import _overlay, _vfs  # noqa: F401 - register the built-in drivers
from ._digest import chain_id as make_chain_id
from ._digest import validate_digest
from ._driver import Driver, Mount, open_driver
from ._errors import (
    DiffIDMismatch,
    LayerNotRetained,
    MountActive,
    MountNameInUse,
    StoreLocked,
    UnknownLayer,
    UnknownMount,
)
from ._metadata import read_value, write_values
from ._rwlayer import RWLayer
from ._source import ChunkFile
from ._split import reassemble

__all__ = ["Layer", "LayerStore"]

_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")

InitFunc = Callable[[Path], None]


@dataclass(frozen=True, slots=True)
class Layer:
    """A read-only layer: what Docker's layer metadata holds."""

    chain_id: str
    diff_id: str
    #: Chain ID of the layer below, None for a base layer.
    parent: str | None
    #: The graph driver's ID for the layer's files.
    cache_id: str
    #: Size of this layer's contents (the sum of its tar entries' sizes).
    diff_size: int
    #: Length of the layer's uncompressed tar stream, if known.
    tar_size: int | None


@dataclass(slots=True)
class _MountRecord:
    name: str
    mount_id: str
    init_id: str | None
    parent: str | None


class LayerStore:
    """Layers and read-write layers under ``data_root``, in Docker's layout.

    ``data_root/<driver>/`` holds the driver's files and
    ``data_root/image/<driver>/layerdb/`` the metadata. ``driver`` names the
    graph driver (``overlay2``, ``vfs``, or a plugin); by default the first
    that works here is used. Raises UnknownDriver when none can run, and
    StoreLocked when another process has the store open. Call :meth:`close`
    (or use ``with``) when done.
    """

    def __init__(
        self, data_root: Path, driver: str | None = None, driver_options: Mapping[str, str] | None = None
    ) -> None:
        self.data_root = Path(data_root)
        self._driver: Driver = open_driver(self.data_root, driver, driver_options)
        self.root = self.data_root / "image" / self._driver.name / "layerdb"
        for sub in ("sha256", "mounts", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.root / "lock", "wb")  # noqa: SIM115 - held for the store's lifetime
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._lock_file.close()
            raise StoreLocked(f"layer store {self.root} is in use by another process") from exc
        self._lock = threading.RLock()
        self._layers: dict[str, Layer] = {}
        self._refs: dict[str, int] = {}
        self._mounts: dict[str, _MountRecord] = {}
        self._reserved: set[str] = set()
        self._load()

    @property
    def driver(self) -> Driver:
        """The graph driver in use."""
        return self._driver

    @property
    def driver_name(self) -> str:
        """The graph driver's name (``overlay2``, ``vfs``)."""
        return self._driver.name

    def __enter__(self) -> LayerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unmount what the driver still has mounted and release the store's lock."""
        self._driver.cleanup()
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    # -- loading and crash recovery ------------------------------------------------------------

    def _load(self) -> None:
        for leftover in (self.root / "tmp").iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
        for entry in (self.root / "sha256").iterdir():
            diff_id = read_value(entry, "diff")
            cache_id = read_value(entry, "cache-id")
            if diff_id is None or cache_id is None or not _DIGEST.fullmatch(diff_id):
                continue  # incomplete after a power loss: ignored, and its files go with the orphans
            size = read_value(entry, "size")
            tar_size = read_value(entry, "tar-size")
            layer = Layer(
                chain_id="sha256:" + entry.name,
                diff_id=diff_id,
                parent=read_value(entry, "parent") or None,
                cache_id=cache_id,
                diff_size=int(size) if size else 0,
                tar_size=int(tar_size) if tar_size else None,
            )
            self._layers[layer.chain_id] = layer
            self._refs.setdefault(layer.chain_id, 0)
        for entry in (self.root / "mounts").iterdir():
            mount_id = read_value(entry, "mount-id")
            if mount_id is None:
                continue
            record = _MountRecord(entry.name, mount_id, read_value(entry, "init-id"), read_value(entry, "parent"))
            self._mounts[record.name] = record
        for layer in self._layers.values():
            if layer.parent is not None:
                self._refs[layer.parent] = self._refs.get(layer.parent, 0) + 1
        for record in self._mounts.values():
            if record.parent is not None:
                self._refs[record.parent] = self._refs.get(record.parent, 0) + 1
        # Files of layers whose metadata never became visible (a crash mid-register) go.
        known = {layer.cache_id for layer in self._layers.values()}
        for record in self._mounts.values():
            known.add(record.mount_id)
            if record.init_id:
                known.add(record.init_id)
        for cache_id in self._driver.ids():
            if cache_id not in known:
                self._driver.remove(cache_id)

    # -- read-only layers ---------------------------------------------------------------------

    def _layer(self, chain_id: str) -> Layer:
        layer = self._layers.get(chain_id)
        if layer is None:
            raise UnknownLayer(f"layer does not exist: {chain_id}")
        return layer

    def register(self, stream: IO[bytes], parent: str | None = None, *, expected_diff_id: str | None = None) -> Layer:
        """Apply the layer tar ``stream`` on the chain ``parent`` and return the new layer, referenced once.

        The stream may be uncompressed, gzip, bzip2, xz or zstd. If a layer with
        the resulting chain ID exists, it is returned (with one more reference)
        and the new copy is dropped. Raises UnknownLayer for a missing parent,
        DiffIDMismatch if ``expected_diff_id`` is given and differs, and the
        errors of :func:`apply_tar`; on any error nothing of the layer remains.
        """
        if expected_diff_id is not None:
            validate_digest(expected_diff_id)
        with self._lock:
            parent_layer = self._layer(parent) if parent is not None else None
            if parent is not None:
                self._refs[parent] += 1
        cache_id = secrets.token_hex(32)
        work = Path(tempfile.mkdtemp(prefix="write-set-", dir=self.root / "tmp"))
        created = False
        registered: Layer | None = None
        existing: Layer | None = None
        try:
            self._driver.create(cache_id, parent_layer.cache_id if parent_layer else None)
            created = True
            result = self._driver.apply_diff(cache_id, stream, work / "tar-split")
            if expected_diff_id is not None and result.diff_id != expected_diff_id:
                raise DiffIDMismatch(
                    f"layer diff ID mismatch: expected {expected_diff_id}, the tar has {result.diff_id}"
                )
            chain = make_chain_id(parent, result.diff_id)
            values = {
                "diff": result.diff_id,
                "size": str(result.size),
                "cache-id": cache_id,
                "tar-size": str(result.tar_size),
            }
            if parent is not None:
                values["parent"] = parent
            write_values(work, values)
            with self._lock:
                existing = self._layers.get(chain)
                if existing is not None:
                    self._refs[chain] += 1
                    return existing
                target = self.root / "sha256" / chain.removeprefix("sha256:")
                os.rename(work, target)
                registered = Layer(chain, result.diff_id, parent, cache_id, result.size, result.tar_size)
                self._layers[chain] = registered
                self._refs[chain] = 1
                return registered
        finally:
            if registered is None:
                if created:
                    self._driver.remove(cache_id)
                shutil.rmtree(work, ignore_errors=True)
                if parent is not None:
                    with self._lock:
                        self._refs[parent] -= 1

    def register_changes(self, rw: RWLayer, parent: str | None) -> Layer:
        """Register the changes of ``rw`` (:meth:`RWLayer.tar_changes`) as a layer on ``parent``
        (``docker commit``, a build step); as :meth:`register`, and the change tar is closed either way."""
        chunks = rw.tar_changes()
        try:
            return self.register(cast(IO[bytes], ChunkFile(chunks)), parent)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def get(self, chain_id: str) -> Layer:
        """The layer with ``chain_id``, taking a reference. Raises UnknownLayer."""
        with self._lock:
            layer = self._layer(chain_id)
            self._refs[chain_id] += 1
            return layer

    def lookup(self, chain_id: str) -> Layer:
        """The layer with ``chain_id``, without taking a reference. Raises UnknownLayer."""
        with self._lock:
            return self._layer(chain_id)

    def has(self, chain_id: str) -> bool:
        """Whether a layer with ``chain_id`` exists."""
        with self._lock:
            return chain_id in self._layers

    def layers(self) -> list[Layer]:
        """Every layer in the store."""
        with self._lock:
            return list(self._layers.values())

    def references(self, chain_id: str) -> int:
        """How many holders the layer has (callers' references, child layers, read-write layers)."""
        with self._lock:
            self._layer(chain_id)
            return self._refs[chain_id]

    def release(self, chain_id: str) -> list[Layer]:
        """Drop a reference to the layer; delete it (and parents nothing else holds) when unheld.

        Returns the layers deleted. Raises UnknownLayer, or LayerNotRetained
        if the layer has no reference to drop.
        """
        doomed: list[tuple[Layer, Path]] = []
        with self._lock:
            self._layer(chain_id)
            if self._refs[chain_id] <= 0:
                raise LayerNotRetained(f"layer not retained: {chain_id}")
            current: str | None = chain_id
            while current is not None:
                self._refs[current] -= 1
                if self._refs[current] > 0:
                    break
                layer = self._layers.pop(current)
                del self._refs[current]
                hidden = self.root / "tmp" / f"delete-{current.removeprefix('sha256:')}"
                os.rename(self.root / "sha256" / current.removeprefix("sha256:"), hidden)
                doomed.append((layer, hidden))
                current = layer.parent
        for layer, hidden in doomed:
            self._driver.remove(layer.cache_id)
            shutil.rmtree(hidden, ignore_errors=True)
        return [layer for layer, _ in doomed]

    def size(self, chain_id: str) -> int:
        """Size of the layer and every layer below it (Docker's ``Size`` of an image's top layer)."""
        total = 0
        with self._lock:
            current: str | None = chain_id
            while current is not None:
                layer = self._layer(current)
                total += layer.diff_size
                current = layer.parent
        return total

    def disk_usage(self) -> int:
        """Bytes held by every read-only layer's contents."""
        with self._lock:
            return sum(layer.diff_size for layer in self._layers.values())

    def tar_stream(self, chain_id: str) -> Iterator[bytes]:
        """The layer's tar stream, byte for byte as it was registered (same diff ID), for pushing.

        Holds a reference while it runs. Raises UnknownLayer, and
        TarSplitMismatch if the layer's files were changed on disk. A layer
        without a recorded layout (not made by :meth:`register`) yields the
        driver's diff, whose digest may differ.
        """
        layer = self.get(chain_id)
        try:
            split = self.root / "sha256" / chain_id.removeprefix("sha256:") / "tar-split"
            if split.exists():
                yield from reassemble(split, self._driver.content_dir(layer.cache_id), layer.diff_id)
            else:
                parent = self._layer(layer.parent).cache_id if layer.parent else None
                yield from self._driver.diff(layer.cache_id, parent)
        finally:
            self.release(chain_id)

    # -- read-write layers --------------------------------------------------------------------

    def create_rw_layer(self, name: str, parent: str | None, init: InitFunc | None = None) -> RWLayer:
        """Create the read-write layer ``name`` (a container ID) on the chain ``parent``.

        An init layer is made between them; ``init``, if given, is called with
        the init layer's mounted root (the image's files visible) to create
        what every container needs (/etc/hosts, /etc/resolv.conf mount points:
        see :func:`setup_init_layer`). Raises MountNameInUse, UnknownLayer.
        """
        with self._lock:
            if name in self._mounts or name in self._reserved:
                raise MountNameInUse(f"read-write layer {name!r} already exists")
            parent_layer = self._layer(parent) if parent is not None else None
            if parent is not None:
                self._refs[parent] += 1
            self._reserved.add(name)
        mount_id = secrets.token_hex(32)
        init_id = mount_id + "-init"
        work = Path(tempfile.mkdtemp(prefix="mount-", dir=self.root / "tmp"))
        done = False
        try:
            self._driver.create(init_id, parent_layer.cache_id if parent_layer else None)
            if init is not None:
                root = self._driver.mount(init_id)
                try:
                    init(root)
                finally:
                    self._driver.unmount(init_id)
            self._driver.create(mount_id, init_id)
            values = {"mount-id": mount_id, "init-id": init_id}
            if parent is not None:
                values["parent"] = parent
            write_values(work, values)
            with self._lock:
                os.rename(work, self.root / "mounts" / name)
                self._mounts[name] = _MountRecord(name, mount_id, init_id, parent)
                done = True
        finally:
            with self._lock:
                self._reserved.discard(name)
                if not done and parent is not None:
                    self._refs[parent] -= 1
            if not done:
                self._driver.remove(mount_id)
                self._driver.remove(init_id)
                shutil.rmtree(work, ignore_errors=True)
        return RWLayer(self._driver, name, mount_id, init_id, parent)

    def get_rw_layer(self, name: str) -> RWLayer:
        """The read-write layer ``name``. Raises UnknownMount."""
        with self._lock:
            record = self._mounts.get(name)
            if record is None:
                raise UnknownMount(f"read-write layer does not exist: {name}")
            return RWLayer(self._driver, record.name, record.mount_id, record.init_id, record.parent)

    def rw_layers(self) -> list[RWLayer]:
        """Every read-write layer."""
        with self._lock:
            return [RWLayer(self._driver, r.name, r.mount_id, r.init_id, r.parent) for r in self._mounts.values()]

    def release_rw_layer(self, name: str) -> list[Layer]:
        """Remove the read-write layer ``name``; returns the image layers this left unheld and deleted.

        Raises UnknownMount, and MountActive while it is mounted.
        """
        with self._lock:
            record = self._mounts.get(name)
            if record is None:
                raise UnknownMount(f"read-write layer does not exist: {name}")
            if self._driver.is_mounted(record.mount_id):
                raise MountActive(f"mount still active: read-write layer {name} is mounted")
            del self._mounts[name]
            hidden = self.root / "tmp" / f"delete-mount-{secrets.token_hex(8)}"
            os.rename(self.root / "mounts" / name, hidden)
        self._driver.remove(record.mount_id)
        if record.init_id:
            self._driver.remove(record.init_id)
        shutil.rmtree(hidden, ignore_errors=True)
        if record.parent is not None:
            return self.release(record.parent)
        return []

    def layer_in_use(self, chain_id: str) -> bool:
        """Whether anything but the caller's own reference holds the layer."""
        return self.references(chain_id) > 1

    def mounts_of(self, name: str) -> list[Mount]:
        """The mounts giving the root file system of read-write layer ``name``, for containerd."""
        return self.get_rw_layer(name).mounts()
