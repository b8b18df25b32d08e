"""The three archive operations of ``docker cp``: stat a path, tar it out, extract a tar in.

All three take a :class:`~._fs.ContainerFS` (the container's root and its
mounts) and a path as the client sent it, and resolve it the way Docker
does inside the container: ``path`` is made absolute and cleaned, a
trailing ``/`` or ``/.`` is kept (so ``dir/.`` means "the contents of
dir" and a trailing slash follows a final symlink), and the stat's name is
the base name of what was asked (Go's ``filepath.Base``).

Blocking: call them from worker threads.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator

from pymoby import api, errdefs

from ._errors import ContainerFileNotFound
from ._fs import ContainerFS, clean_path
from ._stat import path_stat
from ._tarwrite import batched, tar_resource

__all__ = ["archive_path", "go_base", "requested_path", "stat_path"]


def go_base(path: str) -> str:
    """Go's ``filepath.Base``: the last element, trailing slashes ignored; ``.`` for empty, ``/`` for all-slashes."""
    if not path:
        return "."
    stripped = path.rstrip("/")
    if not stripped:
        return "/"
    return stripped.rsplit("/", 1)[-1]


def requested_path(raw: str) -> tuple[str, bool]:
    """``(absolute path, follow the last component)`` for a path from the client.

    As Docker's ``PreserveTrailingDotOrSeparator(filepath.Join("/", p), p)``:
    ``/etc/.`` stays ``/etc/.``, ``/etc/`` stays ``/etc/``; both follow a
    final symlink, as the kernel does with a trailing slash.
    """
    cleaned = clean_path(raw)
    if go_base(raw) == "." and go_base(cleaned) != ".":
        cleaned = cleaned.rstrip("/") + "/."
    if raw.endswith("/") and not cleaned.endswith("/"):
        cleaned += "/"
    follow = cleaned.endswith(("/", "/."))
    return cleaned, follow


def _not_found(exc: OSError, raw: str, container: str) -> ContainerFileNotFound:
    return ContainerFileNotFound(raw, container)


def stat_path(fs: ContainerFS, raw: str, container: str) -> api.ContainerPathStat:
    """``HEAD /containers/{id}/archive``: the stat of ``raw`` (a symlink's ``linkTarget`` fully resolved).

    Raises ContainerFileNotFound (404).
    """
    path, follow = requested_path(raw)
    try:
        with fs.resolve(path, follow_last=follow) as node:
            st = node.lstat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise _not_found(exc, raw, container) from exc
    if follow and not stat.S_ISDIR(st.st_mode):
        raise errdefs.System(f"lstat {path}: not a directory")
    target = fs.resolve_path(path) if stat.S_ISLNK(st.st_mode) else ""
    return path_stat(go_base(raw), st, target)


def archive_path(fs: ContainerFS, raw: str, container: str) -> tuple[api.ContainerPathStat, Iterator[bytes]]:
    """``GET /containers/{id}/archive``: the stat of ``raw`` and the tar of it, in chunks of about 1 MiB.

    The iterator owns a descriptor of the resource until it is exhausted or
    closed. Raises ContainerFileNotFound (404).
    """
    path, follow = requested_path(raw)
    try:
        node = fs.resolve(path, follow_last=follow)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise _not_found(exc, raw, container) from exc
    try:
        st = node.lstat()
        target = fs.resolve_path(path) if stat.S_ISLNK(st.st_mode) else ""
    except (FileNotFoundError, NotADirectoryError) as exc:
        node.close()
        raise _not_found(exc, raw, container) from exc
    if follow and not stat.S_ISDIR(st.st_mode):
        node.close()
        raise errdefs.System(f"lstat {path}: not a directory")
    rebase = go_base(path)

    def stream() -> Iterator[bytes]:
        try:
            yield from batched(tar_resource(fs, node.dir_fd, node.name, node.path, rebase))
        finally:
            node.close()

    return path_stat(go_base(path), st, target), stream()
