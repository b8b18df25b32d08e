"""Docker's ``PathStat``: the ``X-Docker-Container-Path-Stat`` header of the archive endpoints.

``mode`` is Go's ``os.FileMode``: the permission bits plus type and special
bits in the high bits (``ModeDir`` is ``1<<31``, ``ModeSymlink`` ``1<<27``
...), which the docker CLI tests to decide between a file and a directory.
``mtime`` is RFC 3339 with nanoseconds (trailing zeros trimmed) in the
daemon's time zone, as Go formats a ``time.Time``.
"""

from __future__ import annotations

import base64
import os
import stat
import time

from pymoby import api

__all__ = ["MODE_DIR", "MODE_SYMLINK", "encode_stat_header", "format_mtime", "go_file_mode", "path_stat"]

MODE_DIR = 1 << 31
MODE_SYMLINK = 1 << 27
_MODE_DEVICE = 1 << 26
_MODE_NAMED_PIPE = 1 << 25
_MODE_SOCKET = 1 << 24
_MODE_SETUID = 1 << 23
_MODE_SETGID = 1 << 22
_MODE_CHAR_DEVICE = 1 << 21
_MODE_STICKY = 1 << 20


def go_file_mode(st_mode: int) -> int:
    """Go's ``os.FileMode`` for a Unix ``st_mode``."""
    mode = st_mode & 0o777
    kind = stat.S_IFMT(st_mode)
    if kind == stat.S_IFDIR:
        mode |= MODE_DIR
    elif kind == stat.S_IFLNK:
        mode |= MODE_SYMLINK
    elif kind == stat.S_IFBLK:
        mode |= _MODE_DEVICE
    elif kind == stat.S_IFCHR:
        mode |= _MODE_DEVICE | _MODE_CHAR_DEVICE
    elif kind == stat.S_IFIFO:
        mode |= _MODE_NAMED_PIPE
    elif kind == stat.S_IFSOCK:
        mode |= _MODE_SOCKET
    if st_mode & stat.S_ISUID:
        mode |= _MODE_SETUID
    if st_mode & stat.S_ISGID:
        mode |= _MODE_SETGID
    if st_mode & stat.S_ISVTX:
        mode |= _MODE_STICKY
    return mode


def format_mtime(ns: int) -> str:
    """Go's RFC 3339 with nanoseconds for a time in nanoseconds, in the local time zone."""
    seconds, nanos = divmod(ns, 1_000_000_000)
    local = time.localtime(seconds)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", local)
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    offset = local.tm_gmtoff
    if offset == 0:
        return text + "Z"
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def path_stat(name: str, st: os.stat_result, link_target: str = "") -> api.ContainerPathStat:
    """The stat of one path, named ``name`` (the base name Docker shows)."""
    return api.ContainerPathStat(
        name=name,
        size=st.st_size,
        mode=go_file_mode(st.st_mode),
        mtime=format_mtime(st.st_mtime_ns),
        link_target=link_target,
    )


def encode_stat_header(value: api.ContainerPathStat) -> str:
    """The value of ``X-Docker-Container-Path-Stat``: base64 of the JSON."""
    return base64.b64encode(api.encode(value)).decode("ascii")
