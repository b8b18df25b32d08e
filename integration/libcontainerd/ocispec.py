"""Minimal OCI runtime specs and containerd clean-up for the tests and the benchmark.

The daemon will build real specs; these are just enough for busybox
processes: their own pid, ipc, uts, mount and network namespaces, a
read-only root, /proc, /dev, /sys, and a cgroup path per container.
Plain functions, no pytest, so tools/bench/ can use them too.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from pathlib import Path
from typing import Any

import anyio
from support.processes import kill_shims

from pymoby import errdefs
from pymoby.libcontainerd import Client

__all__ = ["kill_shims", "process_spec", "remove_cgroups", "remove_everything", "runtime_spec", "unmount_under"]

CAPABILITIES = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
]
ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"]


def process_spec(args: list[str], *, terminal: bool = False) -> dict[str, Any]:
    """An OCI ``process`` running ``args`` as root in ``/`` (also the exec spec)."""
    caps = list(CAPABILITIES)
    process: dict[str, Any] = {
        "terminal": terminal,
        "user": {"uid": 0, "gid": 0},
        "args": args,
        "env": ENV + (["TERM=xterm"] if terminal else []),
        "cwd": "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": True,
    }
    if terminal:
        process["consoleSize"] = {"height": 24, "width": 80}
    return process


def runtime_spec(
    container_id: str,
    args: list[str],
    *,
    root: str = "rootfs",
    terminal: bool = False,
    memory_limit: int | None = None,
    cgroup_parent: str = "/pymoby-test",
) -> dict[str, Any]:
    """A runtime spec for ``args``; ``root`` is the rootfs path (relative to the bundle by default)."""
    resources: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    if memory_limit is not None:
        resources["memory"] = {"limit": memory_limit}
    return {
        "ociVersion": "1.0.2",
        "process": process_spec(args, terminal=terminal),
        "root": {"path": root, "readonly": True},
        "hostname": container_id[:12],
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
            },
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            },
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
            "cgroupsPath": f"{cgroup_parent}/{container_id}",
            "resources": resources,
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }


def unmount_under(*directories: Path) -> None:
    """Lazily unmount every mount point below ``directories`` (rootfs overlays, shm), deepest first."""
    prefixes = [str(d.resolve()) + "/" for d in directories]
    points = []
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            point = line.split()[4].replace("\\040", " ")
            if any(point.startswith(p) for p in prefixes):
                points.append(point)
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def remove_cgroups(parent: str = "/pymoby-test") -> None:
    """Remove the (empty) cgroups the tests' containers left under ``parent`` in every v1 hierarchy."""
    root = Path("/sys/fs/cgroup")
    for hierarchy in root.iterdir():
        base = hierarchy / parent.lstrip("/")
        if not base.is_dir():
            continue
        for child in sorted(base.rglob("*"), key=lambda p: len(str(p)), reverse=True):
            if child.is_dir():
                with contextlib.suppress(OSError):
                    child.rmdir()


async def remove_everything(client: Client) -> None:
    """Kill and delete every task and container of the client's namespace."""
    for task in await client.list_tasks():
        with contextlib.suppress(errdefs.NotFound, errdefs.Conflict):
            await client.kill(task.container_id, signal.SIGKILL, all=True)
        with contextlib.suppress(errdefs.NotFound), anyio.move_on_after(10):
            await client.wait(task.container_id)
        with contextlib.suppress(errdefs.NotFound):
            await client.delete_task(task.container_id)
    for container in await client.list_containers():
        with contextlib.suppress(errdefs.NotFound):
            await client.delete_container(container.id)
