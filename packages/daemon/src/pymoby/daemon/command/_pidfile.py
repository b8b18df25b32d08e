"""One daemon per data root: an exclusive lock on the data root, and the pid file.

The lock (``flock`` on ``DATA_ROOT/pymobyd.lock``) is what refuses a second
daemon, whatever pid file it is given; the pid file tells people and init
systems which process holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from pymoby import errdefs

__all__ = ["DaemonLock", "DaemonRunning"]


class DaemonRunning(errdefs.Conflict):
    """Another daemon already runs on this data root (or holds this pid file)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DaemonLock:
    """Holds the data-root lock and the pid file for the daemon's lifetime."""

    def __init__(self, data_root: Path, pidfile: Path | None) -> None:
        self.data_root = data_root
        self.pidfile = pidfile
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write the pid file; :class:`DaemonRunning` when another daemon has them."""
        self.data_root.mkdir(mode=0o710, parents=True, exist_ok=True)
        lock_path = self.data_root / "pymobyd.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise DaemonRunning(
                f"another pymobyd (pid {holder or '?'}) is already running on data root {self.data_root}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        if self.pidfile is not None:
            try:
                existing = int(self.pidfile.read_text().strip() or "0")
            except (FileNotFoundError, ValueError):
                existing = 0
            if existing and existing != os.getpid() and _alive(existing):
                self.release()
                raise DaemonRunning(
                    f"pid file found, ensure pymobyd is not running or delete {self.pidfile}: "
                    f"process with PID {existing} is still running"
                )
            self.pidfile.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.pidfile.with_name(self.pidfile.name + ".tmp")
            tmp.write_text(f"{os.getpid()}")
            os.rename(tmp, self.pidfile)

    def release(self) -> None:
        """Remove the pid file and drop the lock."""
        if self.pidfile is not None and self._fd is not None:
            with contextlib.suppress(FileNotFoundError, ValueError):
                if int(self.pidfile.read_text().strip()) == os.getpid():
                    self.pidfile.unlink()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
