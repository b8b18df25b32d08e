"""Applying a layer tar to a directory, safely and with constant memory.

Every entry type a layer holds is written: regular files, directories,
symlinks, hardlinks, character and block devices, FIFOs, with ownership,
modes (setuid, setgid, sticky), extended attributes (``security.capability``
too) and times (directories last, once their children are written).
Whiteouts (``.wh.NAME``) and opaque markers (``.wh..wh..opq``) are turned into
overlayfs's form (a 0:0 character device, the ``trusted.overlay.opaque``
attribute) or into deletions, depending on the graph driver.

An entry whose path, symlink target or hardlink target would land outside the
directory is refused with UnsafeTarEntry; paths are resolved with
:class:`InRoot`, so a symlink already in the tree cannot redirect a write.

The work is shared by threads: the caller's parses the tar, makes the
directories and gives every directory to one of two writer threads
(:mod:`._writer`), which create the files, symlinks and device nodes in it
in tar order. Their system calls release the GIL, and the kernel creates
files in different directories in parallel, so parsing and writing overlap
and both cores write. An entry that needs the tree as it stands (a whiteout,
a hardlink, one that replaces a directory in use) waits for the writers. A
file whose mode the umask leaves intact is created with it, and one that
already has the right owner is not chowned: fewer calls per file than
``tar -x``.
"""

from __future__ import annotations

import enum
import errno
import os
import posixpath
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ._errors import DeviceNotPermitted, DriverFailure, InvalidTar, UnsafeTarEntry
from ._rootfs import InRoot
from ._source import ChunkSource, Compression
from ._split import SplitWriter
from ._tarformat import TarEntry
from ._tarreader import TarReader
from ._writer import BATCH_BYTES, BATCH_OPS, FILE, NODE, SYMLINK, Op, Writers

__all__ = ["ApplyResult", "WhiteoutFormat", "apply_tar", "can_make_devices", "clean_entry_name"]

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
OPAQUE_MARKER = ".wh..wh..opq"
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"

_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DIR_OPEN = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_IGNORED_XATTR_ERRORS = (errno.ENOTSUP, errno.EPERM, errno.EOPNOTSUPP)
_NODE_KINDS = {b"3": stat.S_IFCHR, b"4": stat.S_IFBLK, b"6": stat.S_IFIFO}
_NEEDS_CLEANING = frozenset(("", ".", "/"))
#: Directories whose descriptors an apply keeps open at once (with InRoot's cache, well under
#: the usual limit of 1024 open files).
_PARENTS_MAX = 256
#: Names queued to the writers before the parser waits for them (bounds the set's memory).
_QUEUED_MAX = 1 << 16


class WhiteoutFormat(enum.Enum):
    """How whiteouts in a layer tar are written."""

    #: As overlayfs reads them: a 0:0 character device, the opaque xattr (overlay2).
    OVERLAY = "overlay"
    #: As deletions of what the parent layer had (vfs, or a flat root file system).
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a layer stream produced."""

    #: sha256 of the uncompressed tar stream.
    diff_id: str
    #: Sum of the entry sizes (what Docker records as the layer's size).
    size: int
    #: Length of the uncompressed tar stream.
    tar_size: int
    compression: Compression


def _umask() -> int:
    """This process's umask, read without changing it (``os.umask`` would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o777  # unknown: never trust the mode given to open()


def can_make_devices() -> bool:
    """Whether this process may create device nodes and change owners (CAP_MKNOD and CAP_CHOWN)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    caps = int(line.split()[1], 16)
                    return bool(caps & (1 << 27)) and bool(caps & (1 << 0))
    except OSError:
        pass
    return os.geteuid() == 0


def clean_entry_name(name: str) -> str:
    """The lexically cleaned, relative form of a tar entry name ("." for the root).

    Raises UnsafeTarEntry for an absolute path or one that climbs out with "..".
    """
    if name.startswith("/"):
        raise UnsafeTarEntry(f"invalid tar entry {name!r}: absolute paths are not allowed in a layer")
    if name.startswith(("./", "..")) or "/." in name or "//" in name or name.endswith("/") or name in ("", "."):
        name = posixpath.normpath(name) if name else "."
        if name == ".." or name.startswith("../"):
            raise UnsafeTarEntry(f"invalid tar entry {name!r}: it is outside of the layer")
    return name


def _escapes(parent: str, target: str) -> bool:
    joined = posixpath.normpath(posixpath.join(parent, target))
    return joined == ".." or joined.startswith("../")


class _Applier:
    def __init__(self, root: InRoot, reader: TarReader, whiteouts: WhiteoutFormat, privileged: bool) -> None:
        self.root = root
        self.reader = reader
        self.whiteouts = whiteouts
        self.privileged = privileged
        self.size = 0
        self.dirs: list[tuple[str, int, int]] = []
        self.unpacked: set[str] | None = set() if whiteouts is WhiteoutFormat.DELETE else None
        self.ignored_xattrs: set[str] = set()
        self.umask = _umask()
        self.euid, self.egid = os.geteuid(), os.getegid()
        self.writers = Writers(self.execute)
        #: Directories entries go into: path -> (descriptor we own, group a new file gets there, its writer).
        self.parents: dict[str, tuple[int, int, int]] = {}
        #: Every path at or above a key of ``parents``: a leaf entry replacing one waits for the writers.
        self.touched: set[str] = set()
        #: Names queued to the writers since they last finished everything.
        self.queued: set[str] = set()
        #: Directories removed to make room for an entry, to forget in the descriptor caches.
        self.removed: list[str] = []
        self.batches: list[list[Op]] = [[] for _ in range(len(self.writers))]
        self.next_writer = 0

    def run(self) -> None:
        """Apply every entry: parsed here, written by :class:`~._writer.Writers` threads, in order per directory."""
        writers = self.writers
        writers.start()
        try:
            try:
                self._parse_entries()
            finally:
                # What was parsed before an error is written too, as a serial apply would have: the caller decides.
                for index, batch in enumerate(self.batches):
                    writers.put(index, batch, check=False)
                writers.stop()
        finally:
            self._close_parents()
        writers.check()
        self._forget_removed()
        self._finish_dirs()

    def _settle(self) -> None:
        """Hand over every batch and wait for the writers: the tree is then what the tar said so far."""
        writers = self.writers
        for index, batch in enumerate(self.batches):
            if batch:
                writers.put(index, batch)
                self.batches[index] = []
        writers.drain()
        self.queued.clear()
        self._forget_removed()

    def _forget_removed(self) -> None:
        """Drop cached descriptors of removed directories (with the writers idle)."""
        for name in self.removed:
            self.root.forget(name)
            prefix = name + "/"
            for key in [key for key in self.parents if key == name or key.startswith(prefix)]:
                os.close(self.parents.pop(key)[0])
        self.removed.clear()

    def _close_parents(self) -> None:
        for fd, _, _ in self.parents.values():
            os.close(fd)
        self.parents.clear()
        self.touched.clear()

    def _parent(self, parent: str) -> tuple[int, int, int]:
        """The directory ``parent`` (made if missing): its descriptor, the group of new files in it, its writer."""
        found = self.parents.get(parent)
        if found is not None:
            return found
        # A name on the way may still be queued as a file or symlink: let the writers make it first.
        path = parent
        while path and self.queued:
            if path in self.queued:
                self._settle()
                break
            path = path.rpartition("/")[0]
        if len(self.parents) >= _PARENTS_MAX:
            self._settle()
            self._close_parents()
        fd = self.root.open_dir(parent, True)
        group = self.egid
        if self.privileged:
            st = os.fstat(fd)
            if st.st_mode & stat.S_ISGID:  # new files take the group of a setgid directory
                group = st.st_gid
        index = self.next_writer
        self.next_writer = (index + 1) % len(self.batches)
        found = self.parents[parent] = (fd, group, index)
        path = parent
        while path and path not in self.touched:
            self.touched.add(path)
            path = path.rpartition("/")[0]
        return found

    def _parse_entries(self) -> None:
        # The hot loop of every layer apply: names are bound to locals, the common
        # cases (regular file, directory) come first, and nothing is looked up twice.
        # Small files, symlinks and device nodes go to the writer of their directory,
        # small files with their bytes; directories are made here, in tar order, and
        # what needs the tree as it stands (a whiteout, a hardlink, an entry that
        # replaces a directory in use) waits for the writers to catch up.
        reader = self.reader
        next_entry = reader.next_entry
        unpacked = self.unpacked
        privileged = self.privileged
        parents = self.parents
        touched = self.touched
        queued = self.queued
        batches = self.batches
        put = self.writers.put
        queued_bytes = [0] * len(batches)
        size = 0
        while (entry := next_entry()) is not None:
            size += entry.size
            name = entry.name
            if name[:2] == "./":  # GNU tar's habit: every name starts with "./"
                name = name[2:] or "."
            if name[:1] in _NEEDS_CLEANING or "/." in name or "//" in name or name[-1:] == "/":
                name = clean_entry_name(name)
            parent, _, base = name.rpartition("/")
            if base[:4] == ".wh." or name[:8] == ".wh..wh.":
                reader.skip_payload()
                if name[:8] == ".wh..wh." and not name.startswith(OPAQUE_MARKER):
                    continue  # aufs metadata (.wh..wh.plnk and friends): never part of the tree
                self._settle()
                if base == OPAQUE_MARKER:
                    self._opaque(parent)
                else:
                    self._whiteout(parent, base[len(WHITEOUT_PREFIX) :], entry)
                self._forget_removed()
                continue
            if unpacked is not None:
                unpacked.add(name)
            typ = entry.type
            data = entry.data
            if typ == b"0" or typ == b"7":
                if name == ".":
                    raise UnsafeTarEntry(f"invalid tar entry {entry.name!r}: the root of a layer must be a directory")
                if data is None:
                    if name in queued or name in touched:
                        self._settle()
                    self._write_file(name, parent, base, entry)
                    continue
                kind = FILE
            elif typ == b"5" or typ == b"D":
                if name in queued or name in parents:
                    # Still to be written as something else, or its children came first: they go first
                    # (and files created in it later look at its group again: it may become setgid).
                    self._settle()
                    found = parents.pop(name, None)
                    if found is not None:
                        os.close(found[0])
                self._mkdir(name, parent, base, entry)
                continue
            elif name == ".":
                raise UnsafeTarEntry(f"invalid tar entry {entry.name!r}: the root of a layer must be a directory")
            elif typ == b"2":
                target = entry.linkname
                if not target.startswith("/") and _escapes(parent, target):
                    raise UnsafeTarEntry(f"invalid symlink {name!r} -> {target!r}: it points outside of the layer")
                kind = SYMLINK
            elif typ == b"1":
                self._settle()
                self._hardlink(self._parent(parent)[0], base, name, entry)
                self._forget_removed()
                continue
            else:
                if _NODE_KINDS[typ] != stat.S_IFIFO and not privileged:
                    raise DeviceNotPermitted(
                        f"cannot create device {name!r} ({entry.devmajor}:{entry.devminor}): "
                        "creating device nodes needs root (CAP_MKNOD)"
                    )
                kind = NODE
            fd, group, index = parents.get(parent) or self._parent(parent)
            op = (kind, name, base, fd, group, entry, data)
            if name in touched:
                # It replaces a directory that entries were written into: in order, here.
                self._settle()
                self.execute([op])
                self._forget_removed()
                continue
            if len(queued) >= _QUEUED_MAX:
                self._settle()
            queued.add(name)
            batch = batches[index]
            batch.append(op)
            if data:
                queued_bytes[index] += len(data)
            if len(batch) >= BATCH_OPS or queued_bytes[index] >= BATCH_BYTES:
                put(index, batch)
                batches[index] = []
                queued_bytes[index] = 0
        self.size = size

    def execute(self, batch: list[Op]) -> None:
        """Carry out a batch of operations, in order (on a writer thread)."""
        privileged = self.privileged
        os_open, write, fchown, fchmod, utime, close = os.open, os.write, os.fchown, os.fchmod, os.utime, os.close
        file_flags = _FILE_FLAGS
        umask = self.umask
        euid = self.euid
        for kind, name, base, pfd, group, entry, data in batch:
            mtime = entry.mtime_ns
            atime = entry.atime_ns if entry.atime_ns is not None and entry.atime_ns > mtime else mtime
            if kind == FILE:
                assert data is not None
                # Created with its final mode when the umask leaves it so and it has no special
                # bits, and not chowned when it is already the creator's (nearly every file of an
                # image): two system calls fewer than tar -x makes.
                mode = entry.mode & 0o7777
                final = not (mode & 0o7000 or mode & umask)
                try:
                    fd = os_open(base, file_flags, mode if final else 0o600, dir_fd=pfd)
                except FileExistsError:
                    self._remove(pfd, base, name)
                    fd = os_open(base, file_flags, mode if final else 0o600, dir_fd=pfd)
                try:
                    if data:
                        done = write(fd, data)
                        while done < len(data):
                            done += write(fd, data[done:])
                    if privileged and (entry.uid != euid or entry.gid != group):
                        fchown(fd, entry.uid, entry.gid)
                    if not final:
                        fchmod(fd, mode)
                    if entry.xattrs:
                        self._xattrs(fd, entry)
                    utime(fd, ns=(atime, mtime))
                finally:
                    close(fd)
            elif kind == SYMLINK:
                try:
                    os.symlink(entry.linkname, base, dir_fd=pfd)
                except FileExistsError:
                    self._remove(pfd, base, name)
                    os.symlink(entry.linkname, base, dir_fd=pfd)
                self._node_attrs(pfd, base, entry, atime, mtime)
            else:
                device = os.makedev(entry.devmajor, entry.devminor)
                node = _NODE_KINDS[entry.type] | 0o600
                try:
                    os.mknod(base, node, device, dir_fd=pfd)
                except FileExistsError:
                    self._remove(pfd, base, name)
                    os.mknod(base, node, device, dir_fd=pfd)
                self._node_attrs(pfd, base, entry, atime, mtime)

    def _mkdir(self, name: str, parent: str, base: str, entry: TarEntry) -> None:
        """A directory entry, made with its owner, mode and xattrs (its times are set at the end)."""
        mtime = entry.mtime_ns
        atime = entry.atime_ns if entry.atime_ns is not None and entry.atime_ns > mtime else mtime
        if name == ".":
            fd = os.open(".", _DIR_OPEN & ~os.O_NOFOLLOW, dir_fd=self.root.fd)
        else:
            pfd = self._parent(parent)[0]
            try:
                os.mkdir(base, 0o700, dir_fd=pfd)
            except FileExistsError:
                if not stat.S_ISDIR(os.stat(base, dir_fd=pfd, follow_symlinks=False).st_mode):
                    self._remove(pfd, base, name)
                    os.mkdir(base, 0o700, dir_fd=pfd)
            fd = os.open(base, _DIR_OPEN, dir_fd=pfd)
        try:
            self._attrs(fd, entry)
        finally:
            os.close(fd)
        self.dirs.append((name, atime, mtime))

    def _write_file(self, name: str, parent: str, base: str, entry: TarEntry) -> None:
        """A regular file whose payload is streamed from the tar (done here, while the writers go on)."""
        mtime = entry.mtime_ns
        atime = entry.atime_ns if entry.atime_ns is not None and entry.atime_ns > mtime else mtime
        pfd = self._parent(parent)[0]
        try:
            fd = os.open(base, _FILE_FLAGS, 0o600, dir_fd=pfd)
        except FileExistsError:
            self._remove(pfd, base, name)
            fd = os.open(base, _FILE_FLAGS, 0o600, dir_fd=pfd)
        try:
            self.reader.copy_payload(fd, entry.name)
            if self.privileged:
                os.fchown(fd, entry.uid, entry.gid)
            os.fchmod(fd, entry.mode & 0o7777)
            if entry.xattrs:
                self._xattrs(fd, entry)
            os.utime(fd, ns=(atime, mtime))
        finally:
            os.close(fd)

    def _attrs(self, fd: int, entry: TarEntry) -> None:
        if self.privileged:
            os.fchown(fd, entry.uid, entry.gid)
        os.fchmod(fd, entry.mode & 0o7777)
        if entry.xattrs:
            self._xattrs(fd, entry)

    def _node_attrs(self, pfd: int, base: str, entry: TarEntry, atime: int, mtime: int) -> None:
        """Owner, mode, xattrs and times of a symlink or device node, never following it."""
        if self.privileged:
            os.chown(base, entry.uid, entry.gid, dir_fd=pfd, follow_symlinks=False)
        if entry.type != b"2":
            os.chmod(base, entry.mode & 0o7777, dir_fd=pfd)
        if entry.xattrs:
            self._xattrs(f"/proc/self/fd/{pfd}/{base}", entry)
        os.utime(base, ns=(atime, mtime), dir_fd=pfd, follow_symlinks=False)

    def _xattrs(self, target: int | str, entry: TarEntry) -> None:
        assert entry.xattrs is not None
        for key, value in entry.xattrs.items():
            try:
                if isinstance(target, int):
                    os.setxattr(target, key, value)
                else:
                    os.setxattr(target, key, value, follow_symlinks=False)
            except OSError as exc:
                # As Docker: not every file system (or privilege) takes every namespace.
                if exc.errno not in _IGNORED_XATTR_ERRORS:
                    raise
                self.ignored_xattrs.add(key)

    def _hardlink(self, pfd: int, base: str, name: str, entry: TarEntry) -> None:
        link = entry.linkname
        if link.startswith("/") or _escapes("", link):
            raise UnsafeTarEntry(f"invalid hardlink {name!r} -> {link!r}: it points outside of the layer")
        link = clean_entry_name(link)
        if link == name:
            return
        if link == ".":
            raise UnsafeTarEntry(f"invalid hardlink {name!r} -> {link!r}: cannot link to the root")
        try:
            lpfd, lbase = self.root.split(link)
            try:
                os.link(lbase, base, src_dir_fd=lpfd, dst_dir_fd=pfd, follow_symlinks=False)
            except FileExistsError:
                self._remove(pfd, base, name)
                os.link(lbase, base, src_dir_fd=lpfd, dst_dir_fd=pfd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise InvalidTar(f"invalid hardlink {name!r} -> {link!r}: the target is not in the layer") from exc
        except PermissionError as exc:
            raise InvalidTar(f"invalid hardlink {name!r} -> {link!r}: {exc.strerror}") from exc

    def _remove(self, pfd: int, base: str, name: str) -> None:
        """Remove what is at ``name`` (a directory with all it holds) to make room for a new entry."""
        try:
            st = os.stat(base, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(base, dir_fd=pfd)
            self.removed.append(name)  # forgotten in the caches once the writers are idle
        else:
            os.unlink(base, dir_fd=pfd)

    def _whiteout(self, parent: str, target: str, entry: TarEntry) -> None:
        if not target or target in (".", ".."):
            raise UnsafeTarEntry(f"invalid whiteout {entry.name!r}")
        name = f"{parent}/{target}" if parent else target
        if self.whiteouts is WhiteoutFormat.DELETE:
            try:
                pfd = self.root.dir_fd(parent) if parent else self.root.fd
            except (FileNotFoundError, NotADirectoryError):
                return
            self._remove(pfd, target, name)
            return
        pfd = self.root.dir_fd(parent, True) if parent else self.root.fd
        try:
            os.mknod(target, stat.S_IFCHR, 0, dir_fd=pfd)
        except FileExistsError:
            self._remove(pfd, target, name)
            os.mknod(target, stat.S_IFCHR, 0, dir_fd=pfd)
        if self.privileged:
            os.chown(target, entry.uid, entry.gid, dir_fd=pfd, follow_symlinks=False)
        os.utime(target, ns=(entry.mtime_ns, entry.mtime_ns), dir_fd=pfd, follow_symlinks=False)

    def _opaque(self, parent: str) -> None:
        if self.whiteouts is WhiteoutFormat.OVERLAY:
            pfd = self.root.dir_fd(parent, True) if parent else self.root.fd
            fd = os.open(".", _DIR_OPEN & ~os.O_NOFOLLOW, dir_fd=pfd)
            try:
                os.setxattr(fd, OVERLAY_OPAQUE_XATTR, b"y")
            finally:
                os.close(fd)
            return
        try:
            pfd = self.root.dir_fd(parent) if parent else self.root.fd
        except (FileNotFoundError, NotADirectoryError):
            return
        self._clear_not_unpacked(pfd, parent)

    def _clear_not_unpacked(self, dfd: int, rel: str) -> None:
        """Remove everything under ``rel`` that this layer did not write (what an opaque marker hides)."""
        assert self.unpacked is not None
        fd = os.open(".", _DIR_OPEN & ~os.O_NOFOLLOW, dir_fd=dfd)
        try:
            names = os.listdir(fd)
        finally:
            os.close(fd)
        for child in names:
            path = f"{rel}/{child}" if rel else child
            if path in self.unpacked:
                st = os.stat(child, dir_fd=dfd, follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    self._clear_not_unpacked(self.root.dir_fd(path), path)
            else:
                self._remove(dfd, child, path)

    def _finish_dirs(self) -> None:
        for name, atime, mtime in self.dirs:
            try:
                if name == ".":
                    os.utime(self.root.path, ns=(atime, mtime))
                    continue
                pfd, base = self.root.split(name)
                os.utime(base, ns=(atime, mtime), dir_fd=pfd, follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                continue  # removed by a later whiteout


def apply_tar(
    stream: IO[bytes],
    dest: str | os.PathLike[str],
    *,
    whiteouts: WhiteoutFormat = WhiteoutFormat.DELETE,
    privileged: bool | None = None,
    split: Path | None = None,
) -> ApplyResult:
    """Apply the (possibly compressed) layer tar ``stream`` onto the directory ``dest``.

    ``privileged`` (by default: whether this process holds CAP_MKNOD and
    CAP_CHOWN) allows device nodes and ownership changes; without it devices
    are refused and files keep the caller's owner. With ``split``, the layout
    of the stream is recorded into that file (see :mod:`._split`).

    Raises InvalidTar, UnsafeTarEntry, DeviceNotPermitted, UnsupportedTarEntry
    for a bad stream, and DriverFailure when the file system refuses a write.
    What was written before the error stays: the caller removes ``dest``.
    """
    if privileged is None:
        privileged = can_make_devices()
    writer = SplitWriter(split) if split is not None else None
    finished = False
    try:
        with ChunkSource(stream) as source, InRoot(dest) as root:
            reader = TarReader(source.next_chunk, writer)
            applier = _Applier(root, reader, whiteouts, privileged)
            try:
                applier.run()
            except OSError as exc:
                raise DriverFailure(f"failed to apply layer: {exc}") from exc
            while source.next_chunk():
                pass
            result = ApplyResult(source.digest, applier.size, source.size, source.compression)
        if writer is not None:
            writer.close()
        finished = True
    finally:
        if writer is not None and not finished:
            writer.abort()
    return result
