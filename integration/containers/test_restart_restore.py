"""Restart policies with a crashing container, and what survives the daemon.

live-restore on and off, SIGTERM and kill -9.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from support.pymobyd import Pymobyd
from support.pymobyd import StartDaemon as Start

pytestmark = pytest.mark.root


def state(daemon: Pymobyd, name: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(daemon.docker("inspect", name).stdout)
    return data[0]


def wait_until(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def kill_daemon(daemon: Pymobyd) -> None:
    os.kill(daemon.process.pid, signal.SIGKILL)
    daemon.process.wait()


def test_on_failure_retries_then_gives_up(daemon: Pymobyd) -> None:
    since = str(time.time())
    daemon.docker("run", "-d", "--name", "crashy", "--network", "none", "--restart", "on-failure:3",
                  "busybox", "sh", "-c", "exit 2")  # fmt: skip
    try:
        wait_until(
            lambda: state(daemon, "crashy")["RestartCount"] == 3 and not state(daemon, "crashy")["State"]["Running"]
        )
        time.sleep(1)
        data = state(daemon, "crashy")
        assert (data["RestartCount"], data["State"]["Status"], data["State"]["ExitCode"]) == (3, "exited", 2)
        actions = (
            daemon.docker(
                "events",
                "--since",
                since,
                "--until",
                str(time.time()),
                "--filter",
                "container=crashy",
                "--format",
                "{{.Action}}",
            )
            .stdout.decode()
            .split()
        )
        assert actions == ["create", "start", "die", "start", "die", "start", "die", "start", "die"]
    finally:
        daemon.docker("rm", "-f", "crashy")


def test_always_restarts_until_stopped_by_hand(daemon: Pymobyd) -> None:
    daemon.docker("run", "-d", "--name", "phoenix", "--network", "none", "--restart", "always",
                  "busybox", "sh", "-c", "sleep 0.2; exit 0")  # fmt: skip
    try:
        wait_until(lambda: state(daemon, "phoenix")["RestartCount"] >= 2)
        daemon.docker("stop", "-t", "1", "phoenix")
        count = state(daemon, "phoenix")["RestartCount"]
        time.sleep(1.5)
        data = state(daemon, "phoenix")
        assert data["State"]["Running"] is False
        assert data["RestartCount"] == count
    finally:
        daemon.docker("rm", "-f", "phoenix")


def test_update_restart_policy_of_a_running_container(daemon: Pymobyd) -> None:
    daemon.docker("run", "-d", "--name", "later", "--network", "none", "busybox", "sh", "-c", "sleep 1; exit 1")
    try:
        daemon.docker("update", "--restart", "on-failure:1", "later")
        wait_until(lambda: state(daemon, "later")["RestartCount"] == 1)
    finally:
        daemon.docker("rm", "-f", "later")


def test_oom_kill_is_reported(daemon: Pymobyd) -> None:
    since = str(time.time())
    result = daemon.docker("run", "--name", "hog", "--network", "none", "-m", "8m", "--memory-swap", "8m",
                           "busybox", "sh", "-c", "x=a; while true; do x=$x$x; done", check=False)  # fmt: skip
    try:
        assert result.returncode == 137
        data = state(daemon, "hog")["State"]
        assert (data["OOMKilled"], data["ExitCode"]) == (True, 137)
        actions = (
            daemon.docker(
                "events",
                "--since",
                since,
                "--until",
                str(time.time()),
                "--filter",
                "container=hog",
                "--format",
                "{{.Action}}",
            )
            .stdout.decode()
            .split()
        )
        assert "oom" in actions
        assert actions.index("oom") < actions.index("die")
    finally:
        daemon.docker("rm", "-f", "hog")


def test_sigterm_stops_containers_and_unless_stopped_comes_back(start_daemon: Start) -> None:
    first = start_daemon()
    first.docker(
        "run", "-d", "--name", "keep", "--network", "none", "--restart", "unless-stopped", "busybox", "sleep", "1000"
    )
    first.docker("run", "-d", "--name", "plain", "--network", "none", "busybox", "sleep", "1000")
    first.docker(
        "run", "-d", "--name", "stopped", "--network", "none", "--restart", "unless-stopped", "busybox", "sleep", "1000"
    )
    first.docker("stop", "-t", "0", "stopped")
    assert first.stop() == 0
    second = start_daemon(base=first.base, load=False)
    wait_until(lambda: state(second, "keep")["State"]["Running"])
    assert state(second, "plain")["State"]["Running"] is False
    assert state(second, "plain")["State"]["ExitCode"] == 137
    assert state(second, "stopped")["State"]["Running"] is False


def test_kill_9_with_live_restore_keeps_containers_and_their_logs(start_daemon: Start) -> None:
    first = start_daemon("--live-restore")
    # Ticks before, during and after the daemon's absence; it exits once told to (after the restore).
    script = (
        "i=0; while [ $i -lt 30 ]; do echo tick-$i; i=$((i+1)); sleep 0.1; done; "
        "while [ ! -f /tmp/go ]; do sleep 0.1; done; exit 4"
    )
    first.docker("run", "-d", "--name", "alive", "--network", "none", "busybox", "sh", "-c", script)
    pid = state(first, "alive")["State"]["Pid"]
    time.sleep(0.5)
    kill_daemon(first)
    assert os.path.exists(f"/proc/{pid}")  # the container kept running without its daemon
    second = start_daemon("--live-restore", base=first.base, load=False)
    data = state(second, "alive")["State"]
    assert (data["Running"], data["Pid"]) == (True, pid)
    second.docker("exec", "alive", "touch", "/tmp/go")
    assert second.docker("wait", "alive").stdout.strip() == b"4"
    lines = second.docker("logs", "alive").stdout.decode().split()
    assert lines == [f"tick-{i}" for i in range(30)]


def test_kill_9_without_live_restore_stops_them_and_always_restarts(start_daemon: Start) -> None:
    first = start_daemon()
    first.docker(
        "run", "-d", "--name", "always", "--network", "none", "--restart", "always", "busybox", "sleep", "1000"
    )
    first.docker("run", "-d", "--name", "never", "--network", "none", "busybox", "sleep", "1000")
    old = state(first, "always")["State"]["Pid"]
    kill_daemon(first)
    second = start_daemon(base=first.base, load=False)
    wait_until(lambda: state(second, "always")["State"]["Running"] and state(second, "always")["State"]["Pid"] != old)
    never = state(second, "never")["State"]
    assert (never["Running"], never["ExitCode"]) == (False, 137)
    assert not os.path.exists(f"/proc/{old}")
    assert second.docker("exec", "always", "true").returncode == 0


def test_live_restore_picks_up_an_exit_that_happened_while_down(start_daemon: Start) -> None:
    first = start_daemon("--live-restore")
    first.docker("run", "-d", "--name", "brief", "--network", "none", "busybox", "sh", "-c",
                 "sleep 1; for i in 1 2 3; do echo late-$i; done; exit 7")  # fmt: skip
    pid = state(first, "brief")["State"]["Pid"]
    kill_daemon(first)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or _zombie(pid))
    second = start_daemon("--live-restore", base=first.base, load=False)
    assert second.docker("wait", "brief").stdout.strip() == b"7"
    # What it wrote while nobody read is gone with the shim's FIFOs, as with dockerd; the exit is not.
    assert second.docker("logs", "brief").returncode == 0
    assert state(second, "brief")["State"]["Status"] == "exited"
