"""The archive functions as the container lifecycle calls them: a root, its mounts, a path.

Each opens a :class:`~._fs.ContainerFS` for the call (closing it when
done; for :func:`get_archive`, when the tar has been read or dropped). They
block: run them in worker threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pymoby import api

from ..oci import parse_user
from ._archive import archive_path, stat_path
from ._errors import ContainerFileNotFound
from ._extract import ExtractOptions, extract_archive
from ._fs import ContainerFS, FSMount

__all__ = ["ArchiveTarget", "container_owner", "get_archive", "put_archive", "stat"]

_MAX_ID_FILE = 4 << 20


@dataclass(frozen=True, slots=True)
class ArchiveTarget:
    """A container's file system as the archive endpoints need it (what the container service hands them).

    ``root`` is its root file system, mounted (a stopped container's too,
    for the duration); ``mounts`` its volumes, binds and tmpfs mounts
    (``ContainerMounts.filesystem`` makes them); ``user`` its
    ``Config.User`` (for ``copyUIDGID``).
    """

    container_id: str
    root: str
    mounts: Sequence[FSMount] = ()
    read_only_root: bool = False
    user: str = ""


def _read_text(fs: ContainerFS, path: str) -> str | None:
    try:
        with fs.resolve(path, follow_last=True) as node:
            fd = os.open(node.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=node.dir_fd)
        try:
            return os.read(fd, _MAX_ID_FILE).decode("utf-8", "replace")
        finally:
            os.close(fd)
    except OSError:
        return None


def container_owner(fs: ContainerFS, user: str) -> tuple[int, int] | None:
    """``(uid, gid)`` of the container's ``Config.User`` read from its own /etc/passwd and /etc/group
    (``None`` for an empty user: the archive's owners are kept). Raises oci.UnknownUser."""
    if not user:
        return None
    resolved = parse_user(user, None, _read_text(fs, "/etc/passwd"), _read_text(fs, "/etc/group"))
    return resolved.uid, resolved.gid


def stat(
    root: str | os.PathLike[str], mounts: Sequence[FSMount], path: str, *, container: str = ""
) -> api.ContainerPathStat:
    """The stat of ``path`` in the container. Raises ContainerFileNotFound."""
    with ContainerFS(root, mounts) as fs:
        return stat_path(fs, path, container)


def get_archive(
    root: str | os.PathLike[str], mounts: Sequence[FSMount], path: str, *, container: str = ""
) -> tuple[api.ContainerPathStat, Iterator[bytes]]:
    """The stat of ``path`` and a tar of it (chunks of about 1 MiB). Raises ContainerFileNotFound."""
    fs = ContainerFS(root, mounts)
    opened = False
    try:
        found, chunks = archive_path(fs, path, container)
        opened = True
    finally:
        if not opened:
            fs.close()

    def stream() -> Iterator[bytes]:
        try:
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            fs.close()

    return found, stream()


def put_archive(
    root: str | os.PathLike[str],
    mounts: Sequence[FSMount],
    path: str,
    receive: Callable[[], bytes],
    *,
    no_overwrite_dir_non_dir: bool = True,
    copy_uid_gid: bool = False,
    user: str = "",
    read_only_root: bool = False,
    container: str = "",
) -> None:
    """Extract the tar read from ``receive`` into the directory ``path`` of the container.

    With ``copy_uid_gid`` every entry is owned by the container's ``user``.
    Raises ContainerFileNotFound, NotADirectoryTarget, ReadOnlyTarget,
    ExtractError, UnsupportedArchive, oci.UnknownUser.
    """
    with ContainerFS(root, mounts, read_only_root=read_only_root) as fs:
        owner = container_owner(fs, user) if copy_uid_gid else None
        try:
            extract_archive(fs, path, receive, ExtractOptions(no_overwrite_dir_non_dir, owner))
        except FileNotFoundError as exc:
            raise ContainerFileNotFound(path, container) from exc
