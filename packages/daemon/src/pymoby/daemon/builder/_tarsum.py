"""The content hashes of build sources, as the classic builder computes them (``tarsum`` version 1).

A file's hash is the sha256 of selected tar header fields, each written as
its name followed by its value (``name``, ``mode``, ``uid``, ``gid``,
``size``, ``typeflag``, ``linkname``, ``uname``, ``gname`` (both always
empty in a context's tar), ``devmajor``, ``devminor``, then the extended attributes sorted by
name), followed by the file's contents. Modification times are left out, so
touching a file does not invalidate the cache; its mode, owner and
contents do.

A COPY source is then named in the step's history and cache key as
``file:<hash>``, ``dir:<sha256 of its entries' sorted hashes joined by ","
>`` or, for several sources, ``multi:<sha256 of their names joined by ",">``.
The same context tar gives the same names as dockerd.
"""

from __future__ import annotations

import functools
import grp
import hashlib
import os
import pwd
import stat
from collections.abc import Mapping

__all__ = ["hash_strings", "header_hasher", "stat_hasher"]

_TYPE_OF_MODE = (
    (stat.S_ISDIR, b"5"),
    (stat.S_ISLNK, b"2"),
    (stat.S_ISCHR, b"3"),
    (stat.S_ISBLK, b"4"),
    (stat.S_ISFIFO, b"6"),
)


def header_hasher(
    *,
    name: str,
    mode: int,
    uid: int,
    gid: int,
    size: int,
    typeflag: bytes,
    linkname: str = "",
    uname: str = "",
    gname: str = "",
    devmajor: int = 0,
    devminor: int = 0,
    xattrs: Mapping[str, bytes] | None = None,
) -> hashlib._Hash:
    """A sha256 primed with the version-1 header of an entry; feed it the contents, then ``hexdigest()``."""
    digest = hashlib.sha256()
    fields = (
        (b"name", name.encode("utf-8", "surrogateescape")),
        (b"mode", str(mode).encode()),
        (b"uid", str(uid).encode()),
        (b"gid", str(gid).encode()),
        (b"size", str(size).encode()),
        (b"typeflag", typeflag),
        (b"linkname", linkname.encode("utf-8", "surrogateescape")),
        (b"uname", uname.encode("utf-8", "surrogateescape")),
        (b"gname", gname.encode("utf-8", "surrogateescape")),
        (b"devmajor", str(devmajor).encode()),
        (b"devminor", str(devminor).encode()),
    )
    for field_name, value in fields:
        digest.update(field_name + value)
    for key in sorted(xattrs or {}):
        digest.update(key.encode("utf-8", "surrogateescape") + (xattrs or {})[key])
    return digest


@functools.cache
def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


@functools.cache
def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return ""


def stat_hasher(path: str, rel: str, st: os.stat_result) -> hashlib._Hash:
    """The hasher of a file on disk (COPY ``--from`` an image), its header made as Docker's ``FileInfoHeader``:
    the mode with its file type bits, and the owner's names as the daemon's host knows them."""
    mode = st.st_mode
    typeflag = b"0"
    for test, flag in _TYPE_OF_MODE:
        if test(mode):
            typeflag = flag
            break
    linkname = os.readlink(path) if stat.S_ISLNK(mode) else ""
    name = rel + "/" if stat.S_ISDIR(mode) and not rel.endswith("/") else rel
    xattrs: dict[str, bytes] = {}
    try:
        xattrs["security.capability"] = os.getxattr(path, "security.capability", follow_symlinks=False)
    except OSError:
        pass
    is_device = stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
    return header_hasher(
        name=name,
        mode=mode,
        uid=st.st_uid,
        gid=st.st_gid,
        size=st.st_size if stat.S_ISREG(mode) else 0,
        typeflag=typeflag,
        linkname=linkname,
        uname=_user_name(st.st_uid),
        gname=_group_name(st.st_gid),
        devmajor=os.major(st.st_rdev) if is_device else 0,
        devminor=os.minor(st.st_rdev) if is_device else 0,
        xattrs=xattrs,
    )


def hash_strings(prefix: str, items: list[str]) -> str:
    """``prefix:<sha256 of items joined by ",">`` (the ``dir:`` and ``multi:`` source names)."""
    return prefix + ":" + hashlib.sha256(",".join(items).encode("utf-8", "surrogateescape")).hexdigest()
