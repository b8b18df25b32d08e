"""Finding and killing what a test's containerd leaves behind: its runc shims and their containers."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

__all__ = ["children", "kill_shims", "shim_pids"]


def shim_pids(address: str) -> list[int]:
    """Pids of the runc v2 shims that serve the containerd at ``address``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and address.encode() in argv:
            found.append(int(entry.name))
    return found


def children(parents: list[int]) -> list[int]:
    """Pids whose parent is one of ``parents``."""
    wanted, found = set(parents), []
    if not wanted:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid in wanted:
            found.append(int(entry.name))
    return found


def kill_shims(address: str) -> None:
    """SIGKILL the containers (the shims' children) and the shims of the containerd at ``address``.

    Shims and their containers outlive containerd; a test's must not outlive the test.
    """
    shims = shim_pids(address)
    for pid in [*children(shims), *shims]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
