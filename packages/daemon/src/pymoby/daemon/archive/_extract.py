"""Extracting an uploaded tar into a container directory (``PUT /containers/{id}/archive``).

The rules are go-archive's ``Untar`` as Docker applies it for ``docker cp``:
entry names are cleaned and must stay under the extraction directory
(``"../x" is outside of "/tmp"``); a symlink or hardlink whose target
climbs out of it is refused; missing parent directories are made (0755);
an existing entry is replaced, except that a directory merges into a
directory, and with ``noOverwriteDirNonDir`` a directory is never replaced
by a non-directory nor the reverse; owners come from the headers (or all
become the container user's with ``copyUIDGID``); modes, extended
attributes (where the file system takes them) and times are applied,
directories' times last. ``.wh.`` files are plain files here, not
whiteouts.

Every path is resolved through :class:`~._fs.ContainerFS`, so the writes
stay inside the container (its volumes and binds included) whatever
symlinks the container or the archive holds; a write into a read-only
mount or a read-only root is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass

from ._errors import ExtractError, NotADirectoryTarget, ReadOnlyTarget
from ._fs import ContainerFS, FSMount
from ._tarread import TarEntry, TarStream, decompressed

__all__ = ["ExtractOptions", "extract_archive", "writable_check"]

_PATH_DIR = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
_IGNORED_XATTR = (errno.ENOTSUP, errno.EPERM, errno.EOPNOTSUPP)
_NODES = {b"3": stat.S_IFCHR, b"4": stat.S_IFBLK, b"6": stat.S_IFIFO}


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """How to extract: Docker's ``noOverwriteDirNonDir``, and the owner ``copyUIDGID`` resolved to."""

    no_overwrite_dir_non_dir: bool = True
    #: ``(uid, gid)`` every entry gets (``copyUIDGID`` with a container user); ``None``: the headers' owners.
    chown: tuple[int, int] | None = None


def writable_check(fs: ContainerFS, mount: FSMount | None) -> None:
    """Raise ReadOnlyTarget when writing under ``mount`` (``None``: the root file system) is not allowed."""
    if mount is not None:
        if mount.read_only:
            raise ReadOnlyTarget("mounted volume is marked read-only")
        return
    if fs.read_only_root:
        raise ReadOnlyTarget("container rootfs is marked read-only")


def _escapes(base: str, target: str) -> bool:
    return not (target == base or target.startswith(base.rstrip("/") + "/") or base == "/")


class _Extractor:
    def __init__(self, fs: ContainerFS, dest: str, options: ExtractOptions) -> None:
        self.fs = fs
        self.dest = dest
        self.options = options
        self.as_root = os.geteuid() == 0
        self._dirs: dict[str, tuple[int, FSMount | None]] = {}
        self._times: list[tuple[str, int, int]] = []

    def close(self) -> None:
        for fd, _ in self._dirs.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._dirs.clear()

    def _forget(self, path: str) -> None:
        prefix = path.rstrip("/") + "/"
        for key in [k for k in self._dirs if k == path or k.startswith(prefix)]:
            fd, _ = self._dirs.pop(key)
            os.close(fd)

    def directory(self, path: str) -> tuple[int, FSMount | None]:
        """A pinned descriptor of the directory ``path`` (made, with its parents, when missing)."""
        found = self._dirs.get(path)
        if found is not None:
            return found
        try:
            node = self.fs.resolve(path, follow_last=True)
        except FileNotFoundError:
            # Check the deepest existing ancestor is writable before making what is missing under it.
            ancestor = posixpath.dirname(path)
            while True:
                try:
                    with self.fs.resolve(ancestor, follow_last=True) as existing:
                        writable_check(self.fs, existing.mount)
                    break
                except FileNotFoundError:
                    ancestor = posixpath.dirname(ancestor)
            node = self.fs.resolve(path, follow_last=True, create_dirs=True)
        with node:
            flags = _PATH_DIR if node.name == "." else _PATH_DIR | os.O_NOFOLLOW
            fd = os.open(node.name, flags, dir_fd=node.dir_fd)
            found = (fd, node.mount)
        if len(self._dirs) > 256:
            self.close()
        self._dirs[path] = found
        return found

    def _remove(self, pfd: int, base: str, path: str, st: os.stat_result) -> None:
        if stat.S_ISDIR(st.st_mode):
            self._forget(path)
            shutil.rmtree(base, dir_fd=pfd)
        else:
            os.unlink(base, dir_fd=pfd)

    def _owner(self, entry: TarEntry) -> tuple[int, int]:
        return self.options.chown if self.options.chown is not None else (entry.uid, entry.gid)

    def _xattrs(self, pfd: int, base: str, entry: TarEntry) -> None:
        for key, value in (entry.xattrs or {}).items():
            try:
                os.setxattr(f"/proc/self/fd/{pfd}/{base}", key, value, follow_symlinks=False)
            except OSError as exc:
                if exc.errno not in _IGNORED_XATTR:
                    raise

    def entry(self, entry: TarEntry, stream: TarStream) -> None:
        name = posixpath.normpath(entry.name) if entry.name else "."
        path = posixpath.normpath(self.dest + "/" + name)
        if name == ".." or name.startswith("../"):
            raise ExtractError(f"{entry.name!r} is outside of {self.dest!r}")
        parent, base = posixpath.split(path)
        if path == self.dest:
            parent, base = self.dest, "."
        pfd, mount = self.directory(parent)
        writable_check(self.fs, mount)
        is_dir_entry = entry.type == b"5"
        if base != ".":
            try:
                st = os.stat(base, dir_fd=pfd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None:
                existing_dir = stat.S_ISDIR(st.st_mode)
                if self.options.no_overwrite_dir_non_dir and existing_dir and not is_dir_entry:
                    raise ExtractError(f'cannot overwrite directory "{path}" with non-directory "{self.dest}"')
                if self.options.no_overwrite_dir_non_dir and not existing_dir and is_dir_entry:
                    raise ExtractError(f'cannot overwrite non-directory "{path}" with directory "{self.dest}"')
                if not (existing_dir and is_dir_entry):
                    self._remove(pfd, base, path, st)
        elif not is_dir_entry:
            raise ExtractError(f'cannot overwrite directory "{path}" with non-directory "{self.dest}"')
        else:
            return  # "." onto the existing directory: nothing to do, as Docker
        self._create(pfd, base, path, entry, stream)

    def _create(self, pfd: int, base: str, path: str, entry: TarEntry, stream: TarStream) -> None:
        typ = entry.type
        mode = entry.mode & 0o7777
        atime = entry.atime_ns if entry.atime_ns is not None else entry.mtime_ns
        if typ == b"5":
            with contextlib.suppress(FileExistsError):
                os.mkdir(base, 0o755, dir_fd=pfd)
        elif typ in (b"0", b"7"):
            fd = os.open(base, _FILE, 0o600, dir_fd=pfd)
            try:
                stream.copy_payload(lambda view: _write_all(fd, view))
            finally:
                os.close(fd)
        elif typ == b"2":
            # Go's filepath.Join concatenates: an absolute target is taken under the link's directory.
            target = posixpath.normpath(posixpath.dirname(path) + "/" + entry.linkname)
            if _escapes(self.dest, target):
                raise ExtractError(f'invalid symlink "{path}" -> "{entry.linkname}"')
            os.symlink(entry.linkname, base, dir_fd=pfd)
        elif typ == b"1":
            target = posixpath.normpath(self.dest + "/" + entry.linkname)
            if _escapes(self.dest, target):
                raise ExtractError(f'invalid hardlink "{target}" -> "{entry.linkname}"')
            tparent, tbase = posixpath.split(target)
            tfd, _ = self.directory(tparent)
            try:
                os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
            except FileNotFoundError as exc:
                raise ExtractError(f"link {target} {path}: no such file or directory") from exc
        elif typ in _NODES:
            os.mknod(base, _NODES[typ] | 0o600, os.makedev(entry.devmajor, entry.devminor), dir_fd=pfd)
        else:
            raise ExtractError(f"unhandled tar header type {typ.decode('latin-1')!r}")
        if self.as_root or self.options.chown is not None:
            uid, gid = self._owner(entry)
            try:
                os.chown(base, uid, gid, dir_fd=pfd, follow_symlinks=False)
            except PermissionError:
                if self.as_root:
                    raise
        if entry.xattrs:
            self._xattrs(pfd, base, entry)
        if typ == b"2":
            os.utime(base, ns=(atime, entry.mtime_ns), dir_fd=pfd, follow_symlinks=False)
            return
        _chmod(pfd, base, mode)
        if typ == b"5":
            self._times.append((path, atime, entry.mtime_ns))
        else:
            os.utime(base, ns=(atime, entry.mtime_ns), dir_fd=pfd, follow_symlinks=False)

    def finish(self) -> None:
        for path, atime, mtime in reversed(self._times):
            parent, base = posixpath.split(path)
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                pfd, _ = self.directory(parent)
                os.utime(base, ns=(atime, mtime), dir_fd=pfd, follow_symlinks=False)


def _chmod(pfd: int, base: str, mode: int) -> None:
    """chmod ``base`` in ``pfd`` without following a symlink a running container may have put there."""
    fd = os.open(base, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
    try:
        if not stat.S_ISLNK(os.fstat(fd).st_mode):
            os.chmod(f"/proc/self/fd/{fd}", mode)
    finally:
        os.close(fd)


def _write_all(fd: int, view: bytes | memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]


def extract_archive(
    fs: ContainerFS,
    raw: str,
    receive: Callable[[], bytes],
    options: ExtractOptions,
) -> None:
    """Extract the tar read from ``receive`` (possibly gzip, bzip2 or xz) into the directory ``raw``.

    ``raw`` is resolved with every symlink followed (so a symlink to a
    directory is a valid target). Raises FileNotFoundError (the caller
    answers "Could not find the file"), NotADirectoryTarget, ReadOnlyTarget,
    ExtractError, UnsupportedArchive.
    """
    target = fs.resolve_path(raw)
    with fs.resolve(target, follow_last=True) as node:
        st = node.lstat()
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryTarget()
        mount = fs.mount_holding(node.path)
        writable_check(fs, mount)
        dest = node.path
    extractor = _Extractor(fs, dest, options)
    try:
        stream = TarStream(decompressed(receive))
        while (entry := stream.next()) is not None:
            try:
                extractor.entry(entry, stream)
            except OSError as exc:
                if exc.errno == errno.EROFS:
                    raise ReadOnlyTarget("mounted volume is marked read-only") from exc
                raise ExtractError(f"{entry.name}: {exc.strerror or exc}") from exc
        extractor.finish()
    finally:
        extractor.close()
