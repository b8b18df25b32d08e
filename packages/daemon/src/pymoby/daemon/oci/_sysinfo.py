"""What the host's cgroups and kernel support, for create-time validation (moby ``pkg/sysinfo``).

:func:`read_sysinfo` reads /sys/fs/cgroup and /proc once (blocking: run it
in a worker thread at daemon start); :class:`SysInfo` is a plain value the
validation takes, so tests build one by hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SysInfo", "read_sysinfo"]


@dataclass(frozen=True, slots=True)
class SysInfo:
    """Which resource limits this host can enforce, and its CPUs and memory nodes.

    ``cpus``/``mems`` are the cpuset lists of the root cgroup (``0-3``);
    ``ncpu`` is the number of CPUs this process may use.
    """

    ncpu: int = 1
    cpus: str = "0"
    mems: str = "0"
    cgroup_version: str = "1"
    memory_limit: bool = True
    swap_limit: bool = True
    memory_reservation: bool = True
    memory_swappiness: bool = True
    kernel_memory: bool = False
    kernel_memory_tcp: bool = False
    oom_kill_disable: bool = True
    pids_limit: bool = True
    cpu_shares: bool = True
    cpu_cfs: bool = True
    cpu_realtime: bool = False
    cpuset: bool = True
    blkio_weight: bool = True
    blkio_weight_device: bool = True
    blkio_read_bps_device: bool = True
    blkio_write_bps_device: bool = True
    blkio_read_iops_device: bool = True
    blkio_write_iops_device: bool = True
    cgroup_namespaces: bool = True
    ipv4_forwarding_disabled: bool = False


def _read(path: Path, default: str = "") -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return default


def read_sysinfo(cgroup_root: Path = Path("/sys/fs/cgroup")) -> SysInfo:
    """Read what this host supports (cgroup v1 hierarchies or the v2 unified tree)."""
    ncpu = len(os.sched_getaffinity(0))
    forwarding_disabled = _read(Path("/proc/sys/net/ipv4/ip_forward"), "1") == "0"
    cgroupns = Path("/proc/self/ns/cgroup").exists()
    if (cgroup_root / "cgroup.controllers").exists():
        controllers = set(_read(cgroup_root / "cgroup.controllers").split())
        has_memory, has_cpu, has_io = "memory" in controllers, "cpu" in controllers, "io" in controllers
        return SysInfo(
            ncpu=ncpu,
            cpus=_read(cgroup_root / "cpuset.cpus.effective", f"0-{ncpu - 1}"),
            mems=_read(cgroup_root / "cpuset.mems.effective", "0"),
            cgroup_version="2",
            memory_limit=has_memory,
            swap_limit=has_memory,
            memory_reservation=has_memory,
            memory_swappiness=False,
            kernel_memory=False,
            kernel_memory_tcp=False,
            oom_kill_disable=False,
            pids_limit="pids" in controllers,
            cpu_shares=has_cpu,
            cpu_cfs=has_cpu,
            cpuset="cpuset" in controllers,
            blkio_weight=has_io,
            blkio_weight_device=has_io,
            blkio_read_bps_device=has_io,
            blkio_write_bps_device=has_io,
            blkio_read_iops_device=has_io,
            blkio_write_iops_device=has_io,
            cgroup_namespaces=cgroupns,
            ipv4_forwarding_disabled=forwarding_disabled,
        )
    memory, cpu, blkio = cgroup_root / "memory", cgroup_root / "cpu", cgroup_root / "blkio"
    weight = (blkio / "blkio.weight").exists() or (blkio / "blkio.bfq.weight").exists()
    weight_device = (blkio / "blkio.weight_device").exists() or (blkio / "blkio.bfq.weight_device").exists()
    return SysInfo(
        ncpu=ncpu,
        cpus=_read(cgroup_root / "cpuset" / "cpuset.cpus", f"0-{ncpu - 1}"),
        mems=_read(cgroup_root / "cpuset" / "cpuset.mems", "0"),
        cgroup_version="1",
        memory_limit=memory.is_dir(),
        swap_limit=(memory / "memory.memsw.limit_in_bytes").exists(),
        memory_reservation=(memory / "memory.soft_limit_in_bytes").exists(),
        memory_swappiness=(memory / "memory.swappiness").exists(),
        kernel_memory=(memory / "memory.kmem.limit_in_bytes").exists(),
        kernel_memory_tcp=(memory / "memory.kmem.tcp.limit_in_bytes").exists(),
        oom_kill_disable=(memory / "memory.oom_control").exists(),
        pids_limit=(cgroup_root / "pids").is_dir(),
        cpu_shares=(cpu / "cpu.shares").exists(),
        cpu_cfs=(cpu / "cpu.cfs_quota_us").exists(),
        cpu_realtime=(cpu / "cpu.rt_period_us").exists(),
        cpuset=(cgroup_root / "cpuset").is_dir(),
        blkio_weight=weight,
        blkio_weight_device=weight_device,
        blkio_read_bps_device=(blkio / "blkio.throttle.read_bps_device").exists(),
        blkio_write_bps_device=(blkio / "blkio.throttle.write_bps_device").exists(),
        blkio_read_iops_device=(blkio / "blkio.throttle.read_iops_device").exists(),
        blkio_write_iops_device=(blkio / "blkio.throttle.write_iops_device").exists(),
        cgroup_namespaces=cgroupns,
        ipv4_forwarding_disabled=forwarding_disabled,
    )
