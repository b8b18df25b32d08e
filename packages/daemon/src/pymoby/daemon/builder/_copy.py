"""COPY and ADD: which sources, under which names in the cache, copied how (dockerd's ``copy.go``).

Sources are paths of the context (or of a stage's or image's root with
``--from``), with Go's ``filepath.Match`` wildcards (``*``, ``?``,
``[a-z]``; none of them crosses ``/``). A source reached through symlinks is
the file they point to, inside its source. Then, for each source:

- a directory: its *contents* are copied into the destination, made if
  missing (``COPY dir /app`` gives ``/app/file``, not ``/app/dir/file``);
- with ADD, a local tar archive (plain, gzip, bzip2 or xz) is unpacked into
  the destination, owners as in the archive;
- a file: to the destination, or into it when the destination is an
  existing directory or ends with ``/``; missing parent directories are made.

A relative destination is taken from the working directory; several
sources need a destination ending with ``/``. Everything copied belongs to
root, or to ``--chown`` (names looked up in the image's ``/etc/passwd`` and
``/etc/group``), except that ``COPY --from`` without ``--chown`` keeps the
owners it finds. ``--chmod`` (octal) sets the mode of what is copied.
An entry in the way is replaced, except that a directory merges into a
directory; the destination is resolved inside the image's root, symlinks
followed as they would be inside the container.
"""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..archive import (
    ContainerFS,
    ExtractError,
    ExtractOptions,
    TarStream,
    UnsupportedArchive,
    decompressed,
    extract_archive,
)
from ._context import FileSource
from ._errors import BuildStepError, SourceNotFound
from ._tarsum import hash_strings

__all__ = [
    "CopyInfo",
    "contains_wildcards",
    "copy_sources",
    "go_match",
    "is_archive",
    "lookup_chown",
    "normalize_dest",
    "parse_chmod",
    "source_hash",
    "sources_for",
]

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_KEPT_XATTRS = ("security.capability", "user.")
_IGNORED_ERRNOS = (errno.ENOTSUP, errno.EPERM, errno.EOPNOTSUPP, errno.ENODATA)


@dataclass(frozen=True, slots=True)
class CopyInfo:
    """One source to copy: where it is (``path`` in ``source``) and its name in the cache."""

    source: FileSource
    path: str
    hash: str


# -- naming the sources ---------------------------------------------------------------------------
def contains_wildcards(path: str) -> bool:
    """Whether ``path`` has an unescaped ``*``, ``?`` or ``[``."""
    index = 0
    while index < len(path):
        ch = path[index]
        if ch == "\\":
            index += 1
        elif ch in "*?[":
            return True
        index += 1
    return False


def _match_regex(pattern: str) -> re.Pattern[str]:
    out = []
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        index += 1
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and index < len(pattern):
            out.append(re.escape(pattern[index]))
            index += 1
        elif ch == "[":
            end = index
            if end < len(pattern) and pattern[end] == "^":
                end += 1
            if end < len(pattern) and pattern[end] == "]":
                end += 1
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            if end >= len(pattern):
                raise BuildStepError("syntax error in pattern")
            body = pattern[index:end]
            negate = body.startswith("^")
            if negate:
                body = body[1:]
            out.append("[" + ("^" if negate else "") + body.replace("[", "\\[") + "]")
            index = end + 1
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def go_match(pattern: str, name: str) -> bool:
    """Go's ``filepath.Match``: the whole ``name`` matches ``pattern``; wildcards never match ``/``."""
    return _match_regex(pattern).match(name) is not None


def _walk(source: FileSource, top: str) -> Iterator[str]:
    """Relative paths under ``top`` (itself first unless it is the root), depth first, in lexical order."""
    base = source.root / top if top else source.root
    if top:
        yield top
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except (NotADirectoryError, FileNotFoundError):
        return
    for entry in entries:
        rel = f"{top}/{entry.name}" if top else entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(source, rel)
        else:
            yield rel


def _info(source: FileSource, path: str, in_context: bool) -> CopyInfo:
    target = source.host_path(path)
    try:
        st = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        missing = f"stat {path}: file does not exist"
        if in_context:
            missing = "file not found in build context or excluded by .dockerignore: " + missing
        raise SourceNotFound(missing) from None
    if not stat.S_ISDIR(st.st_mode):
        return CopyInfo(source, path, "file:" + source.hash(path))
    resolved = source.resolve(path).lstrip("/")
    hashes = sorted(source.hash(rel) for rel in _walk(source, resolved))
    return CopyInfo(source, path, hash_strings("dir", hashes))


def sources_for(source: FileSource, requested: str, *, in_context: bool) -> list[CopyInfo]:
    """The sources one COPY/ADD argument names (several with wildcards, possibly none).

    Raises :class:`SourceNotFound` for a missing file.
    """
    path = requested.removeprefix("/").removeprefix("./")
    if not contains_wildcards(path):
        return [_info(source, path or ".", in_context)]
    pattern = _match_regex(path)
    return [_info(source, rel, in_context) for rel in _walk(source, "") if pattern.match(rel)]


def source_hash(infos: list[CopyInfo]) -> str:
    """The name of the sources in the step's cache key: one source's own, or ``multi:`` of them all."""
    if len(infos) == 1:
        return infos[0].hash
    return hash_strings("multi", [info.hash for info in infos])


def normalize_dest(workdir: str, dest: str) -> str:
    """A destination relative to the working directory made absolute; a trailing ``/`` is kept."""
    if dest.startswith("/"):
        return dest
    joined = posixpath.normpath(posixpath.join("/", workdir, dest))
    if joined.startswith("//"):
        joined = "/" + joined.lstrip("/")
    return joined + "/" if dest.endswith("/") and joined != "/" else joined


# -- owners and modes ---------------------------------------------------------------------------
def _lookup(fs: ContainerFS, root: Path, table: str, name: str) -> int:
    try:
        return int(name)
    except ValueError:
        pass
    resolved = fs.resolve_path(table).lstrip("/")
    try:
        lines = (root / resolved).read_text(errors="replace").splitlines()
    except OSError as exc:
        raise BuildStepError(f"open {table}: {exc.strerror or exc}") from exc
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] == name:
            try:
                return int(fields[2])
            except ValueError:
                continue
    kind = "user" if table.endswith("passwd") else "group"
    raise BuildStepError(f"no such {kind}: {name}")


def lookup_chown(chown: str, root: Path) -> tuple[int, int]:
    """``--chown=user[:group]`` as ``(uid, gid)``, names looked up in the root file system at ``root``.

    A user alone is also the group. Raises :class:`BuildStepError` in dockerd's words.
    """
    parts = chown.split(":")
    if len(parts) > 2:
        raise BuildStepError(
            f"unable to convert uid/gid chown string to host mapping: invalid chown string format: {chown}"
        )
    user = parts[0]
    group = parts[1] if len(parts) == 2 else parts[0]
    with ContainerFS(root) as fs:
        try:
            uid = _lookup(fs, root, "/etc/passwd", user)
        except BuildStepError as exc:
            raise BuildStepError(
                f"unable to convert uid/gid chown string to host mapping: can't find uid for user {user}: {exc}"
            ) from None
        try:
            gid = _lookup(fs, root, "/etc/group", group)
        except BuildStepError as exc:
            raise BuildStepError(
                f"unable to convert uid/gid chown string to host mapping: can't find gid for group {group}: {exc}"
            ) from None
    return uid, gid


def parse_chmod(text: str) -> int | None:
    """``--chmod`` as a mode (octal, ``0755`` or ``755``); None when not given. Raises :class:`BuildStepError`."""
    if not text:
        return None
    try:
        mode = int(text, 8)
    except ValueError:
        raise BuildStepError(f"invalid chmod parameter {text!r}: it must be an octal mode such as 755") from None
    if mode < 0 or mode > 0o7777:
        raise BuildStepError(f"invalid chmod parameter {text!r}: it must be an octal mode such as 755")
    return mode


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a tar archive (plain, gzip, bzip2 or xz) with at least one entry, as ``IsArchivePath``."""
    try:
        with open(path, "rb") as file:
            stream = TarStream(decompressed(lambda: file.read(1 << 16)))
            return stream.next() is not None
    except (OSError, ExtractError, UnsupportedArchive):  # unreadable as a tar: not an archive
        return False


# -- copying ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Apply:
    owner: tuple[int, int] | None
    mode: int | None
    chown_allowed: bool


def _copy_xattrs(src: int, dst: int) -> None:
    try:
        names = os.listxattr(src)
    except OSError:
        return
    for name in names:
        if not name.startswith(_KEPT_XATTRS):
            continue
        try:
            os.setxattr(dst, name, os.getxattr(src, name))
        except OSError as exc:
            if exc.errno not in _IGNORED_ERRNOS:
                raise


def _finish(dst_dir: int, name: str, st: os.stat_result, apply: _Apply, *, is_link: bool = False) -> None:
    if apply.chown_allowed:
        uid, gid = apply.owner if apply.owner is not None else (st.st_uid, st.st_gid)
        os.chown(name, uid, gid, dir_fd=dst_dir, follow_symlinks=False)
    if not is_link:
        os.chmod(name, apply.mode if apply.mode is not None else stat.S_IMODE(st.st_mode), dir_fd=dst_dir)
    os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dst_dir, follow_symlinks=not is_link)


def _clear(dst_dir: int, name: str, want_dir: bool) -> bool:
    """Make room for ``name``; True when an existing directory is kept to merge into."""
    try:
        existing = os.stat(name, dir_fd=dst_dir, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(existing.st_mode):
        if want_dir:
            return True
        fd = os.open(name, _DIR, dir_fd=dst_dir)
        try:
            _remove_tree(fd)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=dst_dir)
    else:
        os.unlink(name, dir_fd=dst_dir)
    return False


def _remove_tree(fd: int) -> None:
    for name in os.listdir(fd):
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            child = os.open(name, _DIR, dir_fd=fd)
            try:
                _remove_tree(child)
            finally:
                os.close(child)
            os.rmdir(name, dir_fd=fd)
        else:
            os.unlink(name, dir_fd=fd)


def _copy_file_data(src_dir: int, name: str, dst_dir: int, dst_name: str, st: os.stat_result) -> None:
    src = os.open(name, _READ, dir_fd=src_dir)
    try:
        dst = os.open(dst_name, _WRITE, 0o600, dir_fd=dst_dir)
        try:
            left = st.st_size
            while left > 0:
                try:
                    done = os.copy_file_range(src, dst, left)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                        raise
                    done = os.sendfile(dst, src, None, min(left, 1 << 30))
                if done == 0:
                    break
                left -= done
            _copy_xattrs(src, dst)
        finally:
            os.close(dst)
    finally:
        os.close(src)


class _Copier:
    def __init__(self, apply: _Apply) -> None:
        self.apply = apply
        self.links: dict[tuple[int, int], tuple[int, str]] = {}
        self._held: list[int] = []

    def close(self) -> None:
        for fd in self._held:
            os.close(fd)

    def entry(self, src_dir: int, name: str, dst_dir: int, dst_name: str) -> None:
        st = os.stat(name, dir_fd=src_dir, follow_symlinks=False)
        mode = st.st_mode
        merge = _clear(dst_dir, dst_name, stat.S_ISDIR(mode))
        if stat.S_ISDIR(mode):
            if not merge:
                os.mkdir(dst_name, 0o700, dir_fd=dst_dir)
            src_child = os.open(name, _DIR, dir_fd=src_dir)
            dst_child = os.open(dst_name, _DIR, dir_fd=dst_dir)
            try:
                for child in sorted(os.listdir(src_child)):
                    self.entry(src_child, child, dst_child, child)
                _copy_xattrs(src_child, dst_child)
            finally:
                os.close(src_child)
                os.close(dst_child)
            _finish(dst_dir, dst_name, st, self.apply)
            return
        if stat.S_ISREG(mode) and st.st_nlink > 1:
            first = self.links.get((st.st_dev, st.st_ino))
            if first is not None:
                os.link(first[1], dst_name, src_dir_fd=first[0], dst_dir_fd=dst_dir, follow_symlinks=False)
                return
            held = os.dup(dst_dir)
            self._held.append(held)
            self.links[(st.st_dev, st.st_ino)] = (held, dst_name)
        if stat.S_ISREG(mode):
            _copy_file_data(src_dir, name, dst_dir, dst_name, st)
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(name, dir_fd=src_dir), dst_name, dir_fd=dst_dir)
            _finish(dst_dir, dst_name, st, self.apply, is_link=True)
            return
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            os.mknod(dst_name, stat.S_IFMT(mode) | 0o600, st.st_rdev, dir_fd=dst_dir)
        else:
            return  # sockets cannot be archived, so Docker never copies them
        _finish(dst_dir, dst_name, st, self.apply)


def _make_dirs(root: Path, fs: ContainerFS, path: str, owner: tuple[int, int] | None, chown: bool) -> str:
    """Resolve ``path`` inside ``root`` and make what is missing of it (0755, owned by ``owner`` or root)."""
    resolved = fs.resolve_path(path)
    current = ""
    for part in [p for p in resolved.split("/") if p]:
        current += "/" + part
        host = root / current.lstrip("/")
        try:
            os.mkdir(host, 0o755)
        except FileExistsError:
            continue
        if chown:
            uid, gid = owner if owner is not None else (0, 0)
            os.chown(host, uid, gid)
    return resolved


def _copy_one(info: CopyInfo, root: Path, fs: ContainerFS, dest: str, apply: _Apply, decompress: bool) -> None:
    src_host = info.source.host_path(info.path)
    src_st = os.stat(src_host)
    dest_resolved = fs.resolve_path(dest)
    dest_host = root / dest_resolved.lstrip("/")
    dest_is_dir = dest_host.is_dir() and not dest_host.is_symlink()
    if stat.S_ISDIR(src_st.st_mode):
        created = not dest_is_dir
        dest_resolved = _make_dirs(root, fs, dest, None, apply.chown_allowed)
        dst = os.open(root / dest_resolved.lstrip("/"), _DIR)
        src = os.open(src_host, _DIR)
        copier = _Copier(apply)
        try:
            for name in sorted(os.listdir(src)):
                copier.entry(src, name, dst, name)
            if created and apply.chown_allowed and apply.owner is not None:
                os.chown(dst, *apply.owner)
        finally:
            copier.close()
            os.close(src)
            os.close(dst)
        return
    if decompress and is_archive(src_host):
        _make_dirs(root, fs, dest, None, apply.chown_allowed)
        with open(src_host, "rb") as archive:
            extract_archive(fs, dest, lambda: archive.read(1 << 20), ExtractOptions(no_overwrite_dir_non_dir=False))
        return
    if dest_is_dir or dest.endswith("/"):
        dest = posixpath.join(dest, posixpath.basename(info.path.rstrip("/")))
    parent = _make_dirs(root, fs, posixpath.dirname(dest) or "/", apply.owner, apply.chown_allowed)
    src_dir = os.open(os.path.dirname(src_host), _DIR)
    dst_dir = os.open(root / parent.lstrip("/"), _DIR)
    copier = _Copier(apply)
    try:
        # The source is the file its symlinks lead to: copy the target, under the destination's name.
        copier.entry(src_dir, os.path.basename(src_host), dst_dir, posixpath.basename(dest))
    finally:
        copier.close()
        os.close(src_dir)
        os.close(dst_dir)


def copy_sources(
    infos: list[CopyInfo],
    root: Path,
    dest: str,
    *,
    owner: tuple[int, int] | None,
    mode: int | None = None,
    decompress: bool = False,
) -> None:
    """Copy ``infos`` to ``dest`` in the root file system mounted at ``root`` (blocking).

    ``owner`` is the ``(uid, gid)`` everything copied gets (None keeps the
    sources' owners); ``mode`` replaces modes; ``decompress`` unpacks local
    archives (ADD). Raises OSError and the archive package's extraction errors.
    """
    apply = _Apply(owner, mode, os.geteuid() == 0)
    with ContainerFS(root) as fs:
        for info in infos:
            _copy_one(info, root, fs, dest, apply, decompress)
