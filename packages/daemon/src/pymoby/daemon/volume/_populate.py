"""Filling a new volume from the image, and mounting a volume's sub-path safely.

:func:`populate_volume` is Docker's ``CopyImagePathContent``: when a
container first mounts an empty volume where its image has a directory,
that directory's content (and its owner, mode and times) is copied into
the volume. The image side is resolved inside the container's root with
:class:`~pymoby.daemon.archive.ContainerFS` and walked with ``O_NOFOLLOW``
descriptors, so a symlink in the image never makes the copy read the host.

:func:`bind_subpath` is Docker's ``safepath.Join``: the sub-path is walked
without following any symlink (a container could otherwise point it
anywhere) and the directory found is bind-mounted on a private path by its
descriptor, which is what the container then gets.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import posixpath
import stat
import tempfile

from ..archive import ContainerFS
from ._errors import InvalidMountSpec, PathNotAccessible, VolumeMountError
from ._sysmount import mount, unmount

__all__ = ["bind_subpath", "copy_tree", "populate_volume", "release_subpath"]

log = logging.getLogger("pymoby.daemon.volume")

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_IGNORED_XATTR = (errno.ENOTSUP, errno.EPERM, errno.EOPNOTSUPP, errno.ENODATA)


def _copy_xattrs(src: str, dst: str) -> None:
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError:
        return
    for name in names:
        try:
            os.setxattr(dst, name, os.getxattr(src, name, follow_symlinks=False), follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in _IGNORED_XATTR:
                raise


def _attrs(sfd: int, name: str, dfd: int, dname: str, st: os.stat_result) -> None:
    """Owner, mode, xattrs and times of ``dname`` from ``st`` (never following a symlink)."""
    os.chown(dname, st.st_uid, st.st_gid, dir_fd=dfd, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):
        fd = os.open(dname, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
        try:
            os.chmod(f"/proc/self/fd/{fd}", stat.S_IMODE(st.st_mode))
        finally:
            os.close(fd)
    _copy_xattrs(f"/proc/self/fd/{sfd}/{name}", f"/proc/self/fd/{dfd}/{dname}")
    os.utime(dname, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dfd, follow_symlinks=False)


def _copy_data(src: int, dst: int, size: int) -> None:
    left = size
    with contextlib.suppress(OSError):
        while left > 0:
            done = os.copy_file_range(src, dst, min(left, 1 << 30))
            if done == 0:
                break
            left -= done
        if left == 0:
            return
    os.lseek(src, size - left, os.SEEK_SET)
    os.lseek(dst, size - left, os.SEEK_SET)
    while chunk := os.read(src, 1 << 20):
        os.write(dst, chunk)


def copy_tree(sfd: int, dfd: int, links: dict[tuple[int, int], tuple[int, str]] | None = None) -> None:
    """Copy what is in the directory ``sfd`` into the directory ``dfd`` (both readable descriptors):
    file types, hardlinks, owners, modes, xattrs and times; symlinks copied, never followed."""
    links = {} if links is None else links
    for name in sorted(os.listdir(sfd)):
        st = os.stat(name, dir_fd=sfd, follow_symlinks=False)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            os.mkdir(name, 0o700, dir_fd=dfd)
            child_s = os.open(name, _DIR, dir_fd=sfd)
            try:
                child_d = os.open(name, _DIR, dir_fd=dfd)
                try:
                    copy_tree(child_s, child_d, links)
                finally:
                    os.close(child_d)
            finally:
                os.close(child_s)
        elif stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in links:
                first_dir, first_name = links[key]
                os.link(first_name, name, src_dir_fd=first_dir, dst_dir_fd=dfd, follow_symlinks=False)
                continue
            src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=sfd)
            try:
                dst = os.open(
                    name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd
                )
                try:
                    _copy_data(src, dst, st.st_size)
                finally:
                    os.close(dst)
            finally:
                os.close(src)
            if st.st_nlink > 1:
                links[key] = (os.dup(dfd), name)
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(name, dir_fd=sfd), name, dir_fd=dfd)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            os.mknod(name, stat.S_IFMT(mode) | 0o600, st.st_rdev, dir_fd=dfd)
        else:
            continue  # sockets belong to the processes that made them
        _attrs(sfd, name, dfd, name, st)


def populate_volume(rootfs: str, destination: str, volume_path: str) -> bool:
    """Copy the image's ``destination`` directory into ``volume_path`` if the volume is empty.

    Nothing happens (False) when the volume holds anything, or the image has
    no directory there. Blocking.
    """
    dst = os.open(volume_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if os.listdir(dst):
            log.debug("volume %s is not empty, not copying %s into it", volume_path, destination)
            return False
        with ContainerFS(rootfs, create_mountpoints=False) as fs:
            try:
                node = fs.resolve(destination, follow_last=True)
            except (FileNotFoundError, NotADirectoryError):
                return False
            with node:
                st = node.lstat()
                if not stat.S_ISDIR(st.st_mode):
                    return False
                src = node.open_dir()
        links: dict[tuple[int, int], tuple[int, str]] = {}
        try:
            copy_tree(src, dst, links)
            os.chown(dst, st.st_uid, st.st_gid)
            os.chmod(dst, stat.S_IMODE(st.st_mode))
            _copy_xattrs(f"/proc/self/fd/{src}", f"/proc/self/fd/{dst}")
            os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
        finally:
            os.close(src)
            for fd, _ in links.values():
                os.close(fd)
        return True
    finally:
        os.close(dst)


def bind_subpath(volume_path: str, subpath: str, scratch_dir: str) -> str:
    """Bind-mount ``subpath`` of the volume (no symlink allowed on the way) on a private path; that path.

    Raises PathNotAccessible (missing, or a symlink on the way), InvalidMountSpec (escapes the volume),
    VolumeMountError. Undo with :func:`release_subpath`.
    """
    clean = posixpath.normpath(subpath)
    if clean.startswith("/") or clean == ".." or clean.startswith("../"):
        raise InvalidMountSpec(
            f"path concatenation escapes the base directory, base: {volume_path}, subpath: {subpath}"
        )
    full = posixpath.join(volume_path, clean)
    fd = os.open(volume_path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for comp in clean.split("/"):
            if comp in ("", "."):
                continue
            try:
                nxt = os.open(comp, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as exc:
                raise PathNotAccessible(f"cannot access path {full}: {exc.strerror}") from exc
            os.close(fd)
            fd = nxt
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                raise PathNotAccessible(f"cannot access path {full}: {os.strerror(errno.ELOOP)}")
        os.makedirs(scratch_dir, mode=0o700, exist_ok=True)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            target = tempfile.mkdtemp(prefix="safe-mount-", dir=scratch_dir)
        else:
            handle, target = tempfile.mkstemp(prefix="safe-mount-", dir=scratch_dir)
            os.close(handle)
        try:
            mount(f"/proc/self/fd/{fd}", target, "none", "bind")
        except OSError as exc:
            _remove(target)
            raise VolumeMountError(f"failed to mount resolved path: {exc.strerror}") from exc
        return target
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        else:
            os.unlink(path)


def release_subpath(path: str) -> None:
    """Undo :func:`bind_subpath` (once the container holds its own mount of it)."""
    try:
        unmount(path)
    except OSError as exc:
        log.warning("error unmounting safe mount %s: %s", path, exc)
    _remove(path)
