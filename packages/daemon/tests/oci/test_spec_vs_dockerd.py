"""Our spec for a set of `docker run` flags equals the config.json dockerd handed runc for them.

The recordings in dockerd_specs/ come from Debian's dockerd 20.10
(integration/oci/record_dockerd_specs.py). We follow Docker 26 (API 1.45)
where the two differ, and those differences are applied to the recording
explicitly below, each with its reason; everything else must match exactly.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pymoby.api import DeviceMapping, HostConfig, RestartPolicy, Ulimit
from pymoby.daemon.oci import (
    DeviceNode,
    ProcessSettings,
    ResolvedDevices,
    SpecSettings,
    SysInfo,
    apply_host_config_defaults,
    bind_mount,
    build_spec,
    parse_user,
    validate_host_config,
)

SPECS = Path(__file__).parent / "dockerd_specs"
PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n"
IMAGE_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
# Docker 20.10's capability list ends at CAP_AUDIT_READ (37); Docker 26 knows up to 40.
DOCKER_2010_ALL_CAPS = 38
# Docker 26 also masks powercap (2024 advisory); 20.10 does not.
POWERCAP = "/sys/devices/virtual/powercap"
# The recording host: 2 CPUs, cgroup v1 without a block-IO weight (no CFQ/BFQ weight file).
RECORDING_HOST = SysInfo(ncpu=2, cpus="0-1", mems="0", blkio_weight=False)


@dataclass
class Case:
    """What the docker CLI sends for a recording's flags: the HostConfig and the Config bits we need."""

    host_config: dict[str, Any]
    user: str = ""
    tty: bool = False
    cwd: str = ""
    env: list[str] = field(default_factory=list)
    hostname: str = "<shortid>"
    domainname: str = ""
    devices: ResolvedDevices = field(default_factory=ResolvedDevices)


CASES: dict[str, Case] = {
    "default": Case({}),
    "caps": Case({"cap_add": ["NET_ADMIN", "cap_sys_time"], "cap_drop": ["CHOWN"]}),
    "caps_drop_all": Case({"cap_add": ["CAP_KILL"], "cap_drop": ["ALL"]}),
    "privileged": Case({"privileged": True}),
    "resources": Case(
        {
            "memory": 64 * 1024 * 1024,
            "memory_swap": 128 * 1024 * 1024,
            "memory_reservation": 32 * 1024 * 1024,
            "cpu_shares": 512,
            "nano_cpus": 1_500_000_000,
            "cpuset_cpus": "0",
            "pids_limit": 100,
            "blkio_weight": 300,
            "oom_kill_disable": True,
            "memory_swappiness": 10,
        }
    ),
    "cpu_quota": Case({"cpu_quota": 50000, "cpu_period": 100000}),
    "readonly_tmpfs_ulimit_shm": Case(
        {
            "readonly_rootfs": True,
            "tmpfs": {"/run": "size=1m", "/scratch": ""},
            "ulimits": [Ulimit(name="nofile", hard=200, soft=100)],
            "shm_size": 32 * 1024 * 1024,
        }
    ),
    "user_uid_gid": Case({"group_add": ["65534"]}, user="1:1"),
    "user_name": Case({}, user="daemon"),
    "security_opts": Case({"security_opt": ["seccomp=unconfined", "no-new-privileges"]}),
    "sysctl_hostname": Case({"sysctls": {"net.ipv4.ip_forward": "1"}}, hostname="h", domainname="example.com"),
    "init": Case({"init": True}),
    "host_namespaces": Case({"ipc_mode": "host", "pid_mode": "host", "uts_mode": "host"}),
    "device": Case(
        {"devices": [DeviceMapping("/dev/null", "/dev/xnull", "rw")]},
        devices=ResolvedDevices(devices=((DeviceNode("/dev/xnull", "c", 1, 3, 0o666, 0, 0), "rw"),)),
    ),
    "systempaths_unconfined": Case({"masked_paths": [], "readonly_paths": []}),
    "cgroupns_oom_score": Case({"cgroupns_mode": "private", "oom_score_adj": 100}),
    "tty_env_workdir": Case({}, tty=True, cwd="/tmp", env=["A=b"]),
    "ipc_shareable_none": Case({"ipc_mode": "none"}),
}


def network_mounts(readonly: bool) -> list[dict[str, Any]]:
    """What the lifecycle code hands in: the per-container resolv.conf, hostname and hosts."""
    base = "<base>/root/containers/<id>/"
    return [
        bind_mount(base + "resolv.conf", "/etc/resolv.conf", read_only=readonly),
        bind_mount(base + "hostname", "/etc/hostname", read_only=readonly),
        bind_mount(base + "hosts", "/etc/hosts", read_only=readonly),
    ]


def created(name: str) -> tuple[HostConfig, list[str]]:
    """The stored HostConfig after create (validated on the recording host, defaults applied) and the warnings."""
    hc = HostConfig(network_mode="none", restart_policy=RestartPolicy("no"), **CASES[name].host_config)
    warnings = validate_host_config(hc, RECORDING_HOST)
    return apply_host_config_defaults(hc), warnings


def ours(name: str) -> dict[str, Any]:
    case = CASES[name]
    hc, _ = created(name)
    settings = SpecSettings(cgroup_parent="/docker", init_path="/usr/bin/docker-init", kernel_version=(6, 1, 0))
    return build_spec(
        "<id>",
        process=ProcessSettings(["sleep", "1000"], env=[*IMAGE_ENV, *case.env], cwd=case.cwd, tty=case.tty),
        host_config=hc,
        settings=settings,
        user=parse_user(case.user, hc.group_add, PASSWD, GROUP),
        hostname=case.hostname,
        domainname=case.domainname,
        mounts=network_mounts(hc.readonly_rootfs),
        devices=case.devices,
    )


def comparable(spec: dict[str, Any]) -> dict[str, Any]:
    """Drop what is the caller's or the host's, not the builder's: the rootfs path and the network hook."""
    spec = copy.deepcopy(spec)
    spec["root"].pop("path")
    spec.pop("hooks", None)
    seccomp = spec["linux"].get("seccomp")
    if seccomp is not None:
        seccomp["syscalls"] = "<rules>"
    return spec


def dockerd_2010_as_26(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The recording with the documented Docker 20.10 -> 26 differences applied."""
    linux, process = spec["linux"], spec["process"]
    # 20.10 always wrote cpu.shares 0; 26 leaves an unset cpu section out.
    cpu = linux["resources"].get("cpu", {})
    if cpu.get("shares") == 0:
        cpu.pop("shares")
    if not cpu:
        linux["resources"].pop("cpu", None)
    if "maskedPaths" in linux:
        linux["maskedPaths"].append(POWERCAP)
    # Docker 26's profile states the default errno (EPERM) explicitly.
    if "seccomp" in linux:
        linux["seccomp"]["defaultErrnoRet"] = 1
    # 20.10 emptied effective/permitted for non-root users itself; 26 leaves it to execve.
    if process["user"]["uid"] != 0:
        caps = process["capabilities"]
        caps["effective"] = caps["permitted"] = caps["bounding"]
    return spec


@pytest.mark.parametrize("name", sorted(CASES))
def test_spec_matches_dockerd(name: str) -> None:
    recorded = json.loads((SPECS / f"{name}.json").read_text())["spec"]
    expected = dockerd_2010_as_26(name, comparable(recorded))
    actual = comparable(ours(name))
    if name == "privileged":
        # Every capability the daemon holds, and every host device: both host-specific.
        assert len(expected["process"]["capabilities"]["bounding"]) == DOCKER_2010_ALL_CAPS
        for spec in (expected, actual):
            spec["process"]["capabilities"] = "<all>"
            spec["linux"].pop("devices", None)
    assert actual == expected


def test_unsupported_blkio_weight_is_dropped_with_dockers_warning() -> None:
    _, warnings = created("resources")
    assert warnings == ["Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."]


def test_recordings_cover_every_case() -> None:
    assert {p.stem for p in SPECS.glob("*.json")} == set(CASES)
