"""Devices, mount assembly and the resource mappings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pymoby.api import DeviceMapping, HostConfig, ThrottleDevice, Ulimit, WeightDevice
from pymoby.daemon.oci import (
    DeviceNode,
    InvalidDevice,
    InvalidMount,
    ResolvedDevices,
    bind_mount,
    device_cgroup_rule,
    merge_tmpfs_options,
    resolve_devices,
    tmpfs_mount,
)
from pymoby.daemon.oci._mounts import assemble_mounts
from pymoby.daemon.oci._resources import block_io, cpu_resources, memory_resources, pids_limit, rlimits


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("c 1:3 rwm", {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}),
        ("b *:* r", {"allow": True, "type": "b", "major": -1, "minor": -1, "access": "r"}),
        ("a 7:* mw", {"allow": True, "type": "a", "major": 7, "minor": -1, "access": "mw"}),
    ],
)
def test_device_cgroup_rules(rule: str, expected: dict[str, object]) -> None:
    assert device_cgroup_rule(rule) == expected


@pytest.mark.parametrize("rule", ["c 1:3", "x 1:3 rwm", "c 1-3 rwm", "c 1:3 rwmx", ""])
def test_bad_device_cgroup_rule(rule: str) -> None:
    with pytest.raises(InvalidDevice, match=f"^invalid device cgroup rule format: '{rule}'$"):
        device_cgroup_rule(rule)


def test_resolve_device_mapping_stats_the_host_node() -> None:
    info = os.stat("/dev/null")
    resolved = resolve_devices(HostConfig(devices=[DeviceMapping("/dev/null", "/dev/xnull", "rw")]))
    node, access = resolved.devices[0]
    assert (node.path, node.type, node.major, node.minor, access) == ("/dev/xnull", "c", 1, 3, "rw")
    assert (node.uid, node.gid, node.file_mode) == (info.st_uid, info.st_gid, info.st_mode & 0o7777)


def test_resolve_device_directory_and_non_device(tmp_path: Path) -> None:
    os.symlink("/dev/null", tmp_path / "link")
    resolved = resolve_devices(HostConfig(devices=[DeviceMapping(str(tmp_path / "link"), "/dev/n", "rwm")]))
    assert resolved.devices[0][0].path == "/dev/n"
    (tmp_path / "plain").write_text("x")
    with pytest.raises(InvalidDevice, match="error gathering device information while adding custom device"):
        resolve_devices(HostConfig(devices=[DeviceMapping(str(tmp_path / "plain"), "/dev/p", "rwm")]))
    with pytest.raises(InvalidDevice, match=r"(?i)no such file"):
        resolve_devices(HostConfig(devices=[DeviceMapping(str(tmp_path / "missing"), "/dev/m", "rwm")]))


def test_privileged_resolution_takes_the_host_dev_and_warns_about_permissions() -> None:
    resolved = resolve_devices(HostConfig(privileged=True, devices=[DeviceMapping("/dev/null", "/dev/null", "r")]))
    assert any(n.path == "/dev/null" for n in resolved.host)
    assert resolved.devices == ()  # same path: already there
    assert resolved.warnings == ("custom r permissions for device /dev/null are ignored in privileged mode",)


@pytest.mark.parametrize(
    ("options", "merged"),
    [
        (["noexec", "nosuid", "nodev", "rprivate", "size=1m"], ["noexec", "nosuid", "nodev", "rprivate", "size=1m"]),
        (
            ["noexec", "nosuid", "nodev", "rprivate", "exec", "size=1m", "size=2m"],
            ["nosuid", "nodev", "rprivate", "exec", "size=2m"],
        ),
        (["noexec", "rprivate", "shared", "defaults", "mode=1777"], ["noexec", "shared", "mode=1777"]),
    ],
)  # fmt: skip
def test_tmpfs_options_merge_later_wins(options: list[str], merged: list[str]) -> None:
    assert merge_tmpfs_options(options) == merged


def test_bad_tmpfs_option() -> None:
    with pytest.raises(InvalidMount, match=r'^invalid tmpfs option \["bogus" "1"\]$'):
        tmpfs_mount("/run", "bogus=1")


def test_bind_mount_options() -> None:
    assert bind_mount("/a", "/b")["options"] == ["rbind", "rprivate"]
    assert bind_mount("/a", "/b", read_only=True, propagation="rshared", recursive=False)["options"] == [
        "bind",
        "ro",
        "rshared",
    ]


def destinations(mounts: list[dict[str, object]]) -> list[object]:
    return [m["destination"] for m in mounts]


def test_user_dev_mount_replaces_every_default_under_dev() -> None:
    mounts = assemble_mounts(
        [bind_mount("/host/dev", "/dev")], shm_size=1, ipc_none=False, readonly_rootfs=False, privileged=False
    )
    assert destinations(mounts) == ["/proc", "/sys", "/sys/fs/cgroup", "/dev"]


def test_container_mounts_sorted_by_depth_after_defaults() -> None:
    mounts = assemble_mounts(
        [bind_mount("/x", "/data/deep/er"), bind_mount("/y", "/data"), tmpfs_mount("/data/deep")],
        shm_size=1,
        ipc_none=True,
        readonly_rootfs=False,
        privileged=False,
    )
    assert destinations(mounts)[-3:] == ["/data", "/data/deep", "/data/deep/er"]
    assert "/dev/shm" not in destinations(mounts)


def test_read_only_root_and_privileged() -> None:
    mounts = {
        m["destination"]: m["options"]
        for m in assemble_mounts(
            [bind_mount("/v", "/vol")], shm_size=1, ipc_none=False, readonly_rootfs=True, privileged=True
        )
    }
    assert "ro" not in mounts["/sys"]
    assert "ro" not in mounts["/sys/fs/cgroup"]
    assert "ro" not in mounts["/proc"]
    assert "ro" not in mounts["/dev/shm"]
    assert mounts["/dev/mqueue"] == ["nosuid", "noexec", "nodev"]
    assert mounts["/vol"] == ["rbind", "rprivate"]  # the container's own mounts keep their mode


def test_memory_and_cpu_mappings() -> None:
    hc = HostConfig(
        memory=64 << 20,
        memory_swap=-1,
        memory_reservation=32 << 20,
        memory_swappiness=0,
        kernel_memory_tcp=1 << 20,
        nano_cpus=2_500_000_000,
        cpu_shares=1024,
        cpuset_mems="0",
        cpu_realtime_runtime=950,
        cpu_realtime_period=1000,
    )
    assert memory_resources(hc) == {
        "limit": 64 << 20,
        "reservation": 32 << 20,
        "swappiness": 0,
        "kernelTCP": 1 << 20,
    }
    assert cpu_resources(hc) == {
        "shares": 1024,
        "mems": "0",
        "period": 100_000,
        "quota": 250_000,
        "realtimePeriod": 1000,
        "realtimeRuntime": 950,
    }
    assert memory_resources(HostConfig()) is None
    assert cpu_resources(HostConfig()) is None
    assert cpu_resources(HostConfig(nano_cpus=10**9, cpu_period=50_000)) == {"period": 50_000, "quota": 100_000}


@pytest.mark.parametrize(
    ("limit", "expected"), [(None, None), (0, {"limit": -1}), (-1, {"limit": -1}), (9, {"limit": 9})]
)
def test_pids_limit(limit: int | None, expected: dict[str, int] | None) -> None:
    assert pids_limit(HostConfig(pids_limit=limit)) == expected


def test_block_io_uses_resolved_device_numbers() -> None:
    hc = HostConfig(
        blkio_weight=300,
        blkio_weight_device=[WeightDevice("/dev/sda", 200)],
        blkio_device_read_bps=[ThrottleDevice("/dev/sda", 1024)],
    )
    devices = ResolvedDevices(weight_devices=((8, 0, 200),), read_bps=((8, 0, 1024),))
    assert block_io(hc, devices) == {
        "weight": 300,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 200}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1024}],
    }


def test_rlimits_merge_daemon_defaults_and_unlimited() -> None:
    defaults = {"nofile": Ulimit("nofile", 4096, 1024), "nproc": Ulimit("nproc", -1, -1)}
    assert rlimits([Ulimit("nofile", 200, 100)], defaults) == [
        {"type": "RLIMIT_NOFILE", "hard": 200, "soft": 100},
        {"type": "RLIMIT_NPROC", "hard": 2**64 - 1, "soft": 2**64 - 1},
    ]


def test_device_node_spec() -> None:
    node = DeviceNode("/dev/x", "c", 1, 3, 0o666, 0, 5)
    assert node.to_spec() == {
        "path": "/dev/x",
        "type": "c",
        "major": 1,
        "minor": 3,
        "fileMode": 438,
        "uid": 0,
        "gid": 5,
    }
