"""The quickstart scripts run as a user would, with every path moved into one directory per test.

The environment variables tools/quickstart reads put the virtual environment,
the command links, the socket, pid file, data root, exec root, log and
config under a fresh directory in /tmp, and give the default bridge the name
and pool of a network slot held for the test (``support.pymobyd.network_slot``:
a machine-wide lock, so neither another worker nor another test session on
this machine meets it), and it never meets a system pymobyd. Whatever the
test leaves is stopped (the daemon, its containerd, shims and containers),
purged from the kernel (bridges, veths, namespaces, iptables chains),
unmounted and removed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from support.pymobyd import network_slot, release_slot, slot_network

from pymoby.daemon.network import NetworkConfig, NetworkController

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Quickstart:
    """One isolated set of quickstart paths, and the scripts run against them."""

    base: Path
    env: dict[str, str]

    @property
    def socket(self) -> Path:
        return Path(self.env["PYMOBY_SOCKET"])

    @property
    def pidfile(self) -> Path:
        return Path(self.env["PYMOBY_PIDFILE"])

    @property
    def data_root(self) -> Path:
        return Path(self.env["PYMOBY_DATA_ROOT"])

    @property
    def exec_root(self) -> Path:
        return Path(self.env["PYMOBY_EXEC_ROOT"])

    @property
    def log(self) -> Path:
        return Path(self.env["PYMOBY_LOG"])

    def run(self, script: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run ``tools/SCRIPT ARGS`` with this environment; output captured as text."""
        return subprocess.run(
            [str(ROOT / "tools" / script), *args], env=self.env, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    def daemon_pid(self) -> int | None:
        """The pid in the pid file while that process lives."""
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        return pid


@pytest.fixture
def quickstart() -> Iterator[Quickstart]:
    """Isolated paths for tools/quickstart; the daemon, its kernel objects and its files are gone afterwards."""
    base = Path(tempfile.mkdtemp(prefix="pmq-", dir="/tmp"))  # short: unix socket paths are limited
    bridge, pool = slot_network(network_slot(base))
    (base / "daemon.json").write_text("{}")
    env = dict(os.environ)
    for name in ("PYMOBY_HOST", "DOCKER_HOST", "DOCKER_CONTEXT", "PYMOBYD_ARGS", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    env.update(
        PYMOBY_VENV=str(base / "venv"),
        PYMOBY_BIN=str(base / "bin"),
        PYMOBY_SOCKET=str(base / "q.sock"),
        PYMOBY_PIDFILE=str(base / "q.pid"),
        PYMOBY_DATA_ROOT=str(base / "root"),
        PYMOBY_EXEC_ROOT=str(base / "exec"),
        PYMOBY_LOG=str(base / "pymobyd.log"),
        PYMOBY_CONFIG=str(base / "daemon.json"),
        PYMOBY_BRIDGE=bridge,
        PYMOBY_ADDRESS_POOL=f"base={pool},size=24",
        DOCKER_CONFIG=str(base / "client-config"),
    )
    env["PATH"] = f"{base / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    setup = Quickstart(base, env)
    policy = "DROP" if "-P FORWARD DROP" in _iptables("-S", "FORWARD") else "ACCEPT"
    try:
        yield setup
    finally:
        pid = setup.daemon_pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while setup.daemon_pid() is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            if setup.daemon_pid() is not None:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        _kill_all_under(base)  # a containerd, shims and containers that outlived a killed daemon
        config = NetworkConfig(data_root=setup.data_root, exec_root=setup.exec_root, bridge=bridge)
        anyio.run(NetworkController.purge, config)
        for mounted in (setup.data_root, setup.exec_root):
            subprocess.run(["umount", "-R", "-l", str(mounted)], capture_output=True, check=False)
        _iptables("-P", "FORWARD", policy)
        shutil.rmtree(base, ignore_errors=True)
        release_slot(base)


def _iptables(*args: str) -> str:
    return subprocess.run(["iptables", *args], capture_output=True, text=True, check=False).stdout


def _kill_all_under(base: Path) -> None:
    """SIGKILL every process whose command line names a path under ``base``, and their descendants."""
    parents: dict[int, int] = {}
    named: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if str(base).encode() in (entry / "cmdline").read_bytes():
                named.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    doomed, frontier = set(named), list(named)
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in doomed]
        doomed.update(children)
        frontier.extend(children)
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
