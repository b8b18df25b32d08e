"""The container service's pure rules: config merge, validation messages, signals, exit codes, files, ps, stats."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from pymoby import api, errdefs
from pymoby.daemon.lifecycle._create import _normalize, merge_image_config
from pymoby.daemon.lifecycle._health import health_test
from pymoby.daemon.lifecycle._inspect import parse_ps_output
from pymoby.daemon.lifecycle._start import exit_code_for
from pymoby.daemon.lifecycle._stats import to_stats
from pymoby.daemon.lifecycle._validate import parse_signal, validate_config
from pymoby.daemon.oci import SysInfo, validate_host_config
from pymoby.libcontainerd import BlkioEntry, BlkioStats, CpuStats, MemoryStats, Metrics, PidsStats

# -- merge of the image's config ------------------------------------------------------------


def image(**fields: object) -> api.ContainerConfig:
    return api.ContainerConfig(
        env=["PATH=/bin", "LANG=C"],
        cmd=["sh"],
        labels={"from": "image", "both": "image"},
        **fields,  # type: ignore[arg-type]
    )


def test_user_values_win_and_image_values_fill_in() -> None:
    user = api.ContainerConfig(env=["LANG=fr", "MINE=1"], labels={"both": "user"})
    merge_image_config(user, image(working_dir="/srv", user="daemon", stop_signal="SIGQUIT"))
    assert user.env == ["LANG=fr", "MINE=1", "PATH=/bin"]
    assert user.labels == {"both": "user", "from": "image"}
    assert (user.cmd, user.working_dir, user.user, user.stop_signal) == (["sh"], "/srv", "daemon", "SIGQUIT")


def test_entrypoint_from_the_user_drops_the_images_cmd() -> None:
    user = api.ContainerConfig(entrypoint=["echo"])
    merge_image_config(user, image(entrypoint=["/init"]))
    assert (user.entrypoint, user.cmd) == (["echo"], None)


def test_cmd_from_the_user_keeps_the_images_entrypoint() -> None:
    user = api.ContainerConfig(cmd=["-x"])
    merge_image_config(user, image(entrypoint=["/init"]))
    assert (user.entrypoint, user.cmd) == (["/init"], ["-x"])


def test_health_check_fields_are_inherited_one_by_one() -> None:
    user = api.ContainerConfig(healthcheck=api.HealthConfig(interval=5 * 10**9))
    merge_image_config(user, image(healthcheck=api.HealthConfig(test=["CMD", "true"], retries=7, interval=1)))
    assert user.healthcheck == api.HealthConfig(test=["CMD", "true"], interval=5 * 10**9, retries=7)


def test_string_commands_become_lists_and_empty_optionals_are_omitted() -> None:
    config = api.decode_lenient(
        b'{"Cmd": "echo hi", "Entrypoint": null, "Healthcheck": null, "StopSignal": "", "User": null}',
        api.ContainerConfig,
    )
    _normalize(config)
    assert config.cmd == ["echo hi"]
    assert config.entrypoint is None
    assert config.user == ""
    encoded = api.encode(config)
    assert b"Healthcheck" not in encoded
    assert b"StopSignal" not in encoded
    assert b'"Entrypoint":null' in encoded


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"),
    [("9", 9), ("KILL", 9), ("SIGKILL", 9), ("sigterm", 15), ("USR1", 10), ("RTMIN+1", 35), ("SIGRTMAX", 64)],
)
def test_signals_by_name_and_number(raw: str, number: int) -> None:
    assert parse_signal(raw) == number


@pytest.mark.parametrize(("raw", "message"), [("NOPE", "invalid signal: NOPE"), ("0", "invalid signal: 0"),
                                               ("99", "the linux daemon does not support signal 99")])  # fmt: skip
def test_bad_signals(raw: str, message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=message):
        parse_signal(raw)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (api.ContainerConfig(working_dir="x"), "the working directory 'x' is invalid, it needs to be an absolute path"),
        (api.ContainerConfig(stop_signal="NOPE"), "invalid signal: NOPE"),
        (
            api.ContainerConfig(healthcheck=api.HealthConfig(interval=10)),
            "Interval in Healthcheck cannot be less than 1ms",
        ),
        (api.ContainerConfig(healthcheck=api.HealthConfig(retries=-1)), "Retries in Healthcheck cannot be negative"),
        (api.ContainerConfig(env=["=x"]), "invalid environment variable: =x"),
    ],
)
def test_config_checks(config: api.ContainerConfig, message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=message):
        validate_config(config)


def test_working_dir_is_cleaned() -> None:
    config = api.ContainerConfig(working_dir="/a/./b/../c/")
    validate_config(config)
    assert config.working_dir == "/a/c"


@pytest.mark.parametrize(
    ("fields", "kind", "message"),
    [
        ({"restart_policy": api.RestartPolicy("later")}, errdefs.InvalidParameter, "unknown policy 'later'"),
        ({"auto_remove": True, "restart_policy": api.RestartPolicy("always")}, errdefs.InvalidParameter,
         "can't create 'AutoRemove' container with restart policy"),
        ({"cap_add": ["FOO"]}, errdefs.InvalidParameter, 'unknown capability: "CAP_FOO"'),
        ({"oom_score_adj": -1001}, errdefs.InvalidParameter, r"range for oom score adj is \[-1000, 1000\]"),
        ({"shm_size": -1}, errdefs.InvalidParameter, "SHM size can not be less than 0"),
        ({"ipc_mode": "weird"}, errdefs.InvalidParameter, "invalid IPC mode: weird"),
        ({"memory": 1}, errdefs.InvalidParameter, "Minimum memory limit allowed is 6MB"),
    ],
)  # fmt: skip
def test_host_config_checks(fields: dict[str, object], kind: type[Exception], message: str) -> None:
    host_config = api.HostConfig(network_mode="none")
    for key, value in fields.items():
        setattr(host_config, key, value)
    with pytest.raises(kind, match=message):
        validate_host_config(host_config, SysInfo(ncpu=2, cpus="0-1"))


def test_update_does_not_check_the_network_mode() -> None:
    assert validate_host_config(api.HostConfig(memory=64 << 20), SysInfo(), update=True) == []


# -- start errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "code", "user"),
    [
        ('exec: "nope": executable file not found in $PATH: unknown', 127, True),
        ("stat /x: no such file or directory", 127, True),
        ("exec: permission denied", 126, True),
        ("read /x: is a directory", 126, True),
        ("something else broke", 128, False),
    ],
)
def test_exit_codes_of_start_failures(message: str, code: int, user: bool) -> None:
    assert exit_code_for(message) == (code, user)


# -- top, health, stats ------------------------------------------------------------------------


def test_ps_output_is_restricted_to_the_containers_pids() -> None:
    output = (
        "UID          PID    PPID  C STIME TTY          TIME CMD\n"
        "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
        "root         500       1  0 10:00 ?        00:00:00 sleep 100 with spaces\n"
    )
    top = parse_ps_output(output, {500})
    assert top.titles == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert top.processes == [["root", "500", "1", "0", "10:00", "?", "00:00:00", "sleep 100 with spaces"]]
    with pytest.raises(errdefs.System, match="Couldn't find PID field in ps output"):
        parse_ps_output("USER CMD\nroot x\n", {1})


@pytest.mark.parametrize(
    ("test", "shell", "command"),
    [
        (["CMD", "true", "x"], None, ["true", "x"]),
        (["CMD-SHELL", "exit 0"], None, ["/bin/sh", "-c", "exit 0"]),
        (["CMD-SHELL", "exit 0"], ["/bin/ash", "-e", "-c"], ["/bin/ash", "-e", "-c", "exit 0"]),
        (["NONE"], None, None),
        ([], None, None),
    ],
)
def test_health_commands(test: list[str], shell: list[str] | None, command: list[str] | None) -> None:
    config = api.ContainerConfig(healthcheck=api.HealthConfig(test=test), shell=shell or msgspec.UNSET)
    assert health_test(config) == command


def test_stats_from_cgroup_v1_metrics() -> None:
    metrics = Metrics(
        cgroup_version=1,
        timestamp=datetime.now(UTC),
        cpu=CpuStats(total_usage=50, usage_in_kernelmode=10, usage_in_usermode=40, percpu_usage=(20, 30)),
        memory=MemoryStats(usage=1000, max_usage=2000, limit=9_223_372_036_854_771_712, stats={"cache": 5}),
        pids=PidsStats(current=3),
        blkio=BlkioStats(io_service_bytes_recursive=(BlkioEntry(8, 0, "Read", 512),)),
    )
    cpu, sample = to_stats(metrics, host_memory=8 << 30, online_cpus=2, system=1_000_000)
    assert cpu.cpu_usage.percpu_usage == [20, 30]
    assert cpu.system_cpu_usage == 1_000_000
    assert cpu.online_cpus == 2
    assert sample.memory_stats.limit == 8 << 30  # unlimited: the host's memory, as Docker shows it
    encoded = api.decode(api.encode(sample), dict)
    assert encoded["pids_stats"] == {"current": 3}
    assert encoded["blkio_stats"]["io_service_bytes_recursive"] == [
        {"major": 8, "minor": 0, "op": "Read", "value": 512}
    ]
    assert encoded["blkio_stats"]["sectors_recursive"] is None
    assert encoded["storage_stats"] == {}
    assert "networks" not in encoded
