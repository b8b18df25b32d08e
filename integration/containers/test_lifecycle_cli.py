"""The container lifecycle through the unmodified ``docker`` CLI: what a user types and checks."""

from __future__ import annotations

import json
import tarfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root


def out(daemon: Pymobyd, *args: str) -> str:
    return daemon.docker(*args).stdout.decode().strip()


def inspect(daemon: Pymobyd, name: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(out(daemon, "inspect", name))
    return data[0]


def wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_run_prints_output_and_returns_the_exit_code(daemon: Pymobyd) -> None:
    result = daemon.docker(
        "run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3", check=False
    )
    assert result.returncode == 3
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"


def test_run_rm_leaves_nothing(daemon: Pymobyd) -> None:
    before = set((daemon.data_root / "containers").iterdir())
    assert out(daemon, "run", "--rm", "--network", "none", "--name", "gone", "busybox", "true") == ""
    wait_for(lambda: daemon.docker("inspect", "gone", check=False).returncode != 0)
    assert set((daemon.data_root / "containers").iterdir()) == before


def test_stdin_is_piped_to_the_container(daemon: Pymobyd) -> None:
    result = daemon.docker("run", "-i", "--rm", "--network", "none", "busybox", "tr", "a-z", "A-Z", input=b"hello\n")
    assert result.stdout == b"HELLO\n"


def test_create_merges_the_image_config(daemon: Pymobyd) -> None:
    out(daemon, "create", "--name", "merged", "--network", "none", "-e", "A=b", "-l", "team=core",
        "-w", "/work/dir", "--stop-signal", "SIGUSR1", "--stop-timeout", "4", "busybox", "sleep", "5")  # fmt: skip
    try:
        data = inspect(daemon, "merged")
        config = data["Config"]
        assert config["Env"] == ["A=b", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        assert config["Labels"] == {"team": "core"}
        assert config["Cmd"] == ["sleep", "5"]
        assert config["WorkingDir"] == "/work/dir"
        assert config["StopSignal"] == "SIGUSR1"
        assert config["StopTimeout"] == 4
        assert config["Hostname"] == data["Id"][:12]
        assert data["Path"] == "sleep"
        assert data["Args"] == ["5"]
        assert data["State"]["Status"] == "created"
        assert data["Name"] == "/merged"
        assert data["HostConfig"]["NetworkMode"] == "none"
        assert data["HostConfig"]["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
        assert data["HostConfig"]["LogConfig"]["Type"] == "json-file"
        assert data["HostConfig"]["ShmSize"] == 64 * 1024 * 1024
        assert data["GraphDriver"]["Name"] == "overlay2"
        # The working dir was made in the container's layer at create.
        assert "A /work" in out(daemon, "diff", "merged").splitlines()
    finally:
        daemon.docker("rm", "-f", "merged")


def test_entrypoint_and_cmd_semantics(daemon: Pymobyd) -> None:
    args = ("run", "--rm", "--network", "none")
    assert out(daemon, *args, "--entrypoint", "echo", "busybox", "a", "b") == "a b"
    assert out(daemon, *args, "--entrypoint", "", "busybox", "echo", "reset") == "reset"
    assert out(daemon, *args, "busybox", "sh", "-c", "echo $0") == "sh"


def test_user_is_resolved_through_the_image_passwd(daemon: Pymobyd) -> None:
    args = ("run", "--rm", "--network", "none")
    assert (
        out(daemon, *args, "-u", "nobody", "busybox", "id")
        == "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"
    )
    assert out(daemon, *args, "-u", "1:1", "busybox", "id", "-u") == "1"
    result = daemon.docker(*args, "-u", "ghost", "busybox", "id", check=False)
    assert result.returncode != 0
    assert b"ghost" in result.stderr


def test_start_stop_restart_and_state(daemon: Pymobyd) -> None:
    out(daemon, "run", "-d", "--name", "life", "--network", "none", "busybox", "sleep", "1000")
    try:
        state = inspect(daemon, "life")["State"]
        assert state["Status"] == "running"
        assert state["Running"]
        assert state["Pid"] > 0
        assert state["StartedAt"] != "0001-01-01T00:00:00Z"
        started = time.monotonic()
        out(daemon, "stop", "-t", "1", "life")
        assert time.monotonic() - started < 8  # sleep ignores SIGTERM as pid 1: SIGKILL after 1 s
        state = inspect(daemon, "life")["State"]
        assert (state["Status"], state["ExitCode"], state["Pid"]) == ("exited", 137, 0)
        assert state["FinishedAt"] > state["StartedAt"]
        out(daemon, "start", "life")
        assert inspect(daemon, "life")["State"]["Running"]
        first_pid = inspect(daemon, "life")["State"]["Pid"]
        out(daemon, "restart", "-t", "0", "life")
        assert inspect(daemon, "life")["State"]["Pid"] not in (0, first_pid)
        # Stopping a stopped container is a 304: the CLI says nothing and succeeds.
        out(daemon, "stop", "-t", "0", "life")
        assert daemon.docker("stop", "life").returncode == 0
    finally:
        daemon.docker("rm", "-f", "life")


def test_stop_signal_is_honoured(daemon: Pymobyd) -> None:
    script = "trap 'echo got-usr1; exit 0' USR1; while true; do sleep 0.1; done"
    out(
        daemon,
        "run",
        "-d",
        "--name",
        "sig",
        "--network",
        "none",
        "--stop-signal",
        "USR1",
        "busybox",
        "sh",
        "-c",
        script,
    )
    try:
        out(daemon, "stop", "-t", "10", "sig")
        assert inspect(daemon, "sig")["State"]["ExitCode"] == 0
        assert out(daemon, "logs", "sig") == "got-usr1"
    finally:
        daemon.docker("rm", "-f", "sig")


def test_kill_with_signal_names_and_numbers(daemon: Pymobyd) -> None:
    script = "trap 'echo hup' HUP; trap 'echo term; exit 7' TERM; while true; do sleep 0.1; done"
    out(daemon, "run", "-d", "--name", "kill", "--network", "none", "busybox", "sh", "-c", script)
    try:
        out(daemon, "kill", "-s", "HUP", "kill")
        wait_for(lambda: out(daemon, "logs", "kill") == "hup")
        out(daemon, "kill", "-s", "15", "kill")
        assert out(daemon, "wait", "kill") == "7"
        result = daemon.docker("kill", "kill", check=False)
        assert result.returncode == 1
        assert b"is not running" in result.stderr
        result = daemon.docker("kill", "-s", "NOPE", "kill", check=False)
        assert b"invalid signal: NOPE" in result.stderr
    finally:
        daemon.docker("rm", "-f", "kill")


def test_pause_and_unpause(daemon: Pymobyd) -> None:
    out(daemon, "run", "-d", "--name", "frozen", "--network", "none", "busybox", "sleep", "1000")
    try:
        out(daemon, "pause", "frozen")
        state = inspect(daemon, "frozen")["State"]
        assert (state["Status"], state["Paused"], state["Running"]) == ("paused", True, True)
        assert "(Paused)" in out(daemon, "ps", "--filter", "name=frozen", "--format", "{{.Status}}")
        assert b"already paused" in daemon.docker("pause", "frozen", check=False).stderr
        assert b"container is paused and must be unpaused first" in daemon.docker("rm", "frozen", check=False).stderr
        out(daemon, "unpause", "frozen")
        assert inspect(daemon, "frozen")["State"]["Status"] == "running"
        assert b"is not paused" in daemon.docker("unpause", "frozen", check=False).stderr
    finally:
        daemon.docker("rm", "-f", "frozen")


def test_rename_and_name_conflicts(daemon: Pymobyd) -> None:
    out(daemon, "create", "--name", "first", "--network", "none", "busybox", "true")
    out(daemon, "create", "--name", "second", "--network", "none", "busybox", "true")
    try:
        result = daemon.docker("rename", "first", "second", check=False)
        assert b'The container name "/second" is already in use' in result.stderr
        out(daemon, "rename", "first", "renamed")
        assert inspect(daemon, "renamed")["Name"] == "/renamed"
        assert daemon.docker("inspect", "first", check=False).returncode == 1
        out(daemon, "create", "--name", "first", "--network", "none", "busybox", "true")
        daemon.docker("rm", "first")
    finally:
        daemon.docker("rm", "-f", "renamed", "second", check=False)


def test_update_resources_and_restart_policy(daemon: Pymobyd) -> None:
    out(daemon, "run", "-d", "--name", "upd", "--network", "none", "busybox", "sleep", "1000")
    try:
        out(
            daemon,
            "update",
            "--memory",
            "64m",
            "--memory-swap",
            "128m",
            "--cpu-shares",
            "512",
            "--restart",
            "on-failure:2",
            "upd",
        )
        host = inspect(daemon, "upd")["HostConfig"]
        assert host["Memory"] == 64 * 1024 * 1024
        assert host["MemorySwap"] == 128 * 1024 * 1024
        assert host["CpuShares"] == 512
        assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
        pid = inspect(daemon, "upd")["State"]["Pid"]
        cgroup = Path(f"/proc/{pid}/cgroup").read_text()
        memory_path = next(line.split(":")[2] for line in cgroup.splitlines() if ":memory:" in line)
        limit = Path(f"/sys/fs/cgroup/memory{memory_path}/memory.limit_in_bytes").read_text().strip()
        assert int(limit) == 64 * 1024 * 1024
        result = daemon.docker("update", "--memory", "1k", "upd", check=False)
        assert b"Minimum memory limit allowed is 6MB" in result.stderr
    finally:
        daemon.docker("rm", "-f", "upd")


def test_wait_conditions(daemon: Pymobyd) -> None:
    out(daemon, "create", "--name", "waiter", "--network", "none", "busybox", "sh", "-c", "sleep 0.5; exit 9")
    try:
        out(daemon, "start", "waiter")
        assert out(daemon, "wait", "waiter") == "9"
        assert out(daemon, "wait", "waiter") == "9"  # not-running: already met
    finally:
        daemon.docker("rm", "-f", "waiter")


def test_rm_refuses_a_running_container_unless_forced(daemon: Pymobyd) -> None:
    out(daemon, "run", "-d", "--name", "busy", "--network", "none", "busybox", "sleep", "1000")
    result = daemon.docker("rm", "busy", check=False)
    assert result.returncode == 1
    assert b'cannot remove container "/busy": container is running' in result.stderr
    out(daemon, "rm", "-f", "busy")
    assert daemon.docker("inspect", "busy", check=False).returncode == 1


def test_top_changes_export(daemon: Pymobyd) -> None:
    out(daemon, "run", "-d", "--name", "fs", "--network", "none", "busybox", "sh", "-c",
        "echo data > /new; rm /etc/group; sleep 1000")  # fmt: skip
    try:
        wait_for(lambda: "A /new" in out(daemon, "diff", "fs"))
        changes = out(daemon, "diff", "fs").splitlines()
        assert "D /etc/group" in changes
        assert "C /etc" in changes
        top = out(daemon, "top", "fs")
        assert top.splitlines()[0].split()[:3] == ["UID", "PID", "PPID"]
        assert "sleep 1000" in top
        assert "PID" in out(daemon, "top", "fs", "-o", "pid,comm")
        tar_bytes = daemon.docker("export", "fs").stdout
        with tarfile.open(fileobj=BytesIO(tar_bytes)) as tar:
            names = tar.getnames()
            assert "new" in names
            assert "bin/busybox" in names
            assert "etc/group" not in names
            member = tar.extractfile("new")
            assert member is not None
            assert member.read() == b"data\n"
    finally:
        daemon.docker("rm", "-f", "fs")


def test_stats_one_shot_and_stream(daemon: Pymobyd) -> None:
    out(daemon, "run", "-d", "--name", "st", "--network", "none", "-m", "32m", "busybox", "sleep", "1000")
    try:
        line = out(daemon, "stats", "--no-stream", "--format", "{{json .}}", "st")
        sample = json.loads(line)
        assert sample["Name"] == "st"
        assert sample["MemUsage"].endswith("32MiB")
        assert sample["PIDs"] == "1"
    finally:
        daemon.docker("rm", "-f", "st")


def test_inspect_size_and_ps_size(daemon: Pymobyd) -> None:
    out(
        daemon, "run", "--name", "sized", "--network", "none", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /blob"
    )
    try:
        data = json.loads(out(daemon, "inspect", "--size", "sized"))[0]
        assert data["SizeRw"] >= 100000
        assert data["SizeRootFs"] > data["SizeRw"]
        assert "virtual" in out(daemon, "ps", "-a", "-s", "--filter", "name=sized", "--format", "{{.Size}}")
    finally:
        daemon.docker("rm", "-f", "sized")


def test_host_network_and_network_files(daemon: Pymobyd) -> None:
    import socket

    args = ("run", "--rm", "--network")
    assert out(daemon, *args, "host", "busybox", "hostname") == socket.gethostname()
    assert out(daemon, *args, "none", "--hostname", "box", "busybox", "cat", "/etc/hostname") == "box"
    hosts = out(daemon, *args, "none", "--add-host", "db:10.1.2.3", "busybox", "cat", "/etc/hosts")
    assert "127.0.0.1\tlocalhost" in hosts
    assert "10.1.2.3\tdb" in hosts
    resolv = out(
        daemon, *args, "none", "--dns", "9.9.9.9", "--dns-search", "example.org", "busybox", "cat", "/etc/resolv.conf"
    )
    assert "nameserver 9.9.9.9" in resolv
    assert "search example.org" in resolv
    mounts = out(daemon, *args, "none", "busybox", "cat", "/proc/mounts")
    assert " /etc/hosts " in mounts
    assert " /etc/resolv.conf " in mounts
    assert " /etc/hostname " in mounts


def test_prune_removes_stopped_containers(daemon: Pymobyd) -> None:
    out(daemon, "run", "--name", "p1", "--network", "none", "-l", "prune=yes", "busybox", "true")
    out(daemon, "run", "--name", "p2", "--network", "none", "-l", "prune=no", "busybox", "true")
    out(daemon, "run", "-d", "--name", "p3", "--network", "none", "-l", "prune=yes", "busybox", "sleep", "1000")
    try:
        report = out(daemon, "container", "prune", "-f", "--filter", "label=prune=yes")
        assert "Total reclaimed space" in report
        names = out(daemon, "ps", "-a", "--format", "{{.Names}}").split()
        assert "p1" not in names
        assert "p2" in names
        assert "p3" in names
    finally:
        daemon.docker("rm", "-f", "p2", "p3", check=False)


def test_info_and_system_df_count_containers(daemon: Pymobyd) -> None:
    out(daemon, "run", "-d", "--name", "counted", "--network", "none", "busybox", "sleep", "1000")
    out(daemon, "create", "--name", "idle", "--network", "none", "busybox", "true")
    try:
        info = json.loads(out(daemon, "info", "--format", "{{json .}}"))
        assert info["ContainersRunning"] >= 1
        assert info["ContainersStopped"] >= 1
        assert info["Containers"] == info["ContainersRunning"] + info["ContainersPaused"] + info["ContainersStopped"]
        assert info["Images"] == 1
        df = daemon.docker("system", "df", "--format", "{{json .}}").stdout.decode().splitlines()
        rows = {json.loads(line)["Type"]: json.loads(line) for line in df}
        assert rows["Images"]["TotalCount"] == "1"
        assert rows["Images"]["Active"] == "1"
        assert int(rows["Containers"]["TotalCount"]) >= 2
        assert int(rows["Containers"]["Active"]) >= 1
    finally:
        daemon.docker("rm", "-f", "counted", "idle")


def test_docker_cp_both_ways(daemon: Pymobyd, tmp_path: Path) -> None:
    out(
        daemon,
        "run",
        "-d",
        "--name",
        "cp",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo inside > /in.txt; sleep 1000",
    )
    try:
        wait_for(lambda: daemon.docker("exec", "cp", "cat", "/in.txt", check=False).stdout == b"inside\n")
        daemon.docker("cp", "cp:/in.txt", str(tmp_path / "got.txt"))
        assert (tmp_path / "got.txt").read_text() == "inside\n"
        (tmp_path / "put.txt").write_text("outside\n")
        daemon.docker("cp", str(tmp_path / "put.txt"), "cp:/tmp/")
        assert out(daemon, "exec", "cp", "cat", "/tmp/put.txt") == "outside"
        daemon.docker("stop", "-t", "0", "cp")
        daemon.docker("cp", "cp:/tmp/put.txt", str(tmp_path / "again.txt"))  # a stopped container too
        assert (tmp_path / "again.txt").read_text() == "outside\n"
    finally:
        daemon.docker("rm", "-f", "cp")
