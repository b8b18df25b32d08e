"""mount(2) and umount2(2) through libc, and reading /proc/self/mountinfo."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess

from ._errors import DriverFailure

__all__ = ["MNT_DETACH", "is_mountpoint", "mount", "mount_from", "mountpoints_under", "unmount"]

MNT_DETACH = 2
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def mount(source: str, target: str, fstype: str, data: str, flags: int = 0) -> None:
    """mount(2). Raises OSError with the kernel's errno."""
    if _libc.mount(source.encode(), os.fsencode(target), fstype.encode(), flags, data.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype} on {target}: {os.strerror(err)}")


def mount_from(cwd: str, source: str, target: str, fstype: str, data: str) -> None:
    """Mount with ``data`` holding paths relative to ``cwd``, from a child process that changed to it.

    Used when absolute paths would make the option string longer than a page
    (overlay mounts of deep images); a thread cannot chdir without moving the
    whole process. Raises DriverFailure with mount(8)'s message.
    """
    result = subprocess.run(
        ["mount", "-t", fstype, "-o", data, source, target],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DriverFailure(f"mount {fstype} on {target}: {result.stderr.strip()}")


def unmount(target: str, flags: int = MNT_DETACH) -> None:
    """umount2(2); a target that is not mounted is not an error."""
    if _libc.umount2(os.fsencode(target), flags) != 0:
        err = ctypes.get_errno()
        if err in (22, 2):  # EINVAL: not a mount point; ENOENT: gone
            return
        raise OSError(err, f"unmount {target}: {os.strerror(err)}")


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    raw = field.encode()
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x5C and i + 3 < len(raw) + 0 and raw[i + 1 : i + 4].isdigit():
            out.append(int(raw[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


def mountpoints_under(prefix: str) -> list[str]:
    """Mount points at or below ``prefix``, from /proc/self/mountinfo."""
    prefix = prefix.rstrip("/")
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as info:
        for line in info:
            point = _unescape(line.split(" ", 5)[4])
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return found


def is_mountpoint(path: str) -> bool:
    """Whether ``path`` is a mount point (per /proc/self/mountinfo)."""
    return path.rstrip("/") in mountpoints_under(path)
