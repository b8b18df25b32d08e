"""Network namespaces: create one bound to a file, open sockets in it, remove it.

A namespace is made by ``unshare(CLONE_NEWNET)`` in a short-lived thread (a
network namespace belongs to a thread, not to the process), bind-mounted on
``EXEC_ROOT/netns/<id>`` so it outlives that thread, and the thread goes back
to the daemon's namespace. That file is the ``SandboxKey`` runc joins.

Work inside a namespace uses the same trick: a fresh thread enters it, opens
the sockets it needs (netlink, the DNS server's, a sysctl file) and leaves;
a socket stays in the namespace it was created in. A fresh thread each time,
never a pooled one, so that a failed return can never leave a worker thread
of the daemon in a container's namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio

from ._errors import NetworkSetupError

__all__ = [
    "create_netns",
    "in_netns",
    "netns_socket",
    "remove_netns",
    "write_sysctl",
]

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str, path: object) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}", str(path))


def _in_fresh_thread(fn: Callable[[], T]) -> T:
    result: list[T] = []
    failure: list[Exception] = []

    def run() -> None:
        try:
            result.append(fn())
        except Exception as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="pymoby-netns")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def _enter(path: Path, fn: Callable[[], T]) -> T:
    """Run ``fn`` in this thread inside the namespace at ``path``, then come back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _check(_libc.setns(target, CLONE_NEWNET), "setns", path)
        finally:
            os.close(target)
        try:
            return fn()
        finally:
            # If this fails the thread dies in the namespace; it is a fresh thread, so no harm.
            _check(_libc.setns(home, CLONE_NEWNET), "setns back", "/proc/thread-self/ns/net")
    finally:
        os.close(home)


def _create(path: Path) -> None:
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
        os.close(fd)
        try:
            _check(_libc.unshare(CLONE_NEWNET), "unshare", path)
            _check(_libc.mount(b"/proc/thread-self/ns/net", os.fsencode(path), b"none", MS_BIND, None), "mount", path)
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        finally:
            _check(_libc.setns(home, CLONE_NEWNET), "setns back", "/proc/thread-self/ns/net")
    finally:
        os.close(home)


async def create_netns(path: Path) -> None:
    """Create a network namespace bound to ``path`` (which must not exist).

    Raises :class:`NetworkSetupError` when the kernel refuses.
    """
    try:
        await anyio.to_thread.run_sync(_in_fresh_thread, lambda: _create(path))
    except OSError as exc:
        raise NetworkSetupError(f"failed to create network namespace {path}: {exc}") from exc


def _remove(path: Path) -> None:
    result = _libc.umount2(os.fsencode(path), MNT_DETACH)
    if result != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
        code = ctypes.get_errno()
        raise OSError(code, f"umount: {os.strerror(code)}", str(path))
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


async def remove_netns(path: Path) -> None:
    """Unmount and delete the namespace file; the namespace goes when its last process does.

    A missing or unmounted file is not an error. Raises :class:`NetworkSetupError`.
    """
    try:
        _remove(path)  # a lazy unmount and an unlink: two quick system calls, no thread hop
    except OSError as exc:
        raise NetworkSetupError(f"failed to remove network namespace {path}: {exc}") from exc


def remove_netns_sync(path: Path) -> None:
    """:func:`remove_netns` for blocking callers (crash clean-up in a worker thread)."""
    _remove(path)


async def in_netns(path: Path, fn: Callable[[], T]) -> T:
    """Run the blocking ``fn`` inside the namespace at ``path`` (in a fresh thread) and return its result."""
    try:
        return await anyio.to_thread.run_sync(_in_fresh_thread, lambda: _enter(path, fn))
    except OSError as exc:
        raise NetworkSetupError(f"failed to enter network namespace {path}: {exc}") from exc


async def netns_socket(path: Path, family: int, kind: int, proto: int = 0) -> socket.socket:
    """A socket created inside the namespace at ``path`` (it stays there)."""
    return await in_netns(path, lambda: socket.socket(family, kind, proto))


def write_sysctl(path: str, value: str) -> None:
    """Write ``/proc/sys/<path>`` (``net/ipv4/ip_forward``) as the calling thread's namespace sees it."""
    Path("/proc/sys", path).write_text(value)
