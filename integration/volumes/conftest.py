"""A stand-in daemon with the volume pieces (volumed.py), the docker CLI and docker-py against it, a test plugin.

Each test gets its own base directory (short: unix socket paths are
limited), so pytest-xdist workers never share a socket, a data root or a
plugin. Everything started is stopped, and everything mounted under the
base is unmounted, when the test ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.images import make_busybox_rootfs
from support.pymobyd import ping

HERE = Path(__file__).resolve().parent


@dataclass
class Volumed:
    """A running stand-in daemon (see volumed.py)."""

    base: Path
    process: subprocess.Popen[bytes] | None = None
    plugins: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.base / "d.sock"

    @property
    def data_root(self) -> Path:
        return self.base / "root"

    @property
    def log_path(self) -> Path:
        return self.base / "volumed.log"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DOCKER_HOST"] = f"unix://{self.socket}"
        env.pop("DOCKER_CONTEXT", None)
        env["DOCKER_CONFIG"] = str(self.base / "client-config")
        return env

    def docker(self, *args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run the docker CLI against the stand-in."""
        result = subprocess.run(["docker", *args], env=self.env(), capture_output=True, text=True, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(HERE / "volumed.py"), str(self.base)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.socket.exists() and ping(self.socket):
                return
            time.sleep(0.05)
        raise RuntimeError(f"volumed did not come up:\n{self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def restart(self) -> None:
        code = self.stop()
        assert code == 0, self.log_path.read_text()[-3000:]
        self.start()

    def start_plugin(self, name: str, *extra: str) -> Path:
        """Run the test plugin (a separate process, as real plugins are) as ``name``; its data directory."""
        socket = self.base / "plugins" / f"{name}.sock"
        data = self.base / f"plugin-{name}"
        process = subprocess.Popen(
            [sys.executable, "-m", "pymoby.daemon.volume.testing", str(socket), str(data), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.plugins.append(process)
        deadline = time.monotonic() + 20
        while not socket.exists():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"plugin {name} did not start")
            time.sleep(0.05)
        return data

    def control(self, method: str, path: str, body: object = None) -> Any:
        """Call the stand-in's container control routes (what the container service will do)."""
        command = ["curl", "-sS", "--unix-socket", str(self.socket), "-X", method, f"http://d{path}"]
        if body is not None:
            command += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        command += ["-w", "\n%{http_code}"]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        text, _, status = out.rpartition("\n")
        parsed = json.loads(text) if text.strip() else None
        if int(status) >= 400:
            raise ControlError(int(status), parsed["message"] if isinstance(parsed, dict) else text)
        return parsed

    def create_container(self, name: str, root: Path, **fields: Any) -> Any:
        """``ContainerMounts.create`` for a container whose root is ``root``: HostConfig, Volumes, User."""
        return self.control("POST", f"/_test/containers/{name}", {"Root": str(root), **fields})

    def mounted_under(self, path: Path) -> list[str]:
        with open("/proc/self/mountinfo") as info:
            points = [line.split()[4] for line in info]
        return [p for p in points if p == str(path) or p.startswith(str(path) + "/")]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _cleanup(base: Path) -> None:
    subprocess.run(["umount", "-R", "-l", str(base)], capture_output=True, check=False)
    with open("/proc/self/mountinfo") as info:
        leftovers = sorted(
            (line.split()[4] for line in info if line.split()[4].startswith(str(base) + "/")), reverse=True
        )
    for point in leftovers:
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def volumed() -> Iterator[Volumed]:
    base = Path(tempfile.mkdtemp(prefix="pmv-", dir="/tmp"))
    (base / "plugins").mkdir()
    (base / "plugin-specs").mkdir()
    daemon = Volumed(base)
    daemon.start()
    try:
        yield daemon
    finally:
        code = daemon.stop()
        for plugin in daemon.plugins:
            plugin.terminate()
            plugin.wait(10)
        log = daemon.log_path.read_text() if daemon.log_path.exists() else ""
        left = daemon.mounted_under(base)
        _cleanup(base)
        assert code in (0, None), f"volumed exited with {code}:\n{log[-3000:]}"
        assert not left, f"left mounted: {left}"


@pytest.fixture
def rootfs(volumed: Volumed) -> Path:
    """A busybox root file system: the 'container' the tests copy into and out of."""
    return make_busybox_rootfs(volumed.base / "rootfs")
