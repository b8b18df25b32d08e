"""Path resolution that never leaves a directory: the safety net under every tar apply.

A layer tar may hold a symlink ``etc -> /`` followed by ``etc/passwd``; a
naive ``open(dest + "/etc/passwd")`` would then write the host's file. Docker
guards against this by unpacking in a chroot. We cannot chroot a thread, so
:class:`InRoot` walks paths one component at a time with ``O_NOFOLLOW``
directory file descriptors and resolves every symlink it meets itself, as if
the directory were ``/`` (absolute targets restart at the root, ``..`` stops
at it), the way ``openat2(RESOLVE_IN_ROOT)`` does. The final component of an
operation is always used with ``dir_fd`` and without following symlinks.

Directory descriptors are cached by path, so a tar that writes many files in
one directory resolves that directory once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque

__all__ = ["InRoot"]

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_LINKS = 40
_CACHE_MAX = 512


class InRoot:
    """A directory treated as a root file system: paths inside it resolve inside it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.fd = os.open(self.path, _DIR_FLAGS & ~os.O_NOFOLLOW)
        self._cache: dict[str, int] = {}

    def close(self) -> None:
        """Close every descriptor held."""
        self._clear()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> InRoot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _clear(self) -> None:
        for fd in self._cache.values():
            os.close(fd)
        self._cache.clear()

    def dir_fd(self, rel: str, create: bool = False) -> int:
        """An ``O_PATH`` descriptor of directory ``rel`` (relative, ``""`` for the root), owned by this object.

        With ``create``, missing directories are made (mode 0755, like
        ``mkdir -p``). Raises FileNotFoundError, NotADirectoryError, or
        OSError(ELOOP) for a symlink loop.
        """
        if not rel:
            return self.fd
        fd = self._cache.get(rel)
        if fd is not None:
            return fd
        fd = self.open_dir(rel, create)
        if len(self._cache) >= _CACHE_MAX:
            self._clear()
        self._cache[rel] = fd
        return fd

    def open_dir(self, rel: str, create: bool = False) -> int:
        """Like :meth:`dir_fd`, but a new descriptor the caller owns (and closes), not cached."""
        return self._walk(rel, create) if rel else os.dup(self.fd)

    def forget(self, rel: str) -> None:
        """Drop cached descriptors of ``rel`` and everything below it (it was removed or replaced)."""
        if not self._cache:
            return
        prefix = rel + "/"
        for key in [k for k in self._cache if k == rel or k.startswith(prefix)]:
            os.close(self._cache.pop(key))

    def _walk(self, rel: str, create: bool) -> int:
        parts = deque(rel.split("/"))
        stack: list[int] = []
        cur = self.fd
        links = 0
        done = False
        try:
            while parts:
                comp = parts.popleft()
                if not comp or comp == ".":
                    continue
                if comp == "..":
                    if stack:
                        os.close(cur)
                        cur = stack.pop()
                    continue
                try:
                    nxt = os.open(comp, _DIR_FLAGS, dir_fd=cur)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(comp, 0o755, dir_fd=cur)
                    except FileExistsError:
                        pass
                    parts.appendleft(comp)
                    continue
                except OSError as exc:
                    if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                        raise
                    st = os.stat(comp, dir_fd=cur, follow_symlinks=False)
                    if not stat.S_ISLNK(st.st_mode):
                        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", rel) from None
                    links += 1
                    if links > _MAX_LINKS:
                        raise OSError(errno.ELOOP, "Too many levels of symbolic links", rel) from None
                    target = os.readlink(comp, dir_fd=cur)
                    if target.startswith("/"):
                        if cur != self.fd:
                            os.close(cur)
                        for fd in stack:
                            if fd != self.fd:
                                os.close(fd)
                        stack.clear()
                        cur = self.fd
                    parts.extendleft(reversed(target.split("/")))
                    continue
                stack.append(cur)
                cur = nxt
            done = True
        finally:
            for fd in stack:
                if fd != self.fd:
                    os.close(fd)
            if not done and cur != self.fd:
                os.close(cur)
        return os.dup(cur) if cur == self.fd else cur

    def split(self, rel: str, create: bool = False) -> tuple[int, str]:
        """The descriptor of the directory holding ``rel`` and the last component of ``rel``."""
        parent, _, base = rel.rpartition("/")
        return self.dir_fd(parent, create), base

    def lstat(self, rel: str) -> os.stat_result:
        """``lstat`` of ``rel`` inside the root (its last component is not followed)."""
        if not rel:
            return os.stat(self.fd)
        fd, base = self.split(rel)
        return os.stat(base, dir_fd=fd, follow_symlinks=False)

    def open_file(self, rel: str, flags: int = os.O_RDONLY) -> int:
        """Open ``rel`` inside the root; a symlink as its last component is refused (ELOOP)."""
        fd, base = self.split(rel)
        return os.open(base, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)

    def proc_path(self, rel: str) -> str:
        """A ``/proc/self/fd`` path naming ``rel`` safely, for calls that take no ``dir_fd`` (xattrs)."""
        fd, base = self.split(rel)
        return f"/proc/self/fd/{fd}/{base}" if base else f"/proc/self/fd/{fd}"
