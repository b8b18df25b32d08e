"""Create-time validation: Docker's messages, warnings and defaults."""

# Docker's messages are quoted whole, one per line, so they can be searched for.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from pymoby import errdefs
from pymoby.api import DeviceMapping, HostConfig, PortBinding, RestartPolicy, Ulimit
from pymoby.daemon.oci import (
    SysInfo,
    apply_host_config_defaults,
    kernel_version,
    process_capabilities,
    read_sysinfo,
    validate_host_config,
)

HOST = SysInfo(ncpu=2, cpus="0-1", mems="0")
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"memory": 4 * MB}, "Minimum memory limit allowed is 6MB"),
        ({"memory": 64 * MB, "memory_swap": 32 * MB}, "Minimum memoryswap limit should be larger than memory limit, see usage"),
        ({"memory_swap": 64 * MB}, "You should always set the Memory limit when using Memoryswap limit, see usage"),
        ({"memory_swappiness": 101}, "Invalid value: 101, valid memory swappiness range is 0-100"),
        ({"memory_reservation": MB}, "Minimum memory reservation allowed is 6MB"),
        ({"memory": 16 * MB, "memory_reservation": 32 * MB}, "Minimum memory limit can not be less than memory reservation limit, see usage"),
        ({"nano_cpus": 10**9, "cpu_period": 100000}, "Conflicting options: Nano CPUs and CPU Period cannot both be set"),
        ({"nano_cpus": 10**9, "cpu_quota": 50000}, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"),
        ({"nano_cpus": 3 * 10**9}, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
        ({"nano_cpus": -1}, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
        ({"cpu_period": 999}, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"),
        ({"cpu_quota": 999}, "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
        ({"cpuset_cpus": "1-0"}, "Invalid value 1-0 for cpuset cpus: invalid format: 1-0"),
        ({"cpuset_cpus": "a"}, "Invalid value a for cpuset cpus: invalid format: a"),
        ({"cpuset_cpus": "0-9000"}, "Invalid value 0-9000 for cpuset cpus: value of out range, maximum is 8192"),
        ({"cpuset_cpus": "3"}, "Requested CPUs are not available - requested 3, available: 0-1"),
        ({"cpuset_mems": "1"}, "Requested memory nodes are not available - requested 1, available: 0"),
        ({"blkio_weight": 5}, "Range of blkio weight is from 10 to 1000"),
        ({"io_maximum_iops": 10}, "Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps"),
        ({"restart_policy": RestartPolicy("always", 3)}, "invalid restart policy: maximum retry count can only be used with 'on-failure'"),
        ({"restart_policy": RestartPolicy("no", -1)}, "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"),
        ({"restart_policy": RestartPolicy("on-failure", -1)}, "invalid restart policy: maximum retry count cannot be negative"),
        ({"restart_policy": RestartPolicy("sometimes")}, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"),
        ({"auto_remove": True, "restart_policy": RestartPolicy("always")}, "can't create 'AutoRemove' container with restart policy"),
        ({"cap_add": ["foo"]}, 'invalid CapAdd: unknown capability: "CAP_FOO"'),
        ({"cap_drop": ["NET_RAWR"]}, 'invalid CapDrop: unknown capability: "CAP_NET_RAWR"'),
        ({"extra_hosts": ["nohost"]}, 'bad format for add-host: "nohost"'),
        ({"extra_hosts": ["db:1.2.3.999"]}, 'invalid IP address in add-host: "1.2.3.999"'),
        ({"port_bindings": {"99999/tcp": None}}, 'invalid port specification: "99999"'),
        ({"port_bindings": {"80/tcp": [PortBinding("", "x")]}}, 'invalid port specification: "x"'),
        ({"isolation": "hyperv"}, "invalid isolation 'hyperv' on linux"),
        ({"annotations": {"": "x"}}, "invalid Annotations: the empty string is not permitted as an annotation key"),
        ({"ipc_mode": "bogus"}, "invalid IPC mode: bogus"),
        ({"pid_mode": "container:"}, "invalid PID mode: container:"),
        ({"uts_mode": "container:x"}, "invalid UTS mode: container:x"),
        ({"shm_size": -1}, "SHM size can not be less than 0"),
        ({"oom_score_adj": 1001}, "Invalid value 1001, range for oom score adj is [-1000, 1000]"),
        ({"runtime": "kata"}, "unknown or invalid runtime name: kata"),
        ({"tmpfs": {"run": ""}}, "invalid mount path: 'run' mount path must be absolute"),
        ({"tmpfs": {"/": ""}}, "invalid specification: destination can't be '/'"),
        ({"cgroupns_mode": "shared"}, "invalid cgroup namespace mode: shared"),
        ({"sysctls": {"kernel.panic": "1"}}, 'sysctl "kernel.panic" is not in a separate kernel namespace'),
        ({"sysctls": {"net.ipv4.ip_forward": "1"}, "network_mode": "host"}, 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace'),
        ({"sysctls": {"kernel.shmmax": "1"}, "ipc_mode": "host"}, 'sysctl "kernel.shmmax" not allowed in host IPC namespace'),
        ({"ulimits": [Ulimit("nofiles", 1, 1)]}, "invalid ulimit type: nofiles"),
        ({"ulimits": [Ulimit("nofile", 10, 20)]}, "ulimit soft limit must be less than or equal to hard limit: 20 > 10"),
        ({"devices": [DeviceMapping("/dev/null", "/dev/null", "rwx")]}, "invalid device mode: rwx"),
        ({"device_cgroup_rules": ["c 1:3"]}, "invalid device cgroup rule format: 'c 1:3'"),
        ({"security_opt": ["seccomp"]}, 'invalid --security-opt 1: "seccomp"'),
    ],
)  # fmt: skip
def test_dockers_messages(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter) as info:
        validate_host_config(HostConfig(**fields), HOST)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"memory": 64 * MB, "memory_swap": -1, "memory_reservation": 32 * MB, "memory_swappiness": 50},
        {"nano_cpus": 2 * 10**9, "cpuset_cpus": "0,1", "cpuset_mems": "0", "cpu_shares": 2},
        {"cpu_period": 100000, "cpu_quota": 50000, "blkio_weight": 500, "oom_score_adj": -1000},
        {"sysctls": {"net.ipv4.ip_forward": "1", "kernel.msgmax": "8192", "fs.mqueue.msg_max": "10"}},
        {"restart_policy": RestartPolicy("on-failure", 5), "pid_mode": "container:db", "ipc_mode": "container:db"},
        {"restart_policy": RestartPolicy("", 3)},  # pre-25 clients wrote an empty name: accepted
        {"cap_add": ["ALL"], "cap_drop": ["sys_admin"], "extra_hosts": ["gw:host-gateway", "v6:::1"]},
        {"port_bindings": {"80/tcp": [PortBinding("", "")], "1000-1010/udp": None}, "runtime": "runc"},
        {"security_opt": ["label=disable", "no-new-privileges:true"], "tmpfs": {"/run": "size=1m"}},
    ],
)
def test_valid_configs_pass_without_warnings(fields: dict[str, Any]) -> None:
    assert validate_host_config(HostConfig(**fields), HOST) == []


def test_update_allows_memory_swap_alone() -> None:
    assert validate_host_config(HostConfig(memory_swap=64 * MB), HOST, update=True) == []


def test_oom_kill_disable_without_memory_limit_warns() -> None:
    assert validate_host_config(HostConfig(oom_kill_disable=True), HOST) == [
        "OOM killer is disabled for the container, but no memory limit is set, "
        "this can result in the system running out of resources."
    ]


def test_unsupported_limits_are_dropped_with_warnings() -> None:
    bare = SysInfo(
        ncpu=2,
        cpus="0-1",
        swap_limit=False,
        memory_swappiness=False,
        oom_kill_disable=False,
        pids_limit=False,
        cpu_shares=False,
        cpu_cfs=False,
        cpuset=False,
        blkio_weight=False,
        blkio_read_bps_device=False,
        cgroup_namespaces=False,
        ipv4_forwarding_disabled=True,
    )
    hc = HostConfig(
        memory=64 * MB,
        memory_swappiness=10,
        oom_kill_disable=True,
        pids_limit=10,
        cpu_shares=512,
        cpu_quota=50000,
        cpuset_cpus="0",
        blkio_weight=300,
        blkio_device_read_bps=[],
        cpu_percent=50,
        cgroupns_mode="private",
    )
    warnings = validate_host_config(hc, bare)
    assert warnings == [
        "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.",
        "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.",
        "Your kernel does not support OomKillDisable. OomKillDisable discarded.",
        "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.",
        "Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.",
        "Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.",
        "linux does not support CPU percent. Percent discarded.",
        "Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.",
        "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.",
        "IPv4 forwarding is disabled. Networking will not work.",
        "Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.",
    ]  # fmt: skip
    assert (hc.memory_swap, hc.memory_swappiness, hc.oom_kill_disable, hc.pids_limit) == (-1, None, None, None)
    assert (hc.cpu_shares, hc.cpu_quota, hc.cpuset_cpus, hc.blkio_weight) == (0, 0, "", 0)


def test_no_memory_cgroup_discards_the_limit() -> None:
    hc = HostConfig(memory=64 * MB)
    warnings = validate_host_config(hc, SysInfo(memory_limit=False))
    assert warnings == [
        "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded."
    ]
    assert (hc.memory, hc.memory_swap) == (0, -1)


def test_host_network_with_published_ports_warns() -> None:
    hc = HostConfig(network_mode="host", port_bindings={"80/tcp": [PortBinding("", "8080")]})
    assert validate_host_config(hc, HOST) == ["Published ports are discarded when using host network mode"]


def test_capability_unavailable_here() -> None:
    with pytest.raises(errdefs.InvalidParameter, match="invalid CapAdd: capability not supported by your kernel"):
        validate_host_config(HostConfig(cap_add=["SYS_RESOURCE"]), HOST, available_capabilities=("CAP_CHOWN",))


def test_swappiness_minus_one_means_unset() -> None:
    hc = HostConfig(memory_swappiness=-1)
    assert validate_host_config(hc, HOST) == []
    assert hc.memory_swappiness is None


def test_create_defaults_are_what_docker_inspect_shows() -> None:
    hc = apply_host_config_defaults(HostConfig(memory=64 * MB))
    assert (hc.memory_swap, hc.shm_size, hc.ipc_mode, hc.cgroupns_mode) == (128 * MB, 64 * MB, "private", "host")
    assert (hc.oom_kill_disable, hc.restart_policy.name, hc.runtime) == (False, "no", "runc")
    assert apply_host_config_defaults(HostConfig(), cgroup_version="2").cgroupns_mode == "private"
    assert (
        apply_host_config_defaults(HostConfig(privileged=True), default_cgroupns_mode="private").cgroupns_mode == "host"
    )
    kept = HostConfig(
        memory=64 * MB, memory_swap=-1, shm_size=1, ipc_mode="host", restart_policy=RestartPolicy("always")
    )
    again = apply_host_config_defaults(kept)
    assert (again.memory_swap, again.shm_size, again.ipc_mode, again.restart_policy.name) == (-1, 1, "host", "always")
    assert kept.runtime is msgspec.UNSET  # the input is not changed


def test_read_sysinfo_from_a_cgroup_v1_tree(tmp_path: Path) -> None:
    for name in ("memory/memory.memsw.limit_in_bytes", "memory/memory.swappiness", "cpu/cpu.shares", "pids/x"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "cpuset").mkdir()
    (tmp_path / "cpuset" / "cpuset.cpus").write_text("0-3\n")
    info = read_sysinfo(tmp_path)
    assert (info.cgroup_version, info.memory_limit, info.swap_limit, info.memory_swappiness) == ("1", True, True, True)
    assert (info.cpu_shares, info.cpu_cfs, info.pids_limit, info.cpuset, info.cpus) == (True, False, True, True, "0-3")
    assert (info.oom_kill_disable, info.blkio_weight) == (False, False)


def test_read_sysinfo_from_a_cgroup_v2_tree(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cpuset.cpus.effective").write_text("0-7\n")
    info = read_sysinfo(tmp_path)
    assert (info.cgroup_version, info.memory_limit, info.oom_kill_disable, info.cpus) == ("2", True, False, "0-7")
    assert (info.blkio_weight, info.pids_limit, info.memory_swappiness) == (True, True, False)


def test_host_facts() -> None:
    assert kernel_version("6.1.0-18-amd64") == (6, 1, 0)
    assert kernel_version("5.15.0+") == (5, 15, 0)
    assert kernel_version("4.9") == (4, 9, 0)
    status = "Name:\tx\nCapEff:\t0000000000000005\n"
    assert process_capabilities(status) == ("CAP_CHOWN", "CAP_DAC_READ_SEARCH")
    assert process_capabilities("Name:\tx\n") is None
