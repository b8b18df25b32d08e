"""mount(2) with fstab-style options, umount2(2), and what /proc/self/mountinfo says about a path.

:func:`mount` takes options the way ``mount -o`` does (``ro,bind``,
``size=64m,uid=1000``): known flags become ``MS_*`` bits, the rest is the
file system's data string. As the kernel requires, a propagation change is
a second call, and a read-only bind mount is a bind followed by a
read-only remount (what ``mount -o bind,ro`` does, and Docker's local
driver with ``o=bind,ro``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass

__all__ = [
    "MountInfo",
    "is_mountpoint",
    "mount",
    "mount_containing",
    "mountpoints_under",
    "parse_options",
    "unmount",
]

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_SYNCHRONOUS = 0x10
MS_REMOUNT = 0x20
MS_MANDLOCK = 0x40
MS_DIRSYNC = 0x80
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_UNBINDABLE = 0x20000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MS_SHARED = 0x100000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000
MNT_DETACH = 2

_PROPAGATION = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE

# option -> (clear the bits instead of setting them, bits)
_FLAGS: dict[str, tuple[bool, int]] = {
    "defaults": (False, 0),
    "ro": (False, MS_RDONLY),
    "rw": (True, MS_RDONLY),
    "suid": (True, MS_NOSUID),
    "nosuid": (False, MS_NOSUID),
    "dev": (True, MS_NODEV),
    "nodev": (False, MS_NODEV),
    "exec": (True, MS_NOEXEC),
    "noexec": (False, MS_NOEXEC),
    "sync": (False, MS_SYNCHRONOUS),
    "async": (True, MS_SYNCHRONOUS),
    "dirsync": (False, MS_DIRSYNC),
    "remount": (False, MS_REMOUNT),
    "mand": (False, MS_MANDLOCK),
    "nomand": (True, MS_MANDLOCK),
    "atime": (True, MS_NOATIME),
    "noatime": (False, MS_NOATIME),
    "diratime": (True, MS_NODIRATIME),
    "nodiratime": (False, MS_NODIRATIME),
    "bind": (False, MS_BIND),
    "rbind": (False, MS_BIND | MS_REC),
    "unbindable": (False, MS_UNBINDABLE),
    "runbindable": (False, MS_UNBINDABLE | MS_REC),
    "private": (False, MS_PRIVATE),
    "rprivate": (False, MS_PRIVATE | MS_REC),
    "shared": (False, MS_SHARED),
    "rshared": (False, MS_SHARED | MS_REC),
    "slave": (False, MS_SLAVE),
    "rslave": (False, MS_SLAVE | MS_REC),
    "relatime": (False, MS_RELATIME),
    "norelatime": (True, MS_RELATIME),
    "strictatime": (False, MS_STRICTATIME),
    "nostrictatime": (True, MS_STRICTATIME),
}

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def parse_options(options: str) -> tuple[int, str]:
    """``(flags, data)`` for a ``mount -o`` string: known flags as ``MS_*`` bits, the rest joined as data."""
    flags = 0
    data: list[str] = []
    for option in options.split(","):
        if not option:
            continue
        known = _FLAGS.get(option)
        if known is None:
            data.append(option)
            continue
        clear, bits = known
        flags = flags & ~bits if clear else flags | bits
    return flags, ",".join(data)


def _syscall(source: str, target: str, fstype: str, flags: int, data: str) -> None:
    raw_data = data.encode() if data else None
    if _libc.mount(os.fsencode(source), os.fsencode(target), fstype.encode(), flags, raw_data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), target)


def mount(device: str, target: str, fstype: str, options: str) -> None:
    """Mount ``device`` on ``target`` as ``mount -t fstype -o options`` would; ``OSError`` with the kernel's errno."""
    flags, data = parse_options(options)
    base = flags & ~_PROPAGATION
    if not base & MS_REMOUNT or data:
        _syscall(device, target, fstype, base, data)
    if flags & _PROPAGATION:
        _syscall("", target, "", flags & (_PROPAGATION | MS_REC), "")
    if base & (MS_BIND | MS_RDONLY) == MS_BIND | MS_RDONLY:
        _syscall("", target, "", base | MS_REMOUNT, "")


def unmount(target: str, *, detach: bool = True) -> None:
    """umount2(2) (lazily by default); a target that is not mounted is not an error."""
    if _libc.umount2(os.fsencode(target), MNT_DETACH if detach else 0) != 0:
        err = ctypes.get_errno()
        if err in (22, 2):  # EINVAL: not a mount point; ENOENT: gone
            return
        raise OSError(err, os.strerror(err), target)


@dataclass(frozen=True, slots=True)
class MountInfo:
    """One line of /proc/self/mountinfo: where it is mounted, its source, and its propagation."""

    mountpoint: str
    fstype: str
    source: str
    #: ``shared:N``, ``master:N`` ... (the optional fields).
    optional: tuple[str, ...]

    @property
    def shared(self) -> bool:
        """Whether the mount is a peer of a shared group (``shared:N``)."""
        return any(f.startswith("shared:") for f in self.optional)

    @property
    def slave(self) -> bool:
        """Whether the mount receives propagation from a master (``master:N``)."""
        return any(f.startswith("master:") for f in self.optional)


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    out = bytearray()
    raw = field.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(raw):
        if raw[i] == 0x5C and raw[i + 1 : i + 4].isdigit() and len(raw[i + 1 : i + 4]) == 3:
            out.append(int(raw[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _mountinfo() -> list[MountInfo]:
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as info:
        for line in info:
            fields = line.split()
            sep = fields.index("-")
            found.append(
                MountInfo(
                    mountpoint=_unescape(fields[4]),
                    fstype=fields[sep + 1],
                    source=_unescape(fields[sep + 2]),
                    optional=tuple(fields[6:sep]),
                )
            )
    return found


def mountpoints_under(prefix: str) -> list[str]:
    """Mount points at or below ``prefix`` (deepest last, as mounted)."""
    prefix = prefix.rstrip("/") or "/"
    return [
        m.mountpoint
        for m in _mountinfo()
        if m.mountpoint == prefix or m.mountpoint.startswith(prefix.rstrip("/") + "/")
    ]


def is_mountpoint(path: str) -> bool:
    """Whether ``path`` is a mount point."""
    path = os.path.normpath(path)
    return any(m.mountpoint == path for m in _mountinfo())


def mount_containing(path: str) -> MountInfo:
    """The mount that holds ``path`` (the longest mount point that is a prefix of its real path)."""
    real = os.path.realpath(path)
    best: MountInfo | None = None
    for info in _mountinfo():
        point = info.mountpoint
        holds = real == point or point == "/" or real.startswith(point + "/")
        if holds and (best is None or len(point) >= len(best.mountpoint)):
            best = info
    if best is None:  # pragma: no cover - "/" is always mounted
        raise FileNotFoundError(path)
    return best
