"""Task metrics: containerd's cgroup v1 and v2 statistics as plain numbers.

The fields are those ``docker stats`` needs (Docker's ``StatsJSON``): CPU
usage in nanoseconds (total, kernel, user, per CPU, throttling), memory
usage, peak, limit and the raw statistics map, pids, and block I/O entries.
The system CPU usage and network counters are the daemon's to add. For
cgroup v2, Docker's conventions apply: CPU microseconds become nanoseconds,
and ``io.stat`` becomes ``io_service_bytes_recursive`` / ``io_serviced_recursive``
entries with ``read`` / ``write`` operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._proto import cgroups_v1_pb2 as v1
from ._proto import cgroups_v2_pb2 as v2
from ._wire import type_name

__all__ = ["BlkioEntry", "BlkioStats", "CpuStats", "MemoryStats", "Metrics", "PidsStats", "decode_metrics"]

V1_TYPE = "io.containerd.cgroups.v1.Metrics"
V2_TYPE = "io.containerd.cgroups.v2.Metrics"


@dataclass(frozen=True, slots=True)
class CpuStats:
    """CPU time used by the task's cgroup, in nanoseconds."""

    total_usage: int = 0
    usage_in_kernelmode: int = 0
    usage_in_usermode: int = 0
    percpu_usage: tuple[int, ...] = ()
    throttling_periods: int = 0
    throttled_periods: int = 0
    throttled_time: int = 0


@dataclass(frozen=True, slots=True)
class MemoryStats:
    """Memory use of the task's cgroup in bytes; ``stats`` is the raw ``memory.stat`` map."""

    usage: int = 0
    max_usage: int = 0
    limit: int = 0
    failcnt: int = 0
    stats: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PidsStats:
    """Number of processes in the cgroup, and its limit (0: none)."""

    current: int = 0
    limit: int = 0


@dataclass(frozen=True, slots=True)
class BlkioEntry:
    """One block-I/O counter of one device."""

    major: int
    minor: int
    op: str
    value: int


@dataclass(frozen=True, slots=True)
class BlkioStats:
    """Block-I/O counters, as Docker's ``blkio_stats`` lists them."""

    io_service_bytes_recursive: tuple[BlkioEntry, ...] = ()
    io_serviced_recursive: tuple[BlkioEntry, ...] = ()
    io_queue_recursive: tuple[BlkioEntry, ...] = ()
    io_service_time_recursive: tuple[BlkioEntry, ...] = ()
    io_wait_time_recursive: tuple[BlkioEntry, ...] = ()
    io_merged_recursive: tuple[BlkioEntry, ...] = ()
    io_time_recursive: tuple[BlkioEntry, ...] = ()
    sectors_recursive: tuple[BlkioEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Metrics:
    """A snapshot of a task's cgroup statistics."""

    cgroup_version: int
    timestamp: datetime | None
    cpu: CpuStats
    memory: MemoryStats
    pids: PidsStats
    blkio: BlkioStats
    #: How often the kernel's OOM killer fired in the cgroup (0 when unknown).
    oom_kills: int = 0


_UINT64 = 4  # FieldDescriptor.TYPE_UINT64
#: cgroup v2 ``memory.stat`` keys that Docker reports as usage and limits, not in the map.
_V2_NOT_STATS = frozenset({"usage", "usage_limit", "swap_usage", "swap_limit"})


def _counters(message: Any, skip: frozenset[str] = frozenset()) -> dict[str, int]:
    """Every scalar counter of ``message`` by field name, zeros included."""
    return {
        f.name: int(getattr(message, f.name))
        for f in message.DESCRIPTOR.fields
        if f.type == _UINT64 and f.name not in skip and not _is_repeated(f)
    }


def _is_repeated(descriptor: Any) -> bool:
    return bool(getattr(descriptor, "is_repeated", False)) or getattr(descriptor, "label", 0) == 3


def _v1_stat_name(name: str) -> str:
    """The kernel's ``memory.stat`` key for a cgroups v1 ``MemoryStat`` field, as Docker reports it."""
    return (
        name.replace("pg_pg_", "pgpg")
        .replace("pg_maj_fault", "pgmajfault")
        .replace("pg_fault", "pgfault")
        .replace("hierarchical_swap_limit", "hierarchical_memsw_limit")
    )


def _blkio_entries(entries: Any) -> tuple[BlkioEntry, ...]:
    return tuple(BlkioEntry(major=e.major, minor=e.minor, op=e.op, value=e.value) for e in entries)


def _from_v1(m: v1.Metrics, timestamp: datetime | None) -> Metrics:
    usage = m.cpu.usage
    cpu = CpuStats(
        total_usage=usage.total,
        usage_in_kernelmode=usage.kernel,
        usage_in_usermode=usage.user,
        percpu_usage=tuple(usage.per_cpu),
        throttling_periods=m.cpu.throttling.periods,
        throttled_periods=m.cpu.throttling.throttled_periods,
        throttled_time=m.cpu.throttling.throttled_time,
    )
    stats = {_v1_stat_name(name): value for name, value in _counters(m.memory).items()}
    memory = MemoryStats(
        usage=m.memory.usage.usage,
        max_usage=m.memory.usage.max,
        limit=m.memory.usage.limit,
        failcnt=m.memory.usage.failcnt,
        stats=stats,
    )
    b = m.blkio
    blkio = BlkioStats(
        io_service_bytes_recursive=_blkio_entries(b.io_service_bytes_recursive),
        io_serviced_recursive=_blkio_entries(b.io_serviced_recursive),
        io_queue_recursive=_blkio_entries(b.io_queued_recursive),
        io_service_time_recursive=_blkio_entries(b.io_service_time_recursive),
        io_wait_time_recursive=_blkio_entries(b.io_wait_time_recursive),
        io_merged_recursive=_blkio_entries(b.io_merged_recursive),
        io_time_recursive=_blkio_entries(b.io_time_recursive),
        sectors_recursive=_blkio_entries(b.sectors_recursive),
    )
    return Metrics(
        cgroup_version=1,
        timestamp=timestamp,
        cpu=cpu,
        memory=memory,
        pids=PidsStats(current=m.pids.current, limit=m.pids.limit),
        blkio=blkio,
        oom_kills=m.memory_oom_control.oom_kill,
    )


def _from_v2(m: v2.Metrics, timestamp: datetime | None) -> Metrics:
    cpu = CpuStats(
        total_usage=m.cpu.usage_usec * 1000,
        usage_in_kernelmode=m.cpu.system_usec * 1000,
        usage_in_usermode=m.cpu.user_usec * 1000,
        throttling_periods=m.cpu.nr_periods,
        throttled_periods=m.cpu.nr_throttled,
        throttled_time=m.cpu.throttled_usec * 1000,
    )
    memory = MemoryStats(usage=m.memory.usage, limit=m.memory.usage_limit, stats=_counters(m.memory, _V2_NOT_STATS))
    service_bytes: list[BlkioEntry] = []
    serviced: list[BlkioEntry] = []
    for entry in m.io.usage:
        service_bytes.append(BlkioEntry(entry.major, entry.minor, "read", entry.rbytes))
        service_bytes.append(BlkioEntry(entry.major, entry.minor, "write", entry.wbytes))
        serviced.append(BlkioEntry(entry.major, entry.minor, "read", entry.rios))
        serviced.append(BlkioEntry(entry.major, entry.minor, "write", entry.wios))
    return Metrics(
        cgroup_version=2,
        timestamp=timestamp,
        cpu=cpu,
        memory=memory,
        pids=PidsStats(current=m.pids.current, limit=m.pids.limit),
        blkio=BlkioStats(io_service_bytes_recursive=tuple(service_bytes), io_serviced_recursive=tuple(serviced)),
        oom_kills=m.memory_events.oom_kill,
    )


def decode_metrics(packed: Any, timestamp: datetime | None = None) -> Metrics | None:
    """Decode the ``Any`` of a containerd ``Metric``; ``None`` for an unknown type."""
    name = type_name(packed)
    if name == V1_TYPE:
        return _from_v1(v1.Metrics.FromString(packed.value), timestamp)
    if name == V2_TYPE:
        return _from_v2(v2.Metrics.FromString(packed.value), timestamp)
    return None
