"""``GET /containers/{id}/stats``: cgroup statistics from containerd, in Docker's ``StatsJSON`` shape.

A sample every second while streaming. ``precpu_stats`` is the previous
sample's CPU, so a client computes the CPU percentage from two samples; a
non-streamed answer waits for a second sample unless ``one-shot``. The
system CPU time comes from ``/proc/stat`` (nanoseconds), as Docker reads
it. A container that is not running gives samples with only its name and
ID, as Docker's collector publishes them.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import AsyncIterator

import anyio

from pymoby import api, errdefs
from pymoby.libcontainerd import BlkioEntry, Metrics

from ..container import ZERO_TIME, Container, format_time
from ._restore import RestoreMixin

__all__ = ["StatsMixin", "system_cpu_usage", "to_stats"]

_TICKS = os.sysconf("SC_CLK_TCK")
_INTERVAL = 1.0


def system_cpu_usage() -> int:
    """Total CPU time of the host in nanoseconds (the ``cpu`` line of /proc/stat)."""
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith("cpu "):
                ticks = sum(int(v) for v in line.split()[1:8])
                return ticks * 1_000_000_000 // _TICKS
    return 0


def _entries(entries: tuple[BlkioEntry, ...]) -> list[api.BlkioStatEntry] | None:
    if not entries:
        return None
    return [api.BlkioStatEntry(major=e.major, minor=e.minor, op=e.op, value=e.value) for e in entries]


def to_stats(
    metrics: Metrics, *, host_memory: int, online_cpus: int, system: int
) -> tuple[api.CPUStats, api.StatsResponse]:
    """One sample's CPU stats and the sample (``read``/``preread``/``precpu`` still to fill)."""
    cpu = metrics.cpu
    usage = api.CPUUsage(
        total_usage=cpu.total_usage,
        usage_in_kernelmode=cpu.usage_in_kernelmode,
        usage_in_usermode=cpu.usage_in_usermode,
    )
    if cpu.percpu_usage:
        usage.percpu_usage = list(cpu.percpu_usage)
    cpu_stats = api.CPUStats(
        cpu_usage=usage,
        system_cpu_usage=system,
        online_cpus=online_cpus,
        throttling_data=api.ThrottlingData(
            periods=cpu.throttling_periods,
            throttled_periods=cpu.throttled_periods,
            throttled_time=cpu.throttled_time,
        ),
    )
    memory = metrics.memory
    limit = memory.limit if 0 < memory.limit <= host_memory else host_memory
    memory_stats = api.MemoryStats(
        usage=memory.usage,
        max_usage=memory.max_usage,
        stats=dict(memory.stats) or None,
        failcnt=memory.failcnt,
        limit=limit,
    )
    # libcontainerd's BlkioStats names its lists as Docker's blkio_stats does: one loop maps them all.
    blkio = api.BlkioStats(
        **{f.name: _entries(getattr(metrics.blkio, f.name)) for f in dataclasses.fields(metrics.blkio)}
    )
    sample = api.StatsResponse(
        read=ZERO_TIME,
        preread=ZERO_TIME,
        pids_stats=api.PidsStats(current=metrics.pids.current, limit=metrics.pids.limit),
        blkio_stats=blkio,
        cpu_stats=cpu_stats,
        memory_stats=memory_stats,
    )
    return cpu_stats, sample


class StatsMixin(RestoreMixin):
    """Container statistics."""

    async def _sample(self, container: Container) -> api.StatsResponse | None:
        if not container.state.running or container.state.restarting or container.runtime is None:
            return None
        try:
            metrics = await self.containerd.metrics(container.id)
        except errdefs.NotFound:
            return None
        system = await anyio.to_thread.run_sync(system_cpu_usage)
        online = len(metrics.cpu.percpu_usage) or self.host.ncpu
        _, sample = to_stats(metrics, host_memory=self.host.mem_total, online_cpus=online, system=system)
        sample.read = format_time(time.time_ns())
        return sample

    def stats(self, name: str, *, stream: bool, one_shot: bool) -> AsyncIterator[api.StatsResponse]:
        """The samples of ``GET /containers/{id}/stats`` (one when not streaming)."""
        container = self.get(name)

        async def samples() -> AsyncIterator[api.StatsResponse]:
            previous: api.StatsResponse | None = None
            first = True
            while True:
                sample = await self._sample(container)
                if sample is None:
                    empty = api.StatsResponse(read=ZERO_TIME, preread=ZERO_TIME, name=container.name, id=container.id)
                    if not stream:
                        yield empty
                        return
                    previous = None
                    yield empty
                    await anyio.sleep(_INTERVAL)
                    continue
                sample.name, sample.id = container.name, container.id
                if previous is not None:
                    sample.preread = previous.read
                    sample.precpu_stats = previous.cpu_stats
                if not stream and (one_shot or not first):
                    yield sample
                    return
                if stream:
                    yield sample
                previous, first = sample, False
                await anyio.sleep(_INTERVAL)

        return samples()
