"""A real dockerd (Debian docker.io) run beside pymobyd, on its own paths.

For interoperability tests (save/load between the two) and the side-by-side
benchmarks. Each instance has its own data root, exec root, socket, pid file
and (started by dockerd itself) containerd, so it never touches a system
Docker or another instance.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DOCKERD = "dockerd"


@dataclass
class Dockerd:
    """A running dockerd. Use as a context manager, or call :meth:`stop`."""

    base: Path
    process: subprocess.Popen[bytes]
    extra_args: list[str] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.base / "docker.sock"

    @property
    def host(self) -> str:
        """The value for ``DOCKER_HOST`` / ``-H``."""
        return f"unix://{self.socket}"

    def env(self) -> dict[str, str]:
        """An environment for running the ``docker`` CLI against this daemon."""
        env = dict(os.environ)
        env["DOCKER_HOST"] = self.host
        env.pop("DOCKER_CONTEXT", None)
        env["DOCKER_CONFIG"] = str(self.base / "client-config")
        return env

    def docker(self, *args: str, check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        """Run the ``docker`` CLI against this daemon."""
        return subprocess.run(["docker", *args], env=self.env(), check=check, capture_output=True, **kwargs)  # type: ignore[call-overload,no-any-return]

    def stop(self, timeout: float = 30) -> None:
        """Stop dockerd (and the containerd it started), then remove its files."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        subprocess.run(["umount", "-R", "-l", str(self.base / "root")], capture_output=True, check=False)
        subprocess.run(["umount", "-R", "-l", str(self.base / "exec")], capture_output=True, check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Dockerd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_dockerd(base: Path, *extra_args: str, timeout: float = 60) -> Dockerd:
    """Start dockerd with everything under ``base`` and wait until it answers.

    By default it has no bridge and no iptables rules (``--bridge=none
    --iptables=false``); pass other flags in ``extra_args`` to change that.
    Raises RuntimeError with the end of its log if it does not come up.
    """
    if shutil.which(DOCKERD) is None:
        raise FileNotFoundError("dockerd is not installed (Debian docker.io): run tools/install-system-deps")
    base.mkdir(parents=True, exist_ok=True)
    # Unix socket paths are limited to 108 bytes; keep base short.
    args = [
        DOCKERD,
        "--data-root",
        str(base / "root"),
        "--exec-root",
        str(base / "exec"),
        "-H",
        f"unix://{base / 'docker.sock'}",
        "--pidfile",
        str(base / "docker.pid"),
        "--storage-driver",
        "overlay2",
    ]
    if not any(a.startswith(("--bridge", "-b", "--bip")) for a in extra_args):
        args.append("--bridge=none")
    if not any(a.startswith("--iptables") for a in extra_args):
        args.append("--iptables=false")
    args.extend(extra_args)
    with (base / "dockerd.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    daemon = Dockerd(base, process, list(extra_args))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if daemon.socket.exists() and daemon.docker("version", check=False).returncode == 0:
            return daemon
        time.sleep(0.2)
    tail = (base / "dockerd.log").read_text(errors="replace")[-3000:]
    daemon.stop()
    raise RuntimeError(f"dockerd did not come up in {timeout}s:\n{tail}")
