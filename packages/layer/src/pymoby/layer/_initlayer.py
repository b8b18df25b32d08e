"""The init layer every container gets: the mount points Docker's daemon prepares in it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ._rootfs import InRoot

__all__ = ["INIT_LAYER_PATHS", "setup_init_layer"]

#: What Docker's setupInitLayer creates when the image lacks it: path -> "dir", "file" or a symlink target.
INIT_LAYER_PATHS: dict[str, str] = {
    "dev/pts": "dir",
    "dev/shm": "dir",
    "proc": "dir",
    "sys": "dir",
    ".dockerenv": "file",
    "etc/resolv.conf": "file",
    "etc/hosts": "file",
    "etc/hostname": "file",
    "dev/console": "file",
    "etc/mtab": "/proc/mounts",
}


def setup_init_layer(root: Path, uid: int = 0, gid: int = 0) -> None:
    """Create the mount points a container needs under ``root`` (an init layer's mounted root).

    Only what is missing is created (empty files, directories, the
    ``/etc/mtab`` symlink), owned by ``uid:gid``; paths resolve inside
    ``root``, so an image whose ``/etc`` is a symlink cannot redirect them.
    Use it as the ``init`` argument of ``LayerStore.create_rw_layer``.
    """
    with InRoot(root) as tree:
        for path, kind in INIT_LAYER_PATHS.items():
            parent, _, base = path.rpartition("/")
            pfd = tree.dir_fd(parent, create=True)
            try:
                os.stat(base, dir_fd=pfd, follow_symlinks=False)
                continue
            except FileNotFoundError:
                pass
            if kind == "dir":
                os.mkdir(base, 0o755, dir_fd=pfd)
            elif kind == "file":
                os.close(os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o755, dir_fd=pfd))
            else:
                os.symlink(kind, base, dir_fd=pfd)
            os.chown(base, uid, gid, dir_fd=pfd, follow_symlinks=False)
            if kind in ("dir", "file") and not stat.S_ISLNK(os.stat(base, dir_fd=pfd, follow_symlinks=False).st_mode):
                os.chmod(base, 0o755, dir_fd=pfd)
