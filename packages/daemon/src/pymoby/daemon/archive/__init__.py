"""pymoby.daemon.archive: ``docker cp`` — stat, tar out and extract in, inside a container's file system.

Paths are resolved as the container sees them (its root plus its volume,
bind and tmpfs mounts), following symlinks *inside* the container, so no
symlink a container holds can make the daemon read or write the host
(:class:`ContainerFS`). The functions block: call them in worker threads.

- :func:`stat` — ``HEAD /containers/{id}/archive`` (the ``X-Docker-Container-Path-Stat`` value:
  :func:`encode_stat_header`);
- :func:`get_archive` — ``GET``: the stat and the tar, in chunks;
- :func:`put_archive` — ``PUT``: extract a tar (plain, gzip, bzip2, xz) into a directory, with
  ``noOverwriteDirNonDir`` and ``copyUIDGID``.
"""

from ._api import ArchiveTarget, container_owner, get_archive, put_archive, stat
from ._archive import archive_path, go_base, requested_path, stat_path
from ._errors import ContainerFileNotFound, ExtractError, NotADirectoryTarget, ReadOnlyTarget, UnsupportedArchive
from ._extract import ExtractOptions, extract_archive
from ._fs import ContainerFS, FSMount, Node, clean_path
from ._stat import encode_stat_header, format_mtime, go_file_mode, path_stat
from ._tarread import TarEntry, TarStream, decompressed

__all__ = [
    "ArchiveTarget",
    "ContainerFS",
    "ContainerFileNotFound",
    "ExtractError",
    "ExtractOptions",
    "FSMount",
    "NotADirectoryTarget",
    "Node",
    "ReadOnlyTarget",
    "TarEntry",
    "TarStream",
    "UnsupportedArchive",
    "archive_path",
    "clean_path",
    "container_owner",
    "decompressed",
    "encode_stat_header",
    "extract_archive",
    "format_mtime",
    "get_archive",
    "go_base",
    "go_file_mode",
    "path_stat",
    "put_archive",
    "requested_path",
    "stat",
    "stat_path",
]
