"""A container's file system as its processes see it, resolved safely from the host.

Docker runs ``docker cp`` in a private mount namespace chrooted into the
container's root, with the volumes and binds mounted in. A Python daemon
cannot chroot one thread, so :class:`ContainerFS` does the same walk itself:
a path is taken one component at a time from pinned ``O_PATH`` directory
descriptors opened with ``O_NOFOLLOW``; every symlink met is read and
followed *inside* the container (an absolute target restarts at the
container's root, ``..`` stops at it), as ``openat2(RESOLVE_IN_ROOT)``
would; and when the path reaches a mount destination the walk continues
in that mount's source, as the kernel crosses a mount point. The last
component of an operation is always used relative to its pinned directory
without following it, so nothing in the container can redirect a read or a
write to the host.

Mount destinations are themselves resolved through the container's
symlinks (``/var/run/x`` lands on ``/run/x`` when ``/var/run -> /run``, as
runc mounts it) and created when missing, as Docker does. A tmpfs mount is
a private empty directory for the duration of the operation: what a
running container keeps in its tmpfs is not visible, as with Docker.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import shutil
import stat
import tempfile
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ContainerFS", "FSMount", "Node", "clean_path"]

_PATH_DIR = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_LINKS = 40


def clean_path(path: str) -> str:
    """``path`` as an absolute, lexically cleaned container path (Go's ``filepath.Join("/", path)``)."""
    # normpath keeps a leading "//" (POSIX lets it mean something else); Go's Clean does not.
    return "/" + posixpath.normpath("/" + path).lstrip("/") if path else "/"


def _depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


@dataclass(frozen=True, slots=True)
class FSMount:
    """A mount of the container: where it is (``destination``) and what is mounted there.

    ``source`` is a host path (a volume's data directory, a bind source);
    a ``tmpfs`` mount has none.
    """

    destination: str
    source: str = ""
    read_only: bool = False
    tmpfs: bool = False


@dataclass(slots=True)
class Node:
    """Where a path landed: its name in a pinned directory, and which mount holds it.

    ``name`` is ``"."`` when the node is that directory itself. ``mount``
    is the innermost mount holding the node (``None``: the container's root
    file system). Close it (or use it as a context manager) to release the
    descriptor.
    """

    dir_fd: int
    name: str
    path: str
    mount: FSMount | None
    mount_root: bool = False

    def lstat(self) -> os.stat_result:
        """``lstat`` of the node (a symlink is not followed)."""
        return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)

    def open_dir(self) -> int:
        """A readable descriptor of the node, which must be a directory (``NotADirectoryError`` otherwise)."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        if self.name != ".":
            flags |= os.O_NOFOLLOW
        return os.open(self.name, flags, dir_fd=self.dir_fd)

    def close(self) -> None:
        """Release the descriptor."""
        if self.dir_fd >= 0:
            os.close(self.dir_fd)
            self.dir_fd = -1

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(slots=True)
class _Mounted:
    spec: FSMount
    path: str
    parent_fd: int
    name: str
    is_dir: bool


class ContainerFS:
    """The root directory of a container and its mounts, seen as one tree (see the module docstring).

    Blocking: use it from a worker thread. Close it when done (it holds
    descriptors, and the private directories of tmpfs mounts).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        mounts: Sequence[FSMount] = (),
        *,
        read_only_root: bool = False,
        create_mountpoints: bool = True,
        scratch_dir: str | None = None,
    ) -> None:
        self.read_only_root = read_only_root
        self._owned: list[int] = []
        self._temps: list[str] = []
        self._mounts: dict[str, _Mounted] = {}
        ready = False
        try:
            real = os.path.realpath(root)
            self._root_fd = self._own(os.open(real, _PATH_DIR & ~os.O_NOFOLLOW))
            for spec in sorted(mounts, key=lambda m: _depth(clean_path(m.destination))):
                self._add_mount(spec, create_mountpoints, scratch_dir)
            ready = True
        finally:
            if not ready:
                self.close()

    def _own(self, fd: int) -> int:
        self._owned.append(fd)
        return fd

    def _add_mount(self, spec: FSMount, create: bool, scratch_dir: str | None) -> None:
        if spec.tmpfs:
            source = tempfile.mkdtemp(prefix="pymoby-cp-tmpfs-", dir=scratch_dir)
            self._temps.append(source)
        else:
            source = os.path.realpath(spec.source)
        is_dir = os.path.isdir(source)
        if not is_dir and not os.path.exists(source):
            raise FileNotFoundError(errno.ENOENT, "mount source does not exist", source)
        path = self.resolve_path(spec.destination)
        if create:
            with contextlib.suppress(OSError):
                self._create_mountpoint(path, is_dir)
        parent, name = os.path.split(source)
        if not name:  # the host's "/"
            parent, name = "/", "."
        parent_fd = self._own(os.open(parent or "/", _PATH_DIR & ~os.O_NOFOLLOW))
        self._mounts[path] = _Mounted(spec, path, parent_fd, name, is_dir)

    def _create_mountpoint(self, path: str, is_dir: bool) -> None:
        parent, base = posixpath.split(path)
        with self.resolve(parent, follow_last=True, create_dirs=True) as node:
            if node.mount is not None and node.mount.read_only:
                return
            fd = node.open_dir()
            try:
                if is_dir:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(base, 0o755, dir_fd=fd)
                else:
                    with contextlib.suppress(FileExistsError):
                        os.close(os.open(base, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o755, dir_fd=fd))
            finally:
                os.close(fd)

    def close(self) -> None:
        """Release every descriptor and remove the tmpfs stand-ins."""
        for fd in self._owned:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._owned.clear()
        for temp in self._temps:
            shutil.rmtree(temp, ignore_errors=True)
        self._temps.clear()

    def __enter__(self) -> ContainerFS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries ----------------------------------------------------------------------
    def mount_at(self, path: str) -> tuple[int, str, FSMount, bool] | None:
        """``(parent_fd, name, mount, is_dir)`` of the mount whose resolved destination is ``path``."""
        mounted = self._mounts.get(path)
        if mounted is None:
            return None
        return mounted.parent_fd, mounted.name, mounted.spec, mounted.is_dir

    def mount_holding(self, path: str) -> FSMount | None:
        """The innermost mount whose destination holds the resolved ``path``."""
        best: _Mounted | None = None
        for mounted in self._mounts.values():
            inside = path == mounted.path or path.startswith(mounted.path.rstrip("/") + "/")
            if inside and (best is None or len(mounted.path) > len(best.path)):
                best = mounted
        return best.spec if best is not None else None

    # -- resolution -----------------------------------------------------------------------
    def resolve(self, path: str, *, follow_last: bool, create_dirs: bool = False) -> Node:
        """The node ``path`` names, following symlinks inside the container (the last one only with
        ``follow_last``). ``create_dirs`` makes missing directories (0755) on the way, like ``mkdir -p``.

        Raises FileNotFoundError, NotADirectoryError, OSError(ELOOP); their ``filename`` is the
        container path.
        """
        parts = deque(clean_path(path).split("/"))
        stack: list[tuple[int, str, FSMount | None]] = [(self._root_fd, "/", None)]
        try:
            return self._walk(parts, stack, follow_last, create_dirs)
        finally:
            for fd, _, _ in stack:
                if fd not in self._owned:
                    os.close(fd)

    def _walk(
        self,
        parts: deque[str],
        stack: list[tuple[int, str, FSMount | None]],
        follow_last: bool,
        create_dirs: bool,
    ) -> Node:
        links = 0
        while parts:
            comp = parts.popleft()
            if comp in ("", "."):
                continue
            if comp == "..":
                if len(stack) > 1:
                    fd, _, _ = stack.pop()
                    if fd not in self._owned:
                        os.close(fd)
                continue
            cur_fd, cur_path, cur_mount = stack[-1]
            child = f"{cur_path.rstrip('/')}/{comp}"
            last = all(p in ("", ".") for p in parts)
            mounted = self._mounts.get(child)
            if mounted is not None:
                if last:
                    return Node(os.dup(mounted.parent_fd), mounted.name, child, mounted.spec, True)
                if not mounted.is_dir:
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), child)
                fd = os.open(mounted.name, _PATH_DIR & ~os.O_NOFOLLOW, dir_fd=mounted.parent_fd)
                stack.append((fd, child, mounted.spec))
                continue
            if last and not follow_last:
                return Node(os.dup(cur_fd), comp, child, cur_mount)
            try:
                fd = os.open(comp, _PATH_DIR, dir_fd=cur_fd)
            except FileNotFoundError:
                if not create_dirs:
                    raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), child) from None
                with contextlib.suppress(FileExistsError):
                    os.mkdir(comp, 0o755, dir_fd=cur_fd)
                parts.appendleft(comp)
                continue
            except OSError as exc:
                if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                    raise
                st = os.stat(comp, dir_fd=cur_fd, follow_symlinks=False)
                if not stat.S_ISLNK(st.st_mode):
                    if last:
                        return Node(os.dup(cur_fd), comp, child, cur_mount)
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), child) from None
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), child) from None
                target = os.readlink(comp, dir_fd=cur_fd)
                if target.startswith("/"):
                    for fd, _, _ in stack[1:]:
                        if fd not in self._owned:
                            os.close(fd)
                    del stack[1:]
                parts.extendleft(reversed(target.split("/")))
                continue
            if last:
                os.close(fd)
                return Node(os.dup(cur_fd), comp, child, cur_mount)
            stack.append((fd, child, cur_mount))
        # The walk ended on a directory reached through ".." or a symlink (or "/"): the node is that directory.
        fd, where, mount = stack[-1]
        mounted = self._mounts.get(where)
        if mounted is not None:
            return Node(os.dup(mounted.parent_fd), mounted.name, where, mounted.spec, True)
        return Node(os.dup(fd), ".", where, mount)

    def resolve_path(self, path: str) -> str:
        """The container path ``path`` resolves to, symlinks followed as far as they exist
        (Docker's ``FollowSymlinkInScope``: a missing tail is kept as written)."""
        parts = deque(clean_path(path).split("/"))
        resolved: list[str] = []
        links = 0
        while parts:
            comp = parts.popleft()
            if comp in ("", "."):
                continue
            if comp == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = "/" + "/".join([*resolved, comp])
            if candidate in self._mounts:
                resolved.append(comp)
                continue
            parent = "/" + "/".join(resolved)
            try:
                with self.resolve(parent, follow_last=True) as node:
                    fd = node.open_dir() if node.name != "." else os.dup(node.dir_fd)
                try:
                    st = os.stat(comp, dir_fd=fd, follow_symlinks=False)
                    target = os.readlink(comp, dir_fd=fd) if stat.S_ISLNK(st.st_mode) else None
                finally:
                    os.close(fd)
            except (FileNotFoundError, NotADirectoryError):
                resolved.append(comp)
                resolved.extend(p for p in parts if p not in ("", "."))
                return posixpath.normpath("/" + "/".join(resolved))
            if target is None:
                resolved.append(comp)
                continue
            links += 1
            if links > _MAX_LINKS:
                raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
            if target.startswith("/"):
                resolved = []
            parts.extendleft(reversed(target.split("/")))
        return "/" + "/".join(resolved)
