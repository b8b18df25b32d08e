"""HostConfig wire names, Go-like defaults and omitempty fields."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import api

# A HostConfig as the docker 28 CLI sends it for
# `docker run --memory 64m --cpus 1.5 --ulimit nofile=100:200 --tmpfs /run
#  --device /dev/null:/dev/xnull:rw --blkio-weight-device /dev/sda:200
#  --device-read-iops /dev/sda:10 -p 8080:80 --mount type=volume,src=v,dst=/v,volume-nocopy`.
CLI_BODY = b"""{
  "Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
  "NetworkMode": "default", "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
  "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false,
  "VolumeDriver": "", "VolumesFrom": null, "ConsoleSize": [24, 80], "CapAdd": null,
  "CapDrop": null, "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [],
  "ExtraHosts": null, "GroupAdd": null, "IpcMode": "", "Cgroup": "", "Links": null,
  "OomScoreAdj": 0, "PidMode": "", "Privileged": false, "PublishAllPorts": false,
  "ReadonlyRootfs": false, "SecurityOpt": null, "Tmpfs": {"/run": ""}, "UTSMode": "",
  "UsernsMode": "", "ShmSize": 0, "Isolation": "", "CpuShares": 0, "Memory": 67108864,
  "NanoCpus": 1500000000, "CgroupParent": "", "BlkioWeight": 0,
  "BlkioWeightDevice": [{"Path": "/dev/sda", "Weight": 200}],
  "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
  "BlkioDeviceReadIOps": [{"Path": "/dev/sda", "Rate": 10}], "BlkioDeviceWriteIOps": [],
  "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0,
  "CpusetCpus": "", "CpusetMems": "",
  "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull", "CgroupPermissions": "rw"}],
  "DeviceCgroupRules": null, "DeviceRequests": null, "MemoryReservation": 0, "MemorySwap": 0,
  "MemorySwappiness": null, "OomKillDisable": false, "PidsLimit": null,
  "Ulimits": [{"Name": "nofile", "Hard": 200, "Soft": 100}], "CpuCount": 0, "CpuPercent": 0,
  "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
  "Mounts": [{"Type": "volume", "Source": "v", "Target": "/v", "VolumeOptions": {"NoCopy": true}}],
  "MaskedPaths": null, "ReadonlyPaths": null
}"""


def test_decodes_what_the_docker_cli_sends() -> None:
    hc = api.decode(CLI_BODY, api.HostConfig)
    assert hc.memory == 64 * 1024 * 1024
    assert hc.nano_cpus == 1_500_000_000
    assert hc.ulimits == [api.Ulimit(name="nofile", hard=200, soft=100)]
    assert hc.tmpfs == {"/run": ""}
    assert hc.blkio_weight_device == [api.WeightDevice(path="/dev/sda", weight=200)]
    assert hc.blkio_device_read_iops == [api.ThrottleDevice(path="/dev/sda", rate=10)]
    assert hc.devices == [api.DeviceMapping("/dev/null", "/dev/xnull", "rw")]
    assert hc.port_bindings == {"80/tcp": [api.PortBinding(host_ip="", host_port="8080")]}
    assert hc.restart_policy == api.RestartPolicy(name="no")
    assert hc.console_size == [24, 80]
    assert hc.oom_kill_disable is False
    assert hc.pids_limit is None
    assert hc.mounts == [
        api.Mount(type="volume", source="v", target="/v", volume_options=api.VolumeOptions(no_copy=True))
    ]
    assert hc.sysctls is msgspec.UNSET


def test_round_trip_keeps_every_field_docker_sent() -> None:
    sent = msgspec.json.decode(CLI_BODY)
    again = msgspec.json.decode(api.encode(api.decode(CLI_BODY, api.HostConfig)))
    assert again == sent


def test_empty_host_config_encodes_like_gos_zero_value() -> None:
    data = msgspec.json.decode(api.encode(api.HostConfig()))
    assert data["Binds"] is None
    assert data["PortBindings"] is None
    assert data["LogConfig"] == {"Type": "", "Config": None}
    assert data["RestartPolicy"] == {"Name": "", "MaximumRetryCount": 0}
    assert data["ConsoleSize"] == [0, 0]
    assert data["PidsLimit"] is None
    assert data["MemorySwappiness"] is None
    assert data["OomKillDisable"] is None
    assert data["ShmSize"] == 0
    # Go's `omitempty` fields are absent, not null.
    for omitted in (
        "Annotations",
        "StorageOpt",
        "Tmpfs",
        "Sysctls",
        "Runtime",
        "KernelMemory",
        "KernelMemoryTCP",
        "Mounts",
        "Init",
    ):
        assert omitted not in data


@pytest.mark.parametrize(
    ("python_name", "wire_name"),
    [
        ("container_id_file", "ContainerIDFile"),
        ("uts_mode", "UTSMode"),
        ("blkio_device_read_iops", "BlkioDeviceReadIOps"),
        ("blkio_device_write_iops", "BlkioDeviceWriteIOps"),
        ("io_maximum_iops", "IOMaximumIOps"),
        ("io_maximum_bandwidth", "IOMaximumBandwidth"),
        ("cgroupns_mode", "CgroupnsMode"),
        ("cpu_shares", "CpuShares"),
        ("nano_cpus", "NanoCpus"),
        ("oom_score_adj", "OomScoreAdj"),
        ("dns_options", "DnsOptions"),
        ("readonly_rootfs", "ReadonlyRootfs"),
    ],
)
def test_irregular_wire_names(python_name: str, wire_name: str) -> None:
    fields = {f.name: f.encode_name for f in msgspec.structs.fields(api.HostConfig)}
    assert fields[python_name] == wire_name


def test_every_v145_host_config_field_is_present() -> None:
    names = {f.encode_name for f in msgspec.structs.fields(api.HostConfig)}
    v145 = {
        "CpuShares", "Memory", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
        "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
        "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod",
        "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "Devices", "DeviceCgroupRules",
        "DeviceRequests", "KernelMemoryTCP", "MemoryReservation", "MemorySwap",
        "MemorySwappiness", "NanoCpus", "OomKillDisable", "Init", "PidsLimit", "Ulimits",
        "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth", "Binds",
        "ContainerIDFile", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy",
        "AutoRemove", "VolumeDriver", "VolumesFrom", "Mounts", "ConsoleSize", "Annotations",
        "CapAdd", "CapDrop", "CgroupnsMode", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts",
        "GroupAdd", "IpcMode", "Cgroup", "Links", "OomScoreAdj", "PidMode", "Privileged",
        "PublishAllPorts", "ReadonlyRootfs", "SecurityOpt", "StorageOpt", "Tmpfs", "UTSMode",
        "UsernsMode", "ShmSize", "Sysctls", "Runtime", "Isolation", "MaskedPaths",
        "ReadonlyPaths",
    }  # fmt: skip
    assert v145 <= names


def test_mount_options_leave_out_unset_fields() -> None:
    mount = api.Mount(type="tmpfs", target="/t", tmpfs_options=api.TmpfsOptions(size_bytes=1024, mode=0o1777))
    assert msgspec.json.decode(api.encode(mount)) == {
        "Type": "tmpfs",
        "Target": "/t",
        "TmpfsOptions": {"SizeBytes": 1024, "Mode": 1023},
    }


def test_device_request_uses_device_ids_spelling() -> None:
    request = api.decode(b'{"Driver": "nvidia", "Count": -1, "DeviceIDs": ["0"]}', api.DeviceRequest)
    assert request.device_ids == ["0"]
    assert b'"DeviceIDs":["0"]' in api.encode(request)


def test_wrong_type_names_the_field() -> None:
    with pytest.raises(api.InvalidJSON, match=r"\$\.Ulimits\[0\]\.Soft"):
        api.decode(b'{"Ulimits": [{"Name": "nofile", "Soft": "x", "Hard": 1}]}', api.HostConfig)


def test_resources_is_the_update_body_subset() -> None:
    resources = api.decode(b'{"Memory": 1048576, "PidsLimit": 10, "RestartPolicy": {}}', api.Resources)
    assert resources.memory == 1048576
    assert resources.pids_limit == 10
    assert isinstance(api.HostConfig(), api.Resources)


@given(
    memory=st.integers(min_value=0, max_value=2**62),
    pids=st.none() | st.integers(min_value=-1, max_value=2**31),
    sysctls=st.dictionaries(st.from_regex(r"[a-z][a-z.]{0,12}", fullmatch=True), st.text(max_size=5), max_size=3),
    binds=st.none() | st.lists(st.text(min_size=1, max_size=10), max_size=3),
)
def test_encode_decode_round_trip(
    memory: int, pids: int | None, sysctls: dict[str, str], binds: list[str] | None
) -> None:
    hc = api.HostConfig(memory=memory, pids_limit=pids, sysctls=sysctls, binds=binds)
    assert api.decode(api.encode(hc), api.HostConfig) == hc
