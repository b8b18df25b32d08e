"""The vfs graph driver: every layer a full copy of its parent; works on any file system.

::

    HOME/dir/<id>/     the layer's complete root file system

Creating a layer copies its parent; whiteouts in applied tars delete what
the copy had. Mounting returns the directory itself; for containerd it is a
bind mount.
"""

from __future__ import annotations

import shutil
import stat
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from ._apply import ApplyResult, WhiteoutFormat, apply_tar
from ._archive import tar_changes
from ._changes import Change, ChangeKind, compare_trees
from ._copytree import copy_tree
from ._driver import DRIVERS, Driver, Mount, check_id
from ._rootfs import InRoot

__all__ = ["VfsDriver"]


class VfsDriver:
    """Layers as plain directory copies."""

    name = "vfs"

    def __init__(self, home: Path, options: Mapping[str, str] | None = None) -> None:
        self.home = home
        (home / "dir").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def _dir(self, layer_id: str) -> Path:
        return self.home / "dir" / check_id(layer_id)

    def create(self, layer_id: str, parent: str | None) -> None:
        """Make the layer as a copy of ``parent``."""
        layer = self._dir(layer_id)
        layer.mkdir(mode=0o755)
        if parent is not None:
            copy_tree(self._dir(parent), layer)

    def remove(self, layer_id: str) -> None:
        """Remove the layer."""
        with self._lock:
            self._counts.pop(layer_id, None)
        shutil.rmtree(self._dir(layer_id), ignore_errors=True)

    def exists(self, layer_id: str) -> bool:
        """Whether the layer exists."""
        return self._dir(layer_id).is_dir()

    def ids(self) -> list[str]:
        """Every layer ID on disk."""
        return sorted(p.name for p in (self.home / "dir").iterdir())

    def apply_diff(self, layer_id: str, stream: IO[bytes], split: Path | None) -> ApplyResult:
        """Apply a layer tar onto the copy, whiteouts as deletions."""
        return apply_tar(stream, self._dir(layer_id), whiteouts=WhiteoutFormat.DELETE, split=split)

    def content_dir(self, layer_id: str) -> Path:
        """The layer's directory."""
        return self._dir(layer_id)

    def mount(self, layer_id: str) -> Path:
        """The layer's directory (counted, nothing is mounted)."""
        path = self._dir(layer_id)
        with self._lock:
            self._counts[layer_id] = self._counts.get(layer_id, 0) + 1
        return path

    def unmount(self, layer_id: str) -> None:
        """Drop one reference."""
        with self._lock:
            count = self._counts.get(layer_id, 0)
            if count > 1:
                self._counts[layer_id] = count - 1
            else:
                self._counts.pop(layer_id, None)

    def is_mounted(self, layer_id: str) -> bool:
        """Whether a reference is held."""
        with self._lock:
            return self._counts.get(layer_id, 0) > 0

    def mounts(self, layer_id: str) -> list[Mount]:
        """A bind mount of the directory."""
        return [Mount("bind", str(self._dir(layer_id)), ("rbind", "rw"))]

    def changes(self, layer_id: str, parent: str | None) -> list[Change]:
        """Compare the layer's tree with its parent's."""
        return compare_trees(self._dir(layer_id), self._dir(parent) if parent else None)

    def diff(self, layer_id: str, parent: str | None) -> Iterator[bytes]:
        """A layer tar of the changes; whiteouts carry the time of the directory that lost the entry."""
        layer = self._dir(layer_id)
        changes = self.changes(layer_id, parent)

        def deleted_mtime(directory: str) -> int:
            with InRoot(layer) as root:
                return int(root.lstat(directory).st_mtime)

        return tar_changes(layer, changes, deleted_mtime)

    def diff_size(self, layer_id: str, parent: str | None) -> int:
        """Bytes held by the added or modified files."""
        layer = self._dir(layer_id)
        total = 0
        with InRoot(layer) as root:
            for change in self.changes(layer_id, parent):
                if change.kind is ChangeKind.DELETE:
                    continue
                st = root.lstat(change.path.lstrip("/"))
                if not stat.S_ISDIR(st.st_mode):
                    total += st.st_size
        return total

    def status(self) -> list[tuple[str, str]]:
        """Nothing to report."""
        return []

    def cleanup(self) -> None:
        """Drop every reference."""
        with self._lock:
            self._counts.clear()


def _factory(home: Path, options: Mapping[str, str]) -> Driver:
    return VfsDriver(home, options)


DRIVERS["vfs"] = _factory
