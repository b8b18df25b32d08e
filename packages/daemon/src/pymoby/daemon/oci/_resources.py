"""``HostConfig`` resources -> OCI ``linux.resources`` (memory, cpu, pids, block IO) and rlimits.

Pure mappings, as moby's ``getMemoryResources``/``getCPUResources``/
``getPidsLimit`` do them: a zero value means "not set" and is left out, so
runc keeps the kernel's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymoby import errdefs
from pymoby.api import Resources, Ulimit

from ._devices import ResolvedDevices

__all__ = ["NANO_CPU_PERIOD", "block_io", "cpu_resources", "memory_resources", "pids_limit", "rlimits"]

NANO_CPU_PERIOD = 100_000
"""The CFS period (µs) used for ``NanoCpus``, as Docker does."""


def memory_resources(r: Resources) -> dict[str, Any] | None:
    """``linux.resources.memory`` for ``r``, or ``None`` when nothing is set."""
    memory: dict[str, Any] = {}
    if r.memory > 0:
        memory["limit"] = r.memory
    if r.memory_reservation > 0:
        memory["reservation"] = r.memory_reservation
    if r.memory_swap > 0:
        memory["swap"] = r.memory_swap
    if r.memory_swappiness is not None and r.memory_swappiness >= 0:
        memory["swappiness"] = r.memory_swappiness
    if r.oom_kill_disable is not None:
        memory["disableOOMKiller"] = r.oom_kill_disable
    if r.kernel_memory:
        memory["kernel"] = r.kernel_memory
    if r.kernel_memory_tcp:
        memory["kernelTCP"] = r.kernel_memory_tcp
    return memory or None


def cpu_resources(r: Resources) -> dict[str, Any] | None:
    """``linux.resources.cpu`` for ``r``, or ``None`` when nothing is set.

    ``NanoCpus`` becomes a quota over a 100 ms period; explicit
    ``CpuPeriod``/``CpuQuota`` win. Raises ``InvalidParameter`` for negative
    shares (``shares: invalid argument``).
    """
    if r.cpu_shares < 0:
        raise errdefs.InvalidParameter("shares: invalid argument")
    cpu: dict[str, Any] = {}
    if r.cpu_shares > 0:
        cpu["shares"] = r.cpu_shares
    if r.cpuset_cpus:
        cpu["cpus"] = r.cpuset_cpus
    if r.cpuset_mems:
        cpu["mems"] = r.cpuset_mems
    if r.nano_cpus > 0:
        cpu["period"] = NANO_CPU_PERIOD
        cpu["quota"] = r.nano_cpus * NANO_CPU_PERIOD // 1_000_000_000
    if r.cpu_period:
        cpu["period"] = r.cpu_period
    if r.cpu_quota:
        cpu["quota"] = r.cpu_quota
    if r.cpu_realtime_period:
        cpu["realtimePeriod"] = r.cpu_realtime_period
    if r.cpu_realtime_runtime:
        cpu["realtimeRuntime"] = r.cpu_realtime_runtime
    return cpu or None


def pids_limit(r: Resources) -> dict[str, Any] | None:
    """``linux.resources.pids``: ``None`` when unset, ``-1`` (unlimited) for 0 or less."""
    if r.pids_limit is None:
        return None
    return {"limit": r.pids_limit if r.pids_limit > 0 else -1}


def _throttle(entries: tuple[tuple[int, int, int], ...]) -> list[dict[str, int]]:
    return [{"major": major, "minor": minor, "rate": rate} for major, minor, rate in entries]


def block_io(r: Resources, devices: ResolvedDevices) -> dict[str, Any]:
    """``linux.resources.blockIO``: the weight (always present, 0 = unset) and per-device limits."""
    blkio: dict[str, Any] = {"weight": r.blkio_weight}
    if devices.weight_devices:
        blkio["weightDevice"] = [
            {"major": major, "minor": minor, "weight": weight} for major, minor, weight in devices.weight_devices
        ]
    for key, entries in (
        ("throttleReadBpsDevice", devices.read_bps),
        ("throttleWriteBpsDevice", devices.write_bps),
        ("throttleReadIOPSDevice", devices.read_iops),
        ("throttleWriteIOPSDevice", devices.write_iops),
    ):
        if entries:
            blkio[key] = _throttle(entries)
    return blkio


def rlimits(ulimits: list[Ulimit] | None, defaults: Mapping[str, Ulimit]) -> list[dict[str, Any]]:
    """``process.rlimits``: the container's ``Ulimits``, then the daemon's defaults it does not override.

    A negative limit (``-1``) is unlimited (``RLIM_INFINITY``), as Go's unsigned conversion makes it.
    """
    chosen = list(ulimits or ())
    named = {u.name for u in chosen}
    chosen += [u for name, u in defaults.items() if name not in named]
    return [{"type": "RLIMIT_" + u.name.upper(), "hard": _rlim(u.hard), "soft": _rlim(u.soft)} for u in chosen]


def _rlim(value: int) -> int:
    # Go hands runc uint64(value): -1 is RLIM_INFINITY.
    return value if value >= 0 else 2**64 + value
