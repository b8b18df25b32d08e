"""Real pymobyd daemons with busybox for the volume, mount and ``docker cp`` tests, and a test volume plugin.

The daemons are integration/conftest.py's: ``daemon`` is one pymobyd per
module (each xdist worker its own base directory, socket, containerd and
bridge), and ``start_daemon`` starts daemons of a test's own, for restarts on
the same base (``start_daemon(base=first.base, load=False)`` after
``first.stop()``); all are stopped, checked (exit code, nothing left on the
host) and removed after. ``d`` hands ``daemon`` to a test and, after it,
removes every container (``rm -fv``) and volume it left, then checks that
no volume, tmpfs or sub-path mount is left under the daemon's roots.

``plugin("name")`` runs the test volume plugin (a separate process, as real
plugins are) on ``/run/docker/plugins/NAME.sock``, where pymobyd, as
dockerd, looks for legacy plugins. The directory is machine-wide, so each
plugin gets a unique name, and its socket goes when the test ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

PLUGIN_SOCKETS = Path("/run/docker/plugins")
PLUGIN_SPECS = Path("/etc/docker/plugins")


def docker(daemon: Pymobyd, *args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI against ``daemon``, text in and out; a failure shows its stderr."""
    result = subprocess.run(
        ["docker", *args], env=daemon.env(), capture_output=True, text=True, timeout=120, check=False, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def inspect_volume(daemon: Pymobyd, name: str) -> dict[str, Any]:
    """``docker volume inspect NAME``."""
    (info,) = json.loads(docker(daemon, "volume", "inspect", name).stdout)
    return dict(info)


def volume_path(daemon: Pymobyd, name: str) -> Path:
    """Where volume ``name``'s data lives on the host."""
    return Path(inspect_volume(daemon, name)["Mountpoint"])


def mounted_under(path: Path) -> list[str]:
    """Mount points at or under ``path`` (this process's mount namespace, the daemon's too)."""
    with open("/proc/self/mountinfo") as info:
        points = [line.split()[4] for line in info]
    return [p for p in points if p == str(path) or p.startswith(f"{path}/")]


def volume_mounts(daemon: Pymobyd) -> list[str]:
    """What is mounted under the daemon's volumes and its sub-path scratch directory."""
    return mounted_under(daemon.data_root / "volumes") + mounted_under(daemon.exec_root / "volume-mounts")


def wait_exited(daemon: Pymobyd, name: str, timeout: float = 30) -> None:
    """Wait until container ``name`` is no longer running."""
    docker(daemon, "wait", name, timeout=timeout)


def _reset(daemon: Pymobyd) -> None:
    """Remove every container (with its anonymous volumes) and every volume."""
    ids = docker(daemon, "ps", "-aq").stdout.split()
    if ids:
        docker(daemon, "rm", "-fv", *ids)
    names = docker(daemon, "volume", "ls", "-q", "--filter", "driver=local").stdout.split()
    if names:
        docker(daemon, "volume", "rm", "-f", *names)


@pytest.fixture
def d(daemon: Pymobyd) -> Iterator[Pymobyd]:
    """The module's daemon for one test: its containers and volumes removed after, nothing left mounted."""
    try:
        yield daemon
    finally:
        _reset(daemon)
    left = volume_mounts(daemon)
    assert left == [], f"left mounted after the containers went: {left}"


@dataclass
class Plugin:
    """A running test volume plugin."""

    name: str
    socket: Path
    data: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop it (its socket goes with it)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.socket.unlink(missing_ok=True)


StartPlugin = Callable[[], Plugin]


@pytest.fixture
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartPlugin]:
    """``plugin()``: start a test volume plugin with a unique name; stopped and its socket removed after."""
    started: list[Plugin] = []

    def start() -> Plugin:
        name = f"pmtest{uuid.uuid4().hex[:10]}"
        socket = PLUGIN_SOCKETS / f"{name}.sock"
        data = tmp_path_factory.mktemp("plugin")
        PLUGIN_SOCKETS.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "pymoby.daemon.volume.testing", str(socket), str(data)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        found = Plugin(name, socket, data, process)
        started.append(found)
        deadline = time.monotonic() + 20
        while not socket.exists():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"plugin {name} did not start")
            time.sleep(0.05)
        return found

    yield start
    for running in started:
        running.stop()
