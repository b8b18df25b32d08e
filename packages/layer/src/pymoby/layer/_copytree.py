"""Copying a root file system tree exactly (the vfs driver's layer creation), and measuring trees."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["copy_tree", "tree_size"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_COPY_CHUNK = 1 << 30


def _copy_xattrs(src: int | str, dst: int | str) -> None:
    try:
        names = os.listxattr(src) if isinstance(src, int) else os.listxattr(src, follow_symlinks=False)
    except OSError:
        return
    for name in names:
        try:
            if isinstance(src, int) and isinstance(dst, int):
                os.setxattr(dst, name, os.getxattr(src, name))
            else:
                value = os.getxattr(src, name, follow_symlinks=False)
                os.setxattr(dst, name, value, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in (errno.ENOTSUP, errno.EPERM, errno.EOPNOTSUPP):
                raise


def _copy_data(src: int, dst: int, size: int) -> None:
    left = size
    try:
        while left > 0:
            done = os.copy_file_range(src, dst, min(left, _COPY_CHUNK))
            if done == 0:
                break
            left -= done
        return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
    os.lseek(src, size - left, os.SEEK_SET)
    while chunk := os.read(src, 1 << 20):
        os.write(dst, chunk)


def copy_tree(src: Path, dst: Path) -> None:
    """Copy everything under ``src`` into the existing directory ``dst``.

    Keeps file types (devices, FIFOs, sockets too), hardlinks within the tree,
    owners, modes, extended attributes and nanosecond times; directories get
    their times after their contents. Symlinks are copied, never followed.
    """
    links: dict[tuple[int, int], str] = {}

    def walk(sfd: int, dfd: int, rel: str) -> None:
        for name in os.listdir(sfd):
            st = os.stat(name, dir_fd=sfd, follow_symlinks=False)
            mode = st.st_mode
            times = (st.st_atime_ns, st.st_mtime_ns)
            if stat.S_ISDIR(mode):
                os.mkdir(name, 0o700, dir_fd=dfd)
                child_s = os.open(name, _DIR_FLAGS, dir_fd=sfd)
                child_d = os.open(name, _DIR_FLAGS, dir_fd=dfd)
                try:
                    walk(child_s, child_d, f"{rel}{name}/")
                    os.fchown(child_d, st.st_uid, st.st_gid)
                    os.fchmod(child_d, stat.S_IMODE(mode))
                    _copy_xattrs(child_s, child_d)
                    os.utime(child_d, ns=times)
                finally:
                    os.close(child_s)
                    os.close(child_d)
            elif stat.S_ISREG(mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in links:
                    os.link(links[key], name, src_dir_fd=top, dst_dir_fd=dfd, follow_symlinks=False)
                    continue
                s = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=sfd)
                try:
                    d = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600, dir_fd=dfd)
                    try:
                        _copy_data(s, d, st.st_size)
                        os.fchown(d, st.st_uid, st.st_gid)
                        os.fchmod(d, stat.S_IMODE(mode))
                        _copy_xattrs(s, d)
                        os.utime(d, ns=times)
                    finally:
                        os.close(d)
                finally:
                    os.close(s)
                if st.st_nlink > 1:
                    links[key] = rel + name
            else:
                if stat.S_ISLNK(mode):
                    os.symlink(os.readlink(name, dir_fd=sfd), name, dir_fd=dfd)
                else:
                    os.mknod(name, mode, st.st_rdev, dir_fd=dfd)
                os.chown(name, st.st_uid, st.st_gid, dir_fd=dfd, follow_symlinks=False)
                if not stat.S_ISLNK(mode):
                    os.chmod(name, stat.S_IMODE(mode), dir_fd=dfd)
                _copy_xattrs(f"/proc/self/fd/{sfd}/{name}", f"/proc/self/fd/{dfd}/{name}")
                os.utime(name, ns=times, dir_fd=dfd, follow_symlinks=False)

    sfd = os.open(src, _DIR_FLAGS & ~os.O_NOFOLLOW)
    dfd = top = os.open(dst, _DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        walk(sfd, dfd, "")
        st = os.stat(sfd)
        os.fchown(dfd, st.st_uid, st.st_gid)
        os.fchmod(dfd, stat.S_IMODE(st.st_mode))
        _copy_xattrs(sfd, dfd)
        os.utime(dfd, ns=(st.st_atime_ns, st.st_mtime_ns))
    finally:
        os.close(sfd)
        os.close(dfd)


def tree_size(root: Path) -> int:
    """Bytes held by the files under ``root`` (sizes of everything but directories; hardlinks once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, dirnames, filenames, dir_fd in os.fwalk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    continue
                seen.add(key)
            total += st.st_size
    return total
