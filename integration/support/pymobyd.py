"""A real pymobyd on its own data root, exec root, socket and containerd.

Plain code for the integration tests and the benchmarks: :func:`start_pymobyd`
starts ``python -m pymoby.cmd`` with everything under one short base
directory, waits until ``/_ping`` answers, and returns a :class:`Pymobyd`
that stops it with SIGTERM (SIGKILL to its process group if it hangs),
unmounts what it left and removes the directory. A daemon that fails to come
up is stopped and reported with the end of its log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Pymobyd", "free_port", "ping", "start_pymobyd"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ping(socket_path: Path, timeout: float = 2.0) -> bool:
    """Whether ``GET /_ping`` on the unix socket answers ``200 OK``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(socket_path))
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: pymobyd\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return data.startswith(b"HTTP/1.1 200") and data.endswith(b"OK")
    except OSError:
        return False


def _shim_pids(address: str) -> list[int]:
    """Pids of the runc v2 shims serving the containerd at ``address`` (and their containers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"containerd-shim-runc-v2") and address.encode() in argv:
            found.append(int(entry.name))
    return found


def _children(parents: list[int]) -> list[int]:
    """Pids whose parent is one of ``parents``."""
    wanted, found = set(parents), []
    if not wanted:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid in wanted:
            found.append(int(entry.name))
    return found


@dataclass
class Pymobyd:
    """A running pymobyd. Use as a context manager, or call :meth:`stop`."""

    base: Path
    process: subprocess.Popen[bytes]
    tcp_port: int | None = None
    extra_args: list[str] = field(default_factory=list)
    returncode: int | None = None

    @property
    def socket(self) -> Path:
        return self.base / "d.sock"

    @property
    def host(self) -> str:
        """The value for ``DOCKER_HOST`` / ``-H``."""
        return f"unix://{self.socket}"

    @property
    def tcp_url(self) -> str:
        """``http://127.0.0.1:PORT`` when started with a TCP listener."""
        if self.tcp_port is None:
            raise RuntimeError("this pymobyd has no TCP listener (start it with tcp=True)")
        return f"http://127.0.0.1:{self.tcp_port}"

    @property
    def data_root(self) -> Path:
        return self.base / "root"

    @property
    def exec_root(self) -> Path:
        return self.base / "exec"

    @property
    def log_path(self) -> Path:
        return self.base / "pymobyd.log"

    @property
    def config_path(self) -> Path:
        return self.base / "daemon.json"

    def log(self) -> str:
        """The daemon's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def containerd_pid(self) -> int | None:
        """The pid of the containerd the daemon supervises (``None`` when not running)."""
        try:
            return int((self.exec_root / "containerd" / "containerd.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def env(self) -> dict[str, str]:
        """An environment for the ``docker`` CLI (and docker-py's ``from_env``) against this daemon."""
        env = dict(os.environ)
        env["DOCKER_HOST"] = self.host
        env.pop("DOCKER_CONTEXT", None)
        env.pop("DOCKER_TLS_VERIFY", None)
        env["DOCKER_CONFIG"] = str(self.base / "client-config")
        return env

    def docker(self, *args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        """Run the ``docker`` CLI against this daemon."""
        return subprocess.run(["docker", *args], env=self.env(), check=check, capture_output=True, **kwargs)  # type: ignore[no-any-return]

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the daemon (SIGHUP reloads its configuration)."""
        self.process.send_signal(signum)

    def write_config(self, config: dict[str, Any]) -> None:
        """Rewrite its daemon.json (then :meth:`signal` SIGHUP to reload it)."""
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config))
        tmp.replace(self.config_path)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, wait (SIGKILL its process group after ``timeout``), clean up; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.returncode = self.process.returncode
        pid = self.containerd_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)  # left running by live-restore, or by a daemon that failed
            except ProcessLookupError:
                pass
        # Shims and their containers (the shims' children) outlive containerd: they go too.
        shims = _shim_pids(str(self.exec_root / "containerd" / "containerd.sock"))
        for pid in [*_children(shims), *shims]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for mounted in (self.data_root, self.exec_root):
            subprocess.run(["umount", "-R", "-l", str(mounted)], capture_output=True, check=False)
        return self.returncode

    def remove(self) -> None:
        """Delete the base directory (after :meth:`stop`)."""
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Pymobyd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.remove()


def start_pymobyd(
    base: Path,
    *extra_args: str,
    tcp: bool = False,
    config: dict[str, Any] | None = None,
    timeout: float = 60,
    python: str = sys.executable,
) -> Pymobyd:
    """Start pymobyd with everything under ``base`` (keep it short: socket paths are limited).

    ``tcp=True`` adds a loopback TCP listener on a free port; ``config`` is
    written as its daemon.json. Raises RuntimeError with the end of its log
    if it does not answer ``/_ping`` within ``timeout`` seconds.
    """
    base.mkdir(parents=True, exist_ok=True)
    (base / "daemon.json").write_text(json.dumps(config or {}))
    port = free_port() if tcp else None
    args = [
        python, "-m", "pymoby.cmd",
        "--data-root", str(base / "root"),
        "--exec-root", str(base / "exec"),
        "--pidfile", str(base / "d.pid"),
        "--config-file", str(base / "daemon.json"),
        "-H", f"unix://{base / 'd.sock'}",
    ]  # fmt: skip
    if port is not None:
        args += ["-H", f"tcp://127.0.0.1:{port}"]
    args.extend(extra_args)
    with (base / "pymobyd.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    daemon = Pymobyd(base, process, port, list(extra_args))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if daemon.socket.exists() and ping(daemon.socket):
            return daemon
        time.sleep(0.1)
    tail = daemon.log()[-4000:]
    daemon.stop()
    daemon.remove()
    raise RuntimeError(f"pymobyd did not come up in {timeout}s (exit code {process.returncode}):\n{tail}")
