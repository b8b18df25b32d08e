"""Real runc containers with our specs: cgroup limits, rlimits, /dev/shm, OOM score."""

from __future__ import annotations

import pytest
from oci.runner import RunContainer

from pymoby import errdefs
from pymoby.api import HostConfig, Ulimit

pytestmark = [pytest.mark.root, pytest.mark.anyio]

MIB = 1024 * 1024


async def test_memory_limit_and_default_swap_are_in_the_cgroup(run_container: RunContainer) -> None:
    script = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"
    result = await run_container(script, host_config=HostConfig(memory=64 * MIB))
    assert result.code == 0, result.stderr
    # Docker's default swap is as much again as the memory: memory+swap = 2 x memory.
    assert result.stdout.split() == [str(64 * MIB), str(128 * MIB)]


async def test_memory_reservation_and_oom_kill_disable(run_container: RunContainer) -> None:
    script = (
        "cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes; "
        "grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control"
    )
    result = await run_container(
        script, host_config=HostConfig(memory=64 * MIB, memory_reservation=32 * MIB, oom_kill_disable=True)
    )
    assert result.stdout.split() == [str(32 * MIB), "oom_kill_disable", "1"]


async def test_pids_limit_is_in_the_cgroup_and_enforced(run_container: RunContainer) -> None:
    # The shell is one of the 5; when it exits, runc's pid namespace takes the sleeps with it. The limit
    # is read with shell builtins: a forked `cat` could itself be refused while runc's helpers still count.
    script = (
        "read max < /sys/fs/cgroup/pids/pids.max; echo $max; for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; "
        "echo all-started"
    )
    result = await run_container(script, host_config=HostConfig(pids_limit=5))
    assert result.stdout.split() == ["5"]
    assert "can't fork" in result.stderr


async def test_cpu_quota_from_nano_cpus_and_shares(run_container: RunContainer) -> None:
    script = (
        "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares"
    )
    result = await run_container(script, host_config=HostConfig(nano_cpus=500_000_000, cpu_shares=512))
    assert result.stdout.split() == ["50000", "100000", "512"]


async def test_cpuset_is_in_the_cgroup(run_container: RunContainer) -> None:
    result = await run_container("cat /sys/fs/cgroup/cpuset/cpuset.cpus", host_config=HostConfig(cpuset_cpus="0"))
    assert result.stdout.strip() == "0"


async def test_ulimit_nofile(run_container: RunContainer) -> None:
    result = await run_container("ulimit -Sn; ulimit -Hn", host_config=HostConfig(ulimits=[Ulimit("nofile", 200, 100)]))
    assert result.stdout.split() == ["100", "200"]


async def test_shm_size(run_container: RunContainer) -> None:
    result = await run_container("grep ' /dev/shm ' /proc/mounts", host_config=HostConfig(shm_size=32 * MIB))
    assert "size=32768k" in result.stdout


async def test_ipc_none_has_no_dev_shm(run_container: RunContainer) -> None:
    result = await run_container("grep -c ' /dev/shm ' /proc/mounts", host_config=HostConfig(ipc_mode="none"))
    assert result.stdout.strip() == "0"


async def test_positive_oom_score_adj(run_container: RunContainer) -> None:
    result = await run_container("cat /proc/self/oom_score_adj", host_config=HostConfig(oom_score_adj=500))
    assert result.stdout.strip() == "500"


async def test_negative_oom_score_adj_fails_at_start_with_runcs_error(run_container: RunContainer) -> None:
    # This host's root lacks CAP_SYS_RESOURCE, so the kernel refuses a negative score; runc's error
    # reaches the caller as it is (dockerd on this host fails the same way).
    with pytest.raises(errdefs.PymobyError, match="OCI runtime create failed: runc create failed"):
        await run_container("true", host_config=HostConfig(oom_score_adj=-500))
