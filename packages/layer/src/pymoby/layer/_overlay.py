"""The overlay2 graph driver: layers as overlayfs lower directories, as Docker lays them out.

::

    HOME/l/<LINK>          -> ../<id>/diff    short names, so deep images fit in one page of mount options
    HOME/<id>/diff/        the layer's own files (whiteouts as 0:0 devices, opaque xattrs)
    HOME/<id>/link         the layer's short name
    HOME/<id>/lower        its lower layers, top first: "l/<LINK>:l/<LINK>..."
    HOME/<id>/work/        overlayfs's work directory (layers with a parent)
    HOME/<id>/merged/      the mount point

A mount whose option string with absolute paths would not fit in a page is
made from a child process that changed to HOME, with the short relative
names (so 125+ layer images mount); :meth:`mounts` gives containerd the
absolute form, which it shortens the same way.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from ._apply import ApplyResult, WhiteoutFormat, apply_tar
from ._archive import tar_tree
from ._changes import Change, overlay_changes
from ._copytree import tree_size
from ._driver import DRIVERS, Driver, Mount, check_id
from ._errors import DriverFailure, UnknownDriver
from ._mount import is_mountpoint, mount, mount_from, unmount

__all__ = ["OverlayDriver"]

_PAGE = os.sysconf("SC_PAGESIZE")
MAX_DEPTH = 128


def _backing_fs(path: Path) -> str:
    best, kind = "", "unknown"
    target = os.path.realpath(path)
    with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1]
            if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                best, kind = point, fields[2]
    return kind


class OverlayDriver:
    """Layers on overlayfs. Needs root and a backing file system that overlayfs accepts as upper."""

    name = "overlay2"

    def __init__(self, home: Path, options: Mapping[str, str] | None = None) -> None:
        self.home = home
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        if os.geteuid() != 0:
            raise UnknownDriver("error initializing graphdriver: driver not supported: overlay2 needs root")
        (home / "l").mkdir(parents=True, exist_ok=True)
        os.chmod(home, 0o710)
        self._prefix = self._probe()

    def _probe(self) -> str:
        """Check that overlayfs mounts here; return the extra options the kernel takes ("index=off,")."""
        probe = Path(self.home / f"probe-{secrets.token_hex(4)}")
        try:
            for sub in ("lower", "upper", "work", "merged"):
                (probe / sub).mkdir(parents=True)
            for prefix in ("index=off,", ""):
                data = f"{prefix}lowerdir={probe}/lower,upperdir={probe}/upper,workdir={probe}/work"
                try:
                    mount("overlay", str(probe / "merged"), "overlay", data)
                except OSError as exc:
                    error = exc
                    continue
                unmount(str(probe / "merged"))
                return prefix
            fs = _backing_fs(self.home)
            raise UnknownDriver(
                f"error initializing graphdriver: driver not supported: overlay2 on {fs} ({error.strerror})"
            )
        finally:
            shutil.rmtree(probe, ignore_errors=True)

    def _dir(self, layer_id: str) -> Path:
        return self.home / check_id(layer_id)

    def create(self, layer_id: str, parent: str | None) -> None:
        """Make an empty layer on ``parent``. Raises DriverFailure past 128 layers."""
        layer = self._dir(layer_id)
        lowers: list[str] = []
        if parent is not None:
            pdir = self._dir(parent)
            lowers = [f"l/{(pdir / 'link').read_text()}"]
            if (pdir / "lower").exists():
                lowers += (pdir / "lower").read_text().split(":")
            if len(lowers) >= MAX_DEPTH:
                raise DriverFailure(f"max depth exceeded: an image can have at most {MAX_DEPTH} layers")
        layer.mkdir(mode=0o710)
        (layer / "diff").mkdir(mode=0o755)
        link = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")
        os.symlink(f"../{layer_id}/diff", self.home / "l" / link)
        (layer / "link").write_text(link)
        if lowers:
            (layer / "work").mkdir(mode=0o700)
            (layer / "merged").mkdir(mode=0o700)
            (layer / "lower").write_text(":".join(lowers))

    def remove(self, layer_id: str) -> None:
        """Remove the layer, unmounting it first if needed."""
        layer = self._dir(layer_id)
        with self._lock:
            self._counts.pop(layer_id, None)
        merged = layer / "merged"
        if merged.exists() and is_mountpoint(str(merged)):
            unmount(str(merged))
        try:
            link = (layer / "link").read_text()
            (self.home / "l" / link).unlink(missing_ok=True)
        except FileNotFoundError:
            pass
        shutil.rmtree(layer, ignore_errors=True)

    def exists(self, layer_id: str) -> bool:
        """Whether the layer exists."""
        return (self._dir(layer_id) / "diff").is_dir()

    def ids(self) -> list[str]:
        """Every layer ID on disk."""
        return sorted(p.name for p in self.home.iterdir() if p.name != "l" and (p / "link").exists())

    def apply_diff(self, layer_id: str, stream: IO[bytes], split: Path | None) -> ApplyResult:
        """Apply a layer tar into the layer's diff directory, whiteouts in overlay form."""
        return apply_tar(stream, self._dir(layer_id) / "diff", whiteouts=WhiteoutFormat.OVERLAY, split=split)

    def content_dir(self, layer_id: str) -> Path:
        """The layer's diff directory."""
        return self._dir(layer_id) / "diff"

    def _lowers(self, layer_id: str) -> list[str]:
        lower = self._dir(layer_id) / "lower"
        return lower.read_text().split(":") if lower.exists() else []

    def _lower_dirs(self, layer_id: str) -> list[Path]:
        return [Path(os.path.realpath(self.home / rel)) for rel in self._lowers(layer_id)]

    def _options(self, layer_id: str, absolute: bool) -> str:
        lowers = self._lowers(layer_id)
        if absolute:
            return (
                f"{self._prefix}lowerdir={':'.join(str(self.home / rel) for rel in lowers)},"
                f"upperdir={self.home / layer_id / 'diff'},workdir={self.home / layer_id / 'work'}"
            )
        return f"{self._prefix}lowerdir={':'.join(lowers)},upperdir={layer_id}/diff,workdir={layer_id}/work"

    def mount(self, layer_id: str) -> Path:
        """Mount the layer; a layer without lowers is its diff directory, unmounted."""
        layer = self._dir(layer_id)
        if not self._lowers(layer_id):
            return layer / "diff"
        merged = layer / "merged"
        with self._lock:
            count = self._counts.get(layer_id, 0)
            if count == 0 and not is_mountpoint(str(merged)):
                data = self._options(layer_id, absolute=True)
                try:
                    if len(data) < _PAGE:
                        mount("overlay", str(merged), "overlay", data)
                    else:
                        relative = self._options(layer_id, absolute=False)
                        if len(relative) >= _PAGE:
                            raise DriverFailure("cannot mount layer: the mount options are too long")
                        mount_from(str(self.home), "overlay", f"{layer_id}/merged", "overlay", relative)
                except OSError as exc:
                    raise DriverFailure(f"error mounting layer {layer_id}: {exc.strerror}") from exc
            self._counts[layer_id] = count + 1
        return merged

    def unmount(self, layer_id: str) -> None:
        """Drop one mount reference, unmounting at the last."""
        merged = self._dir(layer_id) / "merged"
        if not self._lowers(layer_id):
            return
        with self._lock:
            count = self._counts.get(layer_id, 0)
            if count > 1:
                self._counts[layer_id] = count - 1
                return
            self._counts.pop(layer_id, None)
            try:
                unmount(str(merged))
            except OSError as exc:
                raise DriverFailure(f"error unmounting layer {layer_id}: {exc.strerror}") from exc

    def is_mounted(self, layer_id: str) -> bool:
        """Whether this driver holds a mount of the layer."""
        with self._lock:
            return self._counts.get(layer_id, 0) > 0

    def mounts(self, layer_id: str) -> list[Mount]:
        """The overlay mount (absolute paths), or a bind mount of a layer without lowers."""
        layer = self._dir(layer_id)
        if not self._lowers(layer_id):
            return [Mount("bind", str(layer / "diff"), ("rbind", "rw"))]
        options = tuple(self._options(layer_id, absolute=True).split(","))
        return [Mount("overlay", "overlay", options)]

    def changes(self, layer_id: str, parent: str | None) -> list[Change]:
        """The changes in the layer's diff directory over its lowers."""
        return overlay_changes(self._dir(layer_id) / "diff", self._lower_dirs(layer_id))

    def diff(self, layer_id: str, parent: str | None) -> Iterator[bytes]:
        """A layer tar of the diff directory, whiteouts in tar form."""
        return tar_tree(self._dir(layer_id) / "diff", overlay_whiteouts=True)

    def diff_size(self, layer_id: str, parent: str | None) -> int:
        """Bytes held by the diff directory."""
        return tree_size(self._dir(layer_id) / "diff")

    def status(self) -> list[tuple[str, str]]:
        """Backing file system and features, for ``docker info``."""
        return [
            ("Backing Filesystem", _backing_fs(self.home)),
            ("Supports d_type", "true"),
            ("Native Overlay Diff", "true"),
            ("userxattr", "false"),
        ]

    def cleanup(self) -> None:
        """Unmount every layer this driver mounted."""
        with self._lock:
            ids = list(self._counts)
            self._counts.clear()
        for layer_id in ids:
            unmount(str(self.home / layer_id / "merged"))


def _factory(home: Path, options: Mapping[str, str]) -> Driver:
    return OverlayDriver(home, options)


DRIVERS["overlay2"] = _factory
