"""Decoding containerd's metrics and events into plain values."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import any_pb2, timestamp_pb2

from pymoby.libcontainerd import TaskExecStarted, TaskExit, TaskOOM, TaskStart
from pymoby.libcontainerd._events import _Tracker, decode_envelope
from pymoby.libcontainerd._metrics import decode_metrics
from pymoby.libcontainerd._proto import cgroups_v1_pb2 as v1
from pymoby.libcontainerd._proto import cgroups_v2_pb2 as v2
from pymoby.libcontainerd._proto import events_pb2 as ev
from pymoby.libcontainerd._proto import events_service_pb2 as epb


def packed(message: object, name: str) -> any_pb2.Any:
    return any_pb2.Any(type_url=name, value=message.SerializeToString())  # type: ignore[attr-defined]


def test_cgroup_v1_metrics_give_dockers_numbers() -> None:
    metrics = v1.Metrics(
        pids=v1.PidsStat(current=3, limit=100),
        cpu=v1.CPUStat(usage=v1.CPUUsage(total=900, kernel=300, user=600, per_cpu=[400, 500])),
        memory=v1.MemoryStat(
            cache=10, rss=20, pg_pg_in=5, total_pg_fault=7, usage=v1.MemoryEntry(usage=4096, max=8192, limit=65536)
        ),
        blkio=v1.BlkIOStat(io_service_bytes_recursive=[v1.BlkIOEntry(op="Read", major=8, minor=0, value=512)]),
        memory_oom_control=v1.MemoryOomControl(oom_kill=1),
    )
    decoded = decode_metrics(packed(metrics, "io.containerd.cgroups.v1.Metrics"))
    assert decoded is not None
    assert decoded.cgroup_version == 1
    assert (decoded.cpu.total_usage, decoded.cpu.usage_in_kernelmode, decoded.cpu.percpu_usage) == (
        900,
        300,
        (400, 500),
    )
    assert (decoded.memory.usage, decoded.memory.max_usage, decoded.memory.limit) == (4096, 8192, 65536)
    assert decoded.memory.stats["cache"] == 10
    assert decoded.memory.stats["pgpgin"] == 5
    assert decoded.memory.stats["total_pgfault"] == 7
    assert decoded.memory.stats["dirty"] == 0
    assert (decoded.pids.current, decoded.pids.limit) == (3, 100)
    assert decoded.blkio.io_service_bytes_recursive[0].value == 512
    assert decoded.oom_kills == 1


def test_cgroup_v2_metrics_are_converted_as_docker_does() -> None:
    metrics = v2.Metrics(
        cpu=v2.CPUStat(usage_usec=5, user_usec=3, system_usec=2),
        memory=v2.MemoryStat(anon=100, file=50, usage=4096, usage_limit=8192),
        io=v2.IOStat(usage=[v2.IOEntry(major=8, minor=0, rbytes=10, wbytes=20, rios=1, wios=2)]),
        memory_events=v2.MemoryEvents(oom_kill=2),
    )
    decoded = decode_metrics(packed(metrics, "io.containerd.cgroups.v2.Metrics"))
    assert decoded is not None
    assert decoded.cgroup_version == 2
    assert (decoded.cpu.total_usage, decoded.cpu.usage_in_usermode, decoded.cpu.usage_in_kernelmode) == (
        5000,
        3000,
        2000,
    )
    assert (decoded.memory.usage, decoded.memory.limit) == (4096, 8192)
    assert decoded.memory.stats["anon"] == 100
    assert "usage" not in decoded.memory.stats
    ops = {(e.op, e.value) for e in decoded.blkio.io_service_bytes_recursive}
    assert ops == {("read", 10), ("write", 20)}
    assert decoded.oom_kills == 2


def test_unknown_metrics_type_decodes_to_none() -> None:
    assert decode_metrics(any_pb2.Any(type_url="something.Else")) is None


def envelope(message: object, name: str) -> epb.Envelope:
    return epb.Envelope(
        timestamp=timestamp_pb2.Timestamp(seconds=1700000000),
        namespace="pymoby",
        topic="/tasks/x",
        event=packed(message, name),
    )


def test_task_events_decode() -> None:
    exited = decode_envelope(
        envelope(
            ev.TaskExit(
                container_id="web", id="web", pid=42, exit_status=137, exited_at=timestamp_pb2.Timestamp(seconds=1)
            ),
            "containerd.events.TaskExit",
        )
    )
    assert exited == TaskExit(
        "web", "web", 42, 137, datetime.fromtimestamp(1, UTC), datetime.fromtimestamp(1700000000, UTC)
    )
    assert isinstance(exited, TaskExit)
    assert exited.is_init
    oom = decode_envelope(envelope(ev.TaskOOM(container_id="web"), "containerd.events.TaskOOM"))
    assert isinstance(oom, TaskOOM)
    assert oom.container_id == "web"
    assert decode_envelope(envelope(ev.TaskOOM(container_id="web"), "containerd.events.ImageCreate")) is None


def test_tracker_drops_duplicate_exits_and_follows_processes() -> None:
    tracker = _Tracker()
    assert tracker.observe(TaskStart("web", 10))
    assert tracker.observe(TaskExecStarted("web", "e1", 11))
    assert tracker.alive == {("web", "web"): 10, ("web", "e1"): 11}
    exit_event = TaskExit("web", "e1", 11, 0, None)
    assert tracker.observe(exit_event)
    assert not tracker.observe(TaskExit("web", "e1", 11, 0, None, synthetic=True))
    assert tracker.alive == {("web", "web"): 10}
