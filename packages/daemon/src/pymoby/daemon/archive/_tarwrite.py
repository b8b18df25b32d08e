"""Writing the tar of a container path (``GET /containers/{id}/archive``), crossing its mounts.

Entries come as Docker's tarballer writes them for ``docker cp``: the
resource itself renamed to the base name the client asked for, then (for a
directory) what is under it in lexical order, walking into volumes and
binds mounted below. Symlinks are stored, never followed; hardlinks within
the archive become link entries; sockets are left out (tar cannot hold
them); ``security.capability`` is kept, as go-archive does; times are whole
seconds. Output is batched into chunks of about a megabyte.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator

from pymoby.layer import encode_header

from ._fs import ContainerFS

__all__ = ["batched", "tar_resource"]

_READ = 1 << 20
_BATCH = 1 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_CAPABILITY = "security.capability"
END_OF_ARCHIVE = bytes(1024)


def batched(pieces: Iterable[bytes], size: int = _BATCH) -> Iterator[bytes]:
    """Join small pieces into chunks of at least ``size`` bytes (large pieces pass as they are)."""
    buf = bytearray()
    for piece in pieces:
        if not buf and len(piece) >= size:
            yield piece
            continue
        buf += piece
        if len(buf) >= size:
            yield bytes(buf)
            buf.clear()
    if buf:
        yield bytes(buf)


def _capability(dir_fd: int, name: str, st: os.stat_result) -> dict[str, bytes] | None:
    if not stat.S_ISREG(st.st_mode):
        return None
    try:
        return {_CAPABILITY: os.getxattr(f"/proc/self/fd/{dir_fd}/{name}", _CAPABILITY, follow_symlinks=False)}
    except OSError:
        return None


class _Writer:
    def __init__(self) -> None:
        self.links: dict[tuple[int, int], str] = {}

    def entry(self, dir_fd: int, name: str, tar_name: str, st: os.stat_result) -> Iterator[bytes]:
        mode = st.st_mode
        perm, uid, gid, mtime = mode & 0o7777, st.st_uid, st.st_gid, int(st.st_mtime)
        if stat.S_ISDIR(mode):
            yield encode_header(
                tar_name if tar_name.endswith("/") else tar_name + "/", b"5", mode=perm, uid=uid, gid=gid, mtime=mtime
            )
        elif stat.S_ISREG(mode):
            if st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                first = self.links.get(key)
                if first is not None:
                    yield encode_header(tar_name, b"1", linkname=first, mode=perm, uid=uid, gid=gid, mtime=mtime)
                    return
                self.links[key] = tar_name
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
            try:
                size = st.st_size
                yield encode_header(
                    tar_name, b"0", size=size, mode=perm, uid=uid, gid=gid, mtime=mtime,
                    xattrs=_capability(dir_fd, name, st),
                )  # fmt: skip
                left = size
                while left:
                    chunk = os.read(fd, min(_READ, left)) or bytes(min(_READ, left))  # shrunk meanwhile: pad
                    left -= len(chunk)
                    yield chunk
            finally:
                os.close(fd)
            if size % 512:
                yield bytes(-size % 512)
        elif stat.S_ISLNK(mode):
            target = os.readlink(name, dir_fd=dir_fd)
            yield encode_header(tar_name, b"2", linkname=target, mode=perm, uid=uid, gid=gid, mtime=mtime)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            yield encode_header(
                tar_name, b"3" if stat.S_ISCHR(mode) else b"4", mode=perm, uid=uid, gid=gid, mtime=mtime,
                devmajor=os.major(st.st_rdev), devminor=os.minor(st.st_rdev),
            )  # fmt: skip
        elif stat.S_ISFIFO(mode):
            yield encode_header(tar_name, b"6", mode=perm, uid=uid, gid=gid, mtime=mtime)
        # sockets: not representable in tar, skipped as Docker does

    def tree(self, fs: ContainerFS, dir_fd: int, path: str, prefix: str) -> Iterator[bytes]:
        """The entries under the readable directory ``dir_fd`` (container path ``path``), named ``prefix/...``."""
        for name in sorted(os.listdir(dir_fd)):
            child = f"{path.rstrip('/')}/{name}"
            tar_name = f"{prefix}/{name}" if prefix else f"/{name}"
            mounted = fs.mount_at(child)
            if mounted is not None:
                parent_fd, real_name, _, _ = mounted
            else:
                parent_fd, real_name = dir_fd, name
            try:
                st = os.stat(real_name, dir_fd=parent_fd, follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed while we walk
            yield from self.entry(parent_fd, real_name, tar_name, st)
            if stat.S_ISDIR(st.st_mode):
                try:
                    sub = os.open(real_name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=parent_fd)
                except FileNotFoundError:
                    continue
                try:
                    yield from self.tree(fs, sub, child, tar_name)
                finally:
                    os.close(sub)


def tar_resource(fs: ContainerFS, dir_fd: int, name: str, path: str, rebase: str) -> Iterator[bytes]:
    """The tar (unbatched pieces) of the resource ``name`` in ``dir_fd`` (container path ``path``),
    stored under ``rebase`` (the base name asked for; ``.`` keeps ``./`` names)."""
    writer = _Writer()
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    # Docker rebases "." to the base name, and a base of "/" to nothing (names then start with "/").
    root_name = "" if rebase == "/" else rebase
    yield from writer.entry(dir_fd, name, root_name if root_name else "/", st)
    if stat.S_ISDIR(st.st_mode):
        flags = _DIR_FLAGS if name == "." else _DIR_FLAGS | os.O_NOFOLLOW
        fd = os.open(name, flags, dir_fd=dir_fd)
        try:
            yield from writer.tree(fs, fd, path, root_name)
        finally:
            os.close(fd)
    yield END_OF_ARCHIVE
