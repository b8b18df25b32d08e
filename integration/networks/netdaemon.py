"""Start and stop ``netd.py`` (the network-only API daemon) for the CLI, docker-py and crash tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymoby.daemon.network import NetworkConfig

__all__ = ["Netd", "start_netd"]

NETD = Path(__file__).with_name("netd.py")


@dataclass
class Netd:
    """A running netd."""

    base: Path
    bridge: str
    pool: str
    process: subprocess.Popen[bytes]

    @property
    def socket(self) -> Path:
        return self.base / "netd.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def config(self) -> NetworkConfig:
        """The network settings it runs with (for purging and checking the kernel)."""
        return NetworkConfig(
            data_root=self.base / "root", exec_root=self.base / "exec", bridge=self.bridge,
            default_address_pools=((self.pool, 24),),
        )  # fmt: skip

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DOCKER_HOST"] = self.host
        env.pop("DOCKER_CONTEXT", None)
        env["DOCKER_CONFIG"] = str(self.base / "client-config")
        return env

    def docker(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """The docker CLI against this daemon."""
        return subprocess.run(
            ["docker", *args], env=self.env(), capture_output=True, text=True, check=check, timeout=60
        )

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """One HTTP request on the socket: (status, decoded JSON body or None)."""
        data = b"" if body is None else json.dumps(body).encode()
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: netd\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode() + data
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(str(self.socket))
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, payload = answer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, json.loads(payload) if payload.strip() else None

    def container(self, name: str, network: str = "default", **fields: Any) -> dict[str, Any]:
        """Create and start a stand-in container; its ``Id``, ``NetnsPath``, ``NetworkSettings``."""
        status, body = self.call("POST", "/_test/containers", {"Name": name, "NetworkMode": network, **fields})
        if status != 201:
            raise RuntimeError(f"container {name}: {status} {body}")
        return dict(body)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        self.process.kill()
        self.process.wait()

    def log(self) -> str:
        return (self.base / "netd.log").read_text(errors="replace")


def start_netd(base: Path, bridge: str, pool: str, timeout: float = 30) -> Netd:
    """Start netd on ``base`` and wait for its socket; RuntimeError with its log if it does not come up."""
    base.mkdir(parents=True, exist_ok=True)
    if (base / "netd.log").exists():
        (base / "netd.log").replace(base / "netd.log.1")  # a previous run's, kept for post-mortems
    log = (base / "netd.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(NETD), str(base), bridge, pool], stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    log.close()
    netd = Netd(base, bridge, pool, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if "ready" in netd.log():
            return netd
        time.sleep(0.05)
    if process.poll() is None:
        netd.kill()
    raise RuntimeError(f"netd did not come up:\n{netd.log()[-3000:]}")
