"""Logs (json-file with rotation, local, none), attach without a TTY, and exec, through the docker CLI."""

from __future__ import annotations

import gzip
import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

COUNTER = "i=0; while [ $i -lt {n} ]; do echo line-$i; i=$((i+1)); done"


def out(daemon: Pymobyd, *args: str) -> str:
    return daemon.docker(*args).stdout.decode()


def finished(daemon: Pymobyd, name: str) -> None:
    daemon.docker("wait", name)


def test_logs_of_a_stopped_container_stdout_and_stderr(daemon: Pymobyd) -> None:
    daemon.docker(
        "run", "--name", "lg", "--network", "none", "busybox", "sh", "-c", "echo o1; echo e1 >&2; sleep 0.2; echo o2"
    )
    try:
        both = daemon.docker("logs", "lg")
        assert (both.stdout, both.stderr) == (b"o1\no2\n", b"e1\n")
        merged = subprocess.run(
            ["docker", "logs", "lg"], env=daemon.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True
        )
        assert sorted(merged.stdout.splitlines()) == [b"e1", b"o1", b"o2"]
        assert out(daemon, "logs", "--tail", "1", "lg") == "o2\n"
        assert out(daemon, "logs", "--tail", "0", "lg") == ""
        stamped = out(daemon, "logs", "-t", "lg").splitlines()
        stamp, text = stamped[0].split(" ", 1)
        assert text == "o1"
        moment = datetime.strptime(stamp[:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - moment).total_seconds()) < 120
        assert len(stamp) == len("2024-01-01T00:00:00.000000000Z")
    finally:
        daemon.docker("rm", "-f", "lg")


def test_logs_since_and_until(daemon: Pymobyd) -> None:
    daemon.docker("run", "--name", "when", "--network", "none", "busybox", "sh", "-c", "echo early; sleep 2; echo late")
    try:
        lines = out(daemon, "logs", "-t", "when").splitlines()
        late_stamp = lines[1].split()[0]
        middle = datetime.fromisoformat(late_stamp[:26] + "+00:00").timestamp() - 1
        assert out(daemon, "logs", "--since", f"{middle:.3f}", "when") == "late\n"
        assert out(daemon, "logs", "--until", f"{middle:.3f}", "when") == "early\n"
    finally:
        daemon.docker("rm", "-f", "when")


def test_follow_streams_until_the_container_exits(daemon: Pymobyd) -> None:
    daemon.docker("run", "-d", "--name", "fol", "--network", "none", "busybox", "sh", "-c",
                  "for i in 1 2 3; do echo f$i; sleep 0.3; done")  # fmt: skip
    try:
        result = daemon.docker("logs", "-f", "fol", timeout=30)
        assert result.stdout == b"f1\nf2\nf3\n"
    finally:
        daemon.docker("rm", "-f", "fol")


def test_json_file_rotation_keeps_every_line_once(daemon: Pymobyd) -> None:
    n = 3000
    daemon.docker("run", "--name", "rot", "--network", "none", "--log-opt", "max-size=10k", "--log-opt", "max-file=100",
                  "busybox", "sh", "-c", COUNTER.format(n=n))  # fmt: skip
    try:
        lines = out(daemon, "logs", "rot").splitlines()
        assert lines == [f"line-{i}" for i in range(n)]
        log_path = out(daemon, "inspect", "-f", "{{.LogPath}}", "rot").strip()
        files = sorted(p.name for p in Path(log_path).parent.glob("*-json.log*"))
        assert len(files) > 5
        first = json.loads(Path(log_path).read_text().splitlines()[0])
        assert set(first) == {"log", "stream", "time"}
        assert first["stream"] == "stdout"
    finally:
        daemon.docker("rm", "-f", "rot")


def test_json_file_max_file_and_compress(daemon: Pymobyd) -> None:
    daemon.docker("run", "--name", "gz", "--network", "none", "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
                  "--log-opt", "compress=true", "busybox", "sh", "-c", COUNTER.format(n=500))  # fmt: skip
    try:
        log_path = Path(out(daemon, "inspect", "-f", "{{.LogPath}}", "gz").strip())
        rotated = sorted(p.name for p in log_path.parent.glob(log_path.name + ".*"))
        assert rotated == [log_path.name + ".1", log_path.name + ".2.gz"] or rotated == [
            log_path.name + ".1.gz",
            log_path.name + ".2.gz",
        ]
        with gzip.open(log_path.parent / (log_path.name + ".2.gz")) as compressed:
            assert b'"stream":"stdout"' in compressed.readline()
        lines = out(daemon, "logs", "gz").splitlines()
        assert lines[-1] == "line-499"
        assert lines == [f"line-{i}" for i in range(500 - len(lines), 500)]  # the oldest files were dropped
    finally:
        daemon.docker("rm", "-f", "gz")


def test_local_driver_and_none_driver(daemon: Pymobyd) -> None:
    daemon.docker("run", "--name", "loc", "--network", "none", "--log-driver", "local", "busybox", "echo", "stored")
    daemon.docker("run", "--name", "nolog", "--network", "none", "--log-driver", "none", "busybox", "echo", "lost")
    try:
        assert out(daemon, "logs", "loc") == "stored\n"
        result = daemon.docker("logs", "nolog", check=False)
        assert result.returncode == 1
        assert b"configured logging driver does not support reading" in result.stderr
    finally:
        daemon.docker("rm", "-f", "loc", "nolog")


def test_attach_to_a_running_container_and_detach_by_leaving(daemon: Pymobyd) -> None:
    daemon.docker("run", "-d", "--name", "att", "--network", "none", "busybox", "sh", "-c",
                  "sleep 1; for i in 1 2 3; do echo a$i; done; echo oops >&2; exit 6")  # fmt: skip
    try:
        result = daemon.docker("attach", "att", check=False, timeout=30)
        assert (result.returncode, result.stdout, result.stderr) == (6, b"a1\na2\na3\n", b"oops\n")
    finally:
        daemon.docker("rm", "-f", "att")


def test_exec_options_and_inspect(daemon: Pymobyd) -> None:
    daemon.docker(
        "run", "-d", "--name", "ex", "--network", "none", "-e", "BASE=1", "-w", "/tmp", "busybox", "sleep", "1000"
    )
    try:
        assert out(daemon, "exec", "ex", "pwd") == "/tmp\n"
        assert out(daemon, "exec", "-w", "/etc", "ex", "pwd") == "/etc\n"
        assert out(daemon, "exec", "-e", "EXTRA=2", "ex", "sh", "-c", "echo $BASE$EXTRA") == "12\n"
        assert out(daemon, "exec", "-u", "daemon", "ex", "id", "-un") == "daemon\n"
        capabilities = out(daemon, "exec", "--privileged", "ex", "grep", "CapEff", "/proc/self/status")
        default = out(daemon, "exec", "ex", "grep", "CapEff", "/proc/self/status")
        assert int(capabilities.split()[1], 16) > int(default.split()[1], 16)
        result = daemon.docker("exec", "ex", "sh", "-c", "echo x >&2; exit 3", check=False)
        assert (result.returncode, result.stderr) == (3, b"x\n")
        assert daemon.docker("exec", "-i", "ex", "cat", input=b"piped\n").stdout == b"piped\n"
        data: dict[str, Any] = json.loads(out(daemon, "inspect", "ex"))[0]
        assert len(data["ExecIDs"]) >= 5
        missing = daemon.docker("exec", "ex", "/no/such", check=False)
        assert missing.returncode == 126
        assert b"no such file or directory" in missing.stdout
    finally:
        daemon.docker("rm", "-f", "ex")


def test_exec_in_a_stopped_or_paused_container_is_refused(daemon: Pymobyd) -> None:
    daemon.docker("create", "--name", "cold", "--network", "none", "busybox", "sleep", "1000")
    try:
        result = daemon.docker("exec", "cold", "true", check=False)
        assert b"is not running" in result.stderr
        daemon.docker("start", "cold")
        daemon.docker("pause", "cold")
        result = daemon.docker("exec", "cold", "true", check=False)
        assert b"is paused, unpause the container before exec" in result.stderr
    finally:
        daemon.docker("rm", "-f", "cold")


def test_detached_exec_runs_in_the_background(daemon: Pymobyd) -> None:
    daemon.docker("run", "-d", "--name", "bg", "--network", "none", "busybox", "sleep", "1000")
    try:
        daemon.docker("exec", "-d", "bg", "sh", "-c", "echo done > /tmp/flag")
        deadline = time.monotonic() + 10
        while daemon.docker("exec", "bg", "cat", "/tmp/flag", check=False).stdout != b"done\n":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        daemon.docker("rm", "-f", "bg")
