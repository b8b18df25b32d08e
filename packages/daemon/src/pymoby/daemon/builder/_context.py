"""Build sources: the context the client sent, and the root file systems ``COPY --from`` reads.

:func:`extract_context` unpacks the context tar (plain, gzip, bzip2 or xz)
into a private directory, as dockerd's ``FromArchive`` does, hashing every
entry on the way (:mod:`._tarsum`). Entry names are cleaned and must stay
inside the directory; a symlink in the archive is followed inside it only;
owners, modes, extended attributes and times come from the headers.

Both kinds of source resolve paths as ``FollowSymlinkInScope`` does
(symlinks followed, never out of the source's root) and name their files'
contents (:meth:`hash`) for the build cache.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from pymoby import errdefs

from ..archive import ContainerFS, ExtractError, TarEntry, TarStream, UnsupportedArchive, decompressed
from ._dockerignore import PatternMatcher
from ._errors import InvalidContext
from ._tarsum import header_hasher, stat_hasher

__all__ = ["BuildContext", "FileSource", "extract_context"]

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
_DEVICES = {b"3": stat.S_IFCHR, b"4": stat.S_IFBLK, b"6": stat.S_IFIFO}
_IGNORED_ERRNOS = (errno.ENOTSUP, errno.EPERM, errno.EOPNOTSUPP)


class FileSource:
    """A directory read by COPY: paths resolve inside it; contents are hashed on first use.

    ``hashes`` maps cleaned relative paths to their hash; a path without one
    is hashed from disk (the context keeps the hashes of its tar instead).
    """

    def __init__(self, root: Path, hashes: dict[str, str] | None = None, *, lazy: bool = True) -> None:
        self.root = root
        self.hashes: dict[str, str] = hashes if hashes is not None else {}
        self._lazy = lazy
        self._fs: ContainerFS | None = None

    @property
    def fs(self) -> ContainerFS:
        """The source as a :class:`ContainerFS` (opened on first use; :meth:`close` releases it)."""
        if self._fs is None:
            self._fs = ContainerFS(self.root)
        return self._fs

    def close(self) -> None:
        """Release the descriptors held for path resolution."""
        if self._fs is not None:
            self._fs.close()
            self._fs = None

    def resolve(self, path: str) -> str:
        """``path`` with its symlinks followed inside the source: ``/``-rooted, cleaned."""
        return self.fs.resolve_path(path)

    def host_path(self, path: str) -> Path:
        """Where the resolved ``path`` is on the host."""
        return self.root / self.resolve(path).lstrip("/")

    def hash(self, path: str) -> str:
        """The content hash of ``path`` (symlinks followed, as the file copied is the target).

        A path with no hash (a parent directory the archive did not list, a
        dangling symlink) is named by its relative path, as dockerd does.
        """
        rel = self.resolve(path).lstrip("/") or "."
        found = self.hashes.get(rel)
        if found is not None:
            return found
        if not self._lazy:
            return rel
        full = self.root / rel
        try:
            st = os.lstat(full)
        except OSError:
            return rel
        hasher = stat_hasher(str(full), rel, st)
        if stat.S_ISREG(st.st_mode) and st.st_size:
            with open(full, "rb") as file:
                while chunk := file.read(1 << 20):
                    hasher.update(chunk)
        self.hashes[rel] = hasher.hexdigest()
        return self.hashes[rel]


class BuildContext(FileSource):
    """The extracted build context; :meth:`remove` deletes it."""

    def __init__(self, root: Path, hashes: dict[str, str]) -> None:
        super().__init__(root, hashes, lazy=False)

    def read_file(self, path: str) -> bytes | None:
        """The contents of a file of the context (symlinks followed inside it), or None when there is none."""
        try:
            target = self.host_path(path)
            with open(target, "rb") as file:
                return file.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def exclude(self, matcher: PatternMatcher) -> None:
        """Delete what ``.dockerignore`` excludes (the docker CLI already left it out; raw API clients may not)."""
        self._exclude(matcher, "")

    def _exclude(self, matcher: PatternMatcher, rel: str) -> bool:
        """Apply the patterns under ``rel``; whether anything under it is kept."""
        directory = self.root / rel if rel else self.root
        kept = False
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            child = f"{rel}/{entry.name}" if rel else entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if not matcher.matches(child):
                kept = True
                if is_dir:
                    self._exclude(matcher, child)
                continue
            if is_dir and matcher.exclusions and self._exclude(matcher, child):
                kept = True
                continue
            self._forget(child)
            if is_dir:
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        return kept

    def _forget(self, rel: str) -> None:
        prefix = rel + "/"
        for key in [k for k in self.hashes if k == rel or k.startswith(prefix)]:
            del self.hashes[key]

    def remove(self) -> None:
        """Delete the extracted context."""
        self.close()
        shutil.rmtree(self.root, ignore_errors=True)


class _Extractor:
    """Writes the entries of the context tar under ``root`` (a fresh directory only this build uses)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hashes: dict[str, str] = {}
        self.links: set[str] = set()
        self.dir_times: list[tuple[str, int, int]] = []
        self.chown = os.geteuid() == 0
        self.fs = ContainerFS(root)

    def close(self) -> None:
        self.fs.close()

    def _parent(self, rel: str) -> str:
        """The host path of ``rel``'s parent directory (made when missing), inside the context whatever symlinks say."""
        parent = posixpath.dirname(rel)
        if not parent:
            return str(self.root)
        parts = parent.split("/")
        if any("/".join(parts[: i + 1]) in self.links for i in range(len(parts))):
            parent = self.fs.resolve_path(parent).lstrip("/")
        host = os.path.join(self.root, parent)
        if not os.path.isdir(host):
            with self.fs.resolve(parent, follow_last=True, create_dirs=True):
                pass
        return host

    def entry(self, entry: TarEntry, stream: TarStream) -> None:
        rel = posixpath.normpath(entry.name.lstrip("/")) if entry.name.strip("/") else "."
        if rel == ".." or rel.startswith("../"):
            raise InvalidContext(f"{entry.name!r} is outside of the build context")
        key = posixpath.normpath("/" + entry.name).lstrip("/") or "."
        hasher = header_hasher(
            name=entry.name,
            mode=entry.mode,
            uid=entry.uid,
            gid=entry.gid,
            size=entry.size,
            typeflag=entry.type,
            linkname=entry.linkname,
            devmajor=entry.devmajor,
            devminor=entry.devminor,
            xattrs=entry.xattrs,
        )
        if rel == ".":
            stream.copy_payload(hasher.update)
            self.hashes[key] = hasher.hexdigest()
            return
        parent = self._parent(rel)
        base = posixpath.basename(rel)
        path = os.path.join(parent, base)
        with contextlib.suppress(FileNotFoundError):
            existing = os.lstat(path)
            if not (stat.S_ISDIR(existing.st_mode) and entry.type == b"5"):
                if stat.S_ISDIR(existing.st_mode):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            self.links.discard(rel)
        kind = entry.type
        if kind == b"5":
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o755)
        elif kind in (b"0", b"7"):
            fd = os.open(path, _NEW_FILE, 0o600)
            try:

                def write(data: bytes | memoryview) -> None:
                    hasher.update(data)
                    view = data
                    while view:
                        view = view[os.write(fd, view) :]

                # The docker CLI's tar for a Dockerfile outside the context (-f ../Dockerfile) stops right
                # after the last file's data, without padding or end blocks: TarStream takes that as the end.
                stream.copy_payload(write)
            finally:
                os.close(fd)
        elif kind == b"2":
            os.symlink(entry.linkname, path)
            self.links.add(rel)
        elif kind == b"1":
            target = posixpath.normpath(entry.linkname.lstrip("/"))
            if target == ".." or target.startswith("../"):
                raise InvalidContext(f"invalid hardlink {entry.linkname!r} -> {entry.name!r}")
            where = self.fs.resolve_path(posixpath.dirname(target)).lstrip("/")
            os.link(os.path.join(self.root, where, posixpath.basename(target)), path, follow_symlinks=False)
        elif kind in _DEVICES:
            os.mknod(path, _DEVICES[kind] | (entry.mode & 0o7777), os.makedev(entry.devmajor, entry.devminor))
        else:
            raise InvalidContext(f"unhandled tar header type {kind.decode(errors='replace')!r} for {entry.name!r}")
        self.hashes[key] = hasher.hexdigest()
        self._metadata(path, entry)

    def _metadata(self, path: str, entry: TarEntry) -> None:
        link = entry.type == b"2"
        if self.chown:
            os.lchown(path, entry.uid, entry.gid)
        if not link and entry.type != b"1":
            os.chmod(path, entry.mode & 0o7777)
        for name, value in (entry.xattrs or {}).items():
            try:
                os.setxattr(path, name, value, follow_symlinks=False)
            except OSError as exc:
                if exc.errno not in _IGNORED_ERRNOS:
                    raise
        atime = entry.atime_ns if entry.atime_ns is not None else entry.mtime_ns
        if entry.type == b"5":
            self.dir_times.append((path, atime, entry.mtime_ns))
        elif entry.type != b"1":
            os.utime(path, ns=(atime, entry.mtime_ns), follow_symlinks=not link)

    def finish(self) -> None:
        for path, atime, mtime in reversed(self.dir_times):
            with contextlib.suppress(FileNotFoundError):
                os.utime(path, ns=(atime, mtime), follow_symlinks=False)


def extract_context(receive: Callable[[], bytes], root: Path) -> BuildContext:
    """Unpack the context tar read from ``receive`` (``b""`` at its end) into the new directory ``root``.

    An empty body is an empty context. Raises :class:`InvalidContext` for
    an unreadable or unsafe archive; ``root`` is removed on failure.
    """
    root.mkdir(mode=0o700)
    extractor = _Extractor(root)
    done = False
    try:
        stream = TarStream(decompressed(receive))
        while (entry := stream.next()) is not None:
            extractor.entry(entry, stream)
        extractor.finish()
        done = True
    except (ExtractError, UnsupportedArchive) as exc:
        raise InvalidContext(f"failed to read the build context: {exc}") from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise errdefs.System(f"failed to extract the build context: {exc}") from exc
        raise InvalidContext(f"failed to extract the build context: {exc}") from exc
    finally:
        extractor.close()
        if not done:
            shutil.rmtree(root, ignore_errors=True)
    return BuildContext(root, extractor.hashes)
