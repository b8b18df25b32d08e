"""tools/quickstart and tools/quickstart-stop, run as the README tells a user to run them."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Quickstart

pytestmark = pytest.mark.root


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines()]


def _explain(result: subprocess.CompletedProcess[str], setup: Quickstart) -> str:
    log = setup.log.read_text(errors="replace")[-3000:] if setup.log.exists() else "(no daemon log)"
    return f"exit {result.returncode}\nstdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}\nlog:\n{log}"


def test_quickstart_prints_hello_twice_and_stop_leaves_nothing_running(quickstart: Quickstart) -> None:
    first = quickstart.run("quickstart")
    assert first.returncode == 0, _explain(first, quickstart)
    assert "hello" in _lines(first), _explain(first, quickstart)
    pid = quickstart.daemon_pid()
    assert pid is not None

    # What it prints next works: the docker CLI against the socket sees the image it loaded.
    env = dict(quickstart.env, DOCKER_HOST=f"unix://{quickstart.socket}")
    images = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], env=env, capture_output=True, text=True
    )
    assert images.stdout.split() == ["busybox:latest"], images.stderr
    # ... and the pymoby command it linked, told where the daemon is as the next steps say.
    assert f"export PYMOBY_HOST=unix://{quickstart.socket}\n  pymoby ps -a" in first.stdout
    pymoby_env = dict(quickstart.env, PYMOBY_HOST=f"unix://{quickstart.socket}")
    ps = subprocess.run(["pymoby", "ps", "-a", "-q"], env=pymoby_env, capture_output=True, text=True)
    assert (ps.returncode, ps.stdout) == (0, ""), ps.stderr  # the hello container was removed

    again = quickstart.run("quickstart")
    assert again.returncode == 0, _explain(again, quickstart)
    assert "hello" in _lines(again)
    assert f"pymobyd: already running (pid {pid}" in again.stdout
    assert "pymoby packages: up to date" in again.stdout
    assert "busybox image: present" in again.stdout

    stop = quickstart.run("quickstart-stop", timeout=180)
    assert stop.returncode == 0, _explain(stop, quickstart)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    assert not quickstart.socket.exists()
    # Nothing of it is left running or mounted: no containerd, no shim, no container, no mount.
    assert _processes_under(quickstart.base) == []
    assert _mounts_under(quickstart.base) == []
    assert not quickstart.pidfile.exists()
    assert any(quickstart.data_root.iterdir()), "the data root was emptied"
    assert "quickstart-stop --purge" in stop.stdout

    # Stopping again is harmless; --purge then takes what a stopped daemon keeps: its bridge and
    # iptables chains (as Docker's, they outlive it), its data root, exec root and log.
    bridge = quickstart.env["PYMOBY_BRIDGE"]
    assert bridge in _links()
    purged = quickstart.run("quickstart-stop", "--purge")
    assert purged.returncode == 0, _explain(purged, quickstart)
    assert "pymobyd is not running" in purged.stdout
    assert bridge not in _links()
    assert [rule for rule in _iptables_rules() if bridge in rule] == []
    assert not quickstart.data_root.exists()
    assert not quickstart.exec_root.exists()
    assert not quickstart.log.exists()
    assert _processes_under(quickstart.base) == []
    assert _mounts_under(quickstart.base) == []


def test_quickstart_stop_refuses_a_pid_file_that_is_not_pymobyd(quickstart: Quickstart) -> None:
    with subprocess.Popen(["sleep", "60"]) as stranger:
        try:
            quickstart.pidfile.write_text(f"{stranger.pid}\n")
            result = quickstart.run("quickstart-stop")
            assert result.returncode == 1
            assert "is not pymobyd" in result.stderr
            assert stranger.poll() is None
        finally:
            stranger.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for the user
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _processes_under(base: Path) -> list[str]:
    """Live processes whose command line names a path under ``base`` (its daemon, containerd, shims)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not _alive(int(entry.name)):
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(base).encode() in arg for arg in argv):
            found.append(f"{entry.name}: {b' '.join(argv).decode(errors='replace')}")
    return found


def _mounts_under(base: Path) -> list[str]:
    """Mount points at or below ``base``."""
    with open("/proc/self/mountinfo") as info:
        points = [line.split()[4] for line in info]
    return [p for p in points if p == str(base) or p.startswith(f"{base}/")]


def _links() -> set[str]:
    """The names of the host's network devices."""
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line}


def _iptables_rules() -> list[str]:
    """Every rule and chain of the filter and nat tables."""
    rules: list[str] = []
    for table in ("filter", "nat"):
        rules += subprocess.run(
            ["iptables-save", "-t", table], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    return rules
