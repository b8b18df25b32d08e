"""Writing tar streams of directories: layer diffs, ``docker export``, and the tar writer itself.

The streams are reproducible: entries come in sorted order, headers hold no
user or group names and whole-second modification times (as Docker writes
layers), and nothing depends on when or where the tar is made. So the same
tree gives the same bytes, and the same diff ID.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ._changes import OPAQUE_XATTR, Change, ChangeKind, is_whiteout
from ._rootfs import InRoot
from ._tarformat import BLOCK, encode_header

__all__ = ["TarWriter", "tar_changes", "tar_tree"]

_READ = 1 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_KEPT_XATTR_PREFIXES = ("security.capability", "user.")
END_OF_ARCHIVE = bytes(2 * BLOCK)


def _xattrs(target: int | str) -> dict[str, bytes] | None:
    try:
        names = os.listxattr(target) if isinstance(target, int) else os.listxattr(target, follow_symlinks=False)
    except OSError:
        return None
    found: dict[str, bytes] = {}
    for name in sorted(names):
        if name.startswith(_KEPT_XATTR_PREFIXES):
            try:
                if isinstance(target, int):
                    found[name] = os.getxattr(target, name)
                else:
                    found[name] = os.getxattr(target, name, follow_symlinks=False)
            except OSError:
                continue
    return found or None


class TarWriter:
    """Produces tar bytes for files found on disk, tracking hardlinks between them."""

    def __init__(self) -> None:
        self._inodes: dict[tuple[int, int], str] = {}

    def entry(self, dir_fd: int, base: str, name: str, st: os.stat_result | None = None) -> Iterator[bytes]:
        """The header and contents of the file ``base`` in directory ``dir_fd``, stored as ``name``.

        Sockets are skipped (tar cannot hold them). A file that changes size
        while it is read is cut or zero-padded to the size in its header.
        """
        if st is None:
            st = os.stat(base, dir_fd=dir_fd, follow_symlinks=False)
        mode = st.st_mode
        perm, uid, gid, mtime = mode & 0o7777, st.st_uid, st.st_gid, int(st.st_mtime)
        proc = f"/proc/self/fd/{dir_fd}/{base}"
        if stat.S_ISDIR(mode):
            fd = os.open(base, _DIR_FLAGS, dir_fd=dir_fd)
            try:
                xattrs = _xattrs(fd)
            finally:
                os.close(fd)
            yield encode_header(name.rstrip("/") + "/", b"5", xattrs=xattrs, mode=perm, uid=uid, gid=gid, mtime=mtime)
        elif stat.S_ISREG(mode):
            if st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                first = self._inodes.get(key)
                if first is not None:
                    yield encode_header(name, b"1", linkname=first, mode=perm, uid=uid, gid=gid, mtime=mtime)
                    return
                self._inodes[key] = name
            fd = os.open(base, _FILE_FLAGS, dir_fd=dir_fd)
            try:
                yield encode_header(
                    name, b"0", size=st.st_size, xattrs=_xattrs(fd), mode=perm, uid=uid, gid=gid, mtime=mtime
                )
                left = st.st_size
                while left:
                    chunk = os.read(fd, min(_READ, left))
                    if not chunk:
                        chunk = bytes(min(_READ, left))
                    left -= len(chunk)
                    yield chunk
            finally:
                os.close(fd)
            if st.st_size % BLOCK:
                yield bytes(-st.st_size % BLOCK)
        elif stat.S_ISLNK(mode):
            target = os.readlink(base, dir_fd=dir_fd)
            yield encode_header(
                name, b"2", linkname=target, xattrs=_xattrs(proc), mode=perm, uid=uid, gid=gid, mtime=mtime
            )
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            yield encode_header(
                name,
                b"3" if stat.S_ISCHR(mode) else b"4",
                devmajor=os.major(st.st_rdev),
                devminor=os.minor(st.st_rdev),
                xattrs=_xattrs(proc),
                mode=perm,
                uid=uid,
                gid=gid,
                mtime=mtime,
            )
        elif stat.S_ISFIFO(mode):
            yield encode_header(name, b"6", xattrs=_xattrs(proc), mode=perm, uid=uid, gid=gid, mtime=mtime)


def tar_tree(
    root: Path, *, overlay_whiteouts: bool = False, skip: Callable[[str], bool] | None = None
) -> Iterator[bytes]:
    """A tar of everything under ``root`` (not ``root`` itself), in sorted order.

    With ``overlay_whiteouts``, ``root`` is an overlay upper directory: its
    0:0 character devices become ``.wh.NAME`` entries and its opaque
    directories get a ``.wh..wh..opq`` entry, the layer tar form. ``skip``
    takes a relative path and returns True to leave it (and what is under it) out.
    """
    writer = TarWriter()

    def walk(dir_fd: int, rel: str) -> Iterator[bytes]:
        for base in sorted(os.listdir(dir_fd)):
            name = f"{rel}/{base}" if rel else base
            if skip is not None and skip(name):
                continue
            st = os.stat(base, dir_fd=dir_fd, follow_symlinks=False)
            if overlay_whiteouts and is_whiteout(st):
                wh = f"{rel}/.wh.{base}" if rel else f".wh.{base}"
                yield encode_header(wh, b"0", mode=0o600, uid=st.st_uid, gid=st.st_gid, mtime=int(st.st_mtime))
                continue
            yield from writer.entry(dir_fd, base, name, st)
            if stat.S_ISDIR(st.st_mode):
                child = os.open(base, _DIR_FLAGS, dir_fd=dir_fd)
                try:
                    if overlay_whiteouts and _opaque(child):
                        yield encode_header(
                            f"{name}/.wh..wh..opq",
                            b"0",
                            mode=st.st_mode & 0o777,
                            uid=st.st_uid,
                            gid=st.st_gid,
                            mtime=int(st.st_mtime),
                        )
                    yield from walk(child, name)
                finally:
                    os.close(child)

    top = os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        yield from walk(top, "")
    finally:
        os.close(top)
    yield END_OF_ARCHIVE


def _opaque(fd: int) -> bool:
    try:
        return os.getxattr(fd, OPAQUE_XATTR) == b"y"
    except OSError:
        return False


def tar_changes(root: Path, changes: Iterable[Change], deleted_mtime: Callable[[str], int]) -> Iterator[bytes]:
    """A layer tar holding ``changes``: the changed files from ``root``, and a whiteout per deletion.

    ``deleted_mtime(path)`` gives the whiteout's time (the vfs driver uses the
    time of the directory that lost the entry, so the result is reproducible).
    """
    writer = TarWriter()
    with InRoot(root) as tree:
        for change in sorted(changes):
            rel = change.path.lstrip("/")
            parent, _, base = rel.rpartition("/")
            if change.kind is ChangeKind.DELETE:
                wh = f"{parent}/.wh.{base}" if parent else f".wh.{base}"
                yield encode_header(wh, b"0", mode=0o600, mtime=deleted_mtime(parent))
                continue
            yield from writer.entry(tree.dir_fd(parent), base, rel)
    yield END_OF_ARCHIVE
