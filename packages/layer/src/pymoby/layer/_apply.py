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

Two threads share the work: the caller's parses the tar and hands small
files, with their bytes, to a writer thread (:mod:`._writer`) that makes the
system calls, which release the GIL, so parsing and writing overlap. A file
whose mode the umask leaves intact is created with it, and one that already
has the right owner is not chowned: fewer calls per file than ``tar -x``.
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
from ._writer import BATCH_BYTES, BATCH_OPS, DIR, FILE, HARDLINK, NODE, SYMLINK, Op, Writer

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
        #: directory name -> the group a file created in it gets (its own when it is setgid).
        self.new_file_group: dict[str, int] = {}

    def run(self) -> None:
        """Apply every entry: parsed here, written in order by a :class:`~._writer.Writer` thread."""
        writer = Writer(self)
        writer.start()
        try:
            self._parse(writer)
        finally:
            # What came before a bad entry is written, as a serial apply would have: the caller decides.
            writer.stop()
        writer.check()
        self._finish_dirs()

    def _parse(self, writer: Writer) -> None:
        ops: list[Op] = []
        try:
            self._parse_entries(writer, ops)
        finally:
            # On an error, what was parsed before it is written too, as a serial apply would have.
            writer.put(ops, check=False)

    def _parse_entries(self, writer: Writer, ops: list[Op]) -> None:
        # The hot loop of every layer apply: names are bound to locals, the common
        # cases (regular file, directory) come first, and nothing is looked up twice.
        # Small files travel to the writer thread with their bytes; what needs the
        # tree as it stands (a large file streamed from the tar, a whiteout) waits
        # for the writer to catch up and is done here.
        reader = self.reader
        next_entry = reader.next_entry
        take_payload = reader.take_payload
        unpacked = self.unpacked
        privileged = self.privileged
        put = writer.put
        queued = 0
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
                if ops:
                    put(ops[:])
                    ops.clear()
                    queued = 0
                writer.drain()
                if base == OPAQUE_MARKER:
                    self._opaque(parent)
                else:
                    self._whiteout(parent, base[len(WHITEOUT_PREFIX) :], entry)
                continue
            if unpacked is not None:
                unpacked.add(name)
            typ = entry.type
            if typ == b"0" or typ == b"7":
                if name == ".":
                    raise UnsafeTarEntry(f"invalid tar entry {entry.name!r}: the root of a layer must be a directory")
                data = take_payload(name)
                if data is None:
                    if ops:
                        put(ops[:])
                        ops.clear()
                        queued = 0
                    writer.drain()
                    self._write_file(name, parent, base, entry)
                    continue
                ops.append((FILE, name, parent, base, entry, data))
                queued += len(data)
            elif typ == b"5" or typ == b"D":
                ops.append((DIR, name, parent, base, entry, None))
            elif name == ".":
                raise UnsafeTarEntry(f"invalid tar entry {entry.name!r}: the root of a layer must be a directory")
            elif typ == b"2":
                target = entry.linkname
                if not target.startswith("/") and _escapes(parent, target):
                    raise UnsafeTarEntry(f"invalid symlink {name!r} -> {target!r}: it points outside of the layer")
                ops.append((SYMLINK, name, parent, base, entry, None))
            elif typ == b"1":
                ops.append((HARDLINK, name, parent, base, entry, None))
            else:
                if _NODE_KINDS[typ] != stat.S_IFIFO and not privileged:
                    raise DeviceNotPermitted(
                        f"cannot create device {name!r} ({entry.devmajor}:{entry.devminor}): "
                        "creating device nodes needs root (CAP_MKNOD)"
                    )
                ops.append((NODE, name, parent, base, entry, None))
            if len(ops) >= BATCH_OPS or queued >= BATCH_BYTES:
                put(ops[:])
                ops.clear()
                queued = 0
        self.size = size

    def execute(self, batch: list[Op]) -> None:
        """Carry out a batch of operations, in order (on the writer thread)."""
        root = self.root
        root_fd = root.fd
        dir_fd = root.dir_fd
        privileged = self.privileged
        dirs = self.dirs
        os_open, write, fchown, fchmod, utime, close = os.open, os.write, os.fchown, os.fchmod, os.utime, os.close
        file_flags = _FILE_FLAGS
        umask = self.umask
        euid = self.euid
        groups = self.new_file_group
        for kind, name, parent, base, entry, data in batch:
            mtime = entry.mtime_ns
            atime = entry.atime_ns if entry.atime_ns is not None and entry.atime_ns > mtime else mtime
            pfd = dir_fd(parent, True) if parent else root_fd
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
                    if privileged:
                        group = groups.get(parent)
                        if group is None:
                            group = self._new_file_group(parent, pfd)
                        if entry.uid != euid or entry.gid != group:
                            fchown(fd, entry.uid, entry.gid)
                    if not final:
                        fchmod(fd, mode)
                    if entry.xattrs:
                        self._xattrs(fd, entry)
                    utime(fd, ns=(atime, mtime))
                finally:
                    close(fd)
            elif kind == DIR:
                if name == ".":
                    fd = os_open(".", _DIR_OPEN & ~os.O_NOFOLLOW, dir_fd=root_fd)
                else:
                    try:
                        os.mkdir(base, 0o700, dir_fd=pfd)
                    except FileExistsError:
                        if not stat.S_ISDIR(os.stat(base, dir_fd=pfd, follow_symlinks=False).st_mode):
                            self._remove(pfd, base, name)
                            os.mkdir(base, 0o700, dir_fd=pfd)
                    fd = os_open(base, _DIR_OPEN, dir_fd=pfd)
                try:
                    self._attrs(fd, entry)
                finally:
                    close(fd)
                groups.pop(name, None)  # its mode may have changed: looked at again when needed
                dirs.append((name, atime, mtime))
            elif kind == SYMLINK:
                try:
                    os.symlink(entry.linkname, base, dir_fd=pfd)
                except FileExistsError:
                    self._remove(pfd, base, name)
                    os.symlink(entry.linkname, base, dir_fd=pfd)
                self._node_attrs(pfd, base, entry, atime, mtime)
            elif kind == HARDLINK:
                self._hardlink(pfd, base, name, entry)
            else:
                device = os.makedev(entry.devmajor, entry.devminor)
                node = _NODE_KINDS[entry.type] | 0o600
                try:
                    os.mknod(base, node, device, dir_fd=pfd)
                except FileExistsError:
                    self._remove(pfd, base, name)
                    os.mknod(base, node, device, dir_fd=pfd)
                self._node_attrs(pfd, base, entry, atime, mtime)

    def _new_file_group(self, parent: str, pfd: int) -> int:
        """The group a file created in ``parent`` gets: the directory's when it is setgid, else ours."""
        st = os.fstat(pfd)
        group = st.st_gid if st.st_mode & stat.S_ISGID else self.egid
        self.new_file_group[parent] = group
        return group

    def _write_file(self, name: str, parent: str, base: str, entry: TarEntry) -> None:
        """A regular file whose payload is streamed from the tar (done here, with the writer idle)."""
        mtime = entry.mtime_ns
        atime = entry.atime_ns if entry.atime_ns is not None and entry.atime_ns > mtime else mtime
        pfd = self.root.dir_fd(parent, True) if parent else self.root.fd
        try:
            fd = os.open(base, _FILE_FLAGS, 0o600, dir_fd=pfd)
        except FileExistsError:
            self._remove(pfd, base, name)
            fd = os.open(base, _FILE_FLAGS, 0o600, dir_fd=pfd)
        try:
            self.reader.copy_payload(fd, name)
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
            self.root.forget(name)
            self.new_file_group.clear()
            shutil.rmtree(base, dir_fd=pfd)
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
