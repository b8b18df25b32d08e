"""Facts about the host for ``/info`` and ``/version``, read from /proc, /sys and the binaries.

What cannot change while the daemon runs (kernel, OS, CPUs, memory, cgroup
layout, runtime versions) is read once at start-up; :func:`sysctl_flag`
reads the few live values.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BinaryVersion", "HostInfo", "binary_version", "go_arch", "read_host_info", "sysctl_flag"]

_CGROUP = Path("/sys/fs/cgroup")
_FS_NAMES = {
    0xEF53: "extfs", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x01021994: "tmpfs", 0x794C7630: "overlayfs",
    0x2FC12FC1: "zfs", 0x6969: "nfs", 0x65735546: "fuse", 0x5346544E: "ntfs", 0xF2F52010: "f2fs",
}  # fmt: skip


def go_arch(machine: str | None = None) -> str:
    """Go's name for the CPU architecture (``x86_64`` -> ``amd64``), as Docker reports it."""
    machine = machine or platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le"}.get(
        machine, machine
    )


def _os_release() -> dict[str, str]:
    values: dict[str, str] = {}
    for candidate in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            text = Path(candidate).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip().strip('"')
        break
    return values


def _mem_total() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sysctl_flag(path: str) -> bool | None:
    """Whether a /proc/sys flag is 1; ``None`` when it does not exist."""
    try:
        return Path(path).read_text().strip() == "1"
    except OSError:
        return None


def _backing_filesystem(path: Path) -> str:
    try:
        # statfs is not in os; /proc/self/mountinfo gives the fs type of the longest matching mount.
        best, fstype = "", "unknown"
        target = str(path.resolve())
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            mount_point = left.split()[4]
            if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(mount_point) >= len(
                best
            ):
                best, fstype = mount_point, right.split()[0]
        return {"ext4": "extfs", "ext3": "extfs", "ext2": "extfs", "overlay": "overlayfs"}.get(fstype, fstype)
    except (OSError, IndexError):
        return "unknown"


@dataclass(frozen=True, slots=True)
class HostInfo:
    """What the host is: read once by :func:`read_host_info`."""

    kernel_version: str
    operating_system: str
    os_version: str
    architecture: str
    ncpu: int
    mem_total: int
    cgroup_version: str
    memory_limit: bool
    swap_limit: bool
    kernel_memory_tcp: bool
    cpu_cfs_period: bool
    cpu_cfs_quota: bool
    cpu_shares: bool
    cpu_set: bool
    pids_limit: bool
    oom_kill_disable: bool
    seccomp: bool
    apparmor: bool
    backing_filesystem: str
    warnings: tuple[str, ...] = field(default=())


def read_host_info(data_root: Path) -> HostInfo:
    """Read the host's facts (blocking: call it in a worker thread)."""
    os_release = _os_release()
    v2 = (_CGROUP / "cgroup.controllers").exists()
    if v2:
        controllers = set((_CGROUP / "cgroup.controllers").read_text().split())
        memory = "memory" in controllers
        swap = memory  # memory.swap.max lives in every non-root cgroup
        cfs = "cpu" in controllers
        cpuset, pids = "cpuset" in controllers, "pids" in controllers
        kmem_tcp, oom_disable, shares = False, False, cfs
    else:
        memory = (_CGROUP / "memory").is_dir()
        swap = (_CGROUP / "memory" / "memory.memsw.limit_in_bytes").exists()
        kmem_tcp = (_CGROUP / "memory" / "memory.kmem.tcp.limit_in_bytes").exists()
        oom_disable = (_CGROUP / "memory" / "memory.oom_control").exists()
        cfs = (_CGROUP / "cpu" / "cpu.cfs_period_us").exists()
        shares = (_CGROUP / "cpu" / "cpu.shares").exists()
        cpuset = (_CGROUP / "cpuset").is_dir()
        pids = (_CGROUP / "pids").is_dir()
    try:
        seccomp = "Seccomp:" in Path("/proc/self/status").read_text()
    except OSError:
        seccomp = False
    try:
        apparmor = Path("/sys/module/apparmor/parameters/enabled").read_text().strip() == "Y"
    except OSError:
        apparmor = False
    warnings = []
    if not memory:
        warnings.append("WARNING: No memory limit support")
    if memory and not swap:
        warnings.append("WARNING: No swap limit support")
    if not cfs:
        warnings.append("WARNING: No cpu cfs quota support")
    return HostInfo(
        kernel_version=platform.release(),
        operating_system=os_release.get("PRETTY_NAME", platform.system()),
        os_version=os_release.get("VERSION_ID", ""),
        architecture=platform.machine(),
        ncpu=len(os.sched_getaffinity(0)),
        mem_total=_mem_total(),
        cgroup_version="2" if v2 else "1",
        memory_limit=memory,
        swap_limit=swap,
        kernel_memory_tcp=kmem_tcp,
        cpu_cfs_period=cfs,
        cpu_cfs_quota=cfs,
        cpu_shares=shares,
        cpu_set=cpuset,
        pids_limit=pids,
        oom_kill_disable=oom_disable,
        seccomp=seccomp,
        apparmor=apparmor,
        backing_filesystem=_backing_filesystem(data_root),
        warnings=tuple(warnings),
    )


@dataclass(frozen=True, slots=True)
class BinaryVersion:
    """A helper binary's version and commit, as its ``--version`` prints them."""

    version: str
    commit: str


def binary_version(name: str) -> BinaryVersion | None:
    """Run ``name --version`` (blocking) and read ``runc version X`` / ``commit: Y`` or ``tini version X``."""
    path = shutil.which(name)
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    version = re.search(r"version\s+v?([^\s]+)", out)
    commit = re.search(r"commit:\s*(\S+)", out) or re.search(r"git\.(\w+)", out)
    if version is None:
        return None
    return BinaryVersion(version.group(1), commit.group(1) if commit else "")
