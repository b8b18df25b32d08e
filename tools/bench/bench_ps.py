"""Listing containers: ``docker ps`` with 100 running containers, pymobyd against dockerd.

Both daemons run the same fleet of 100 busybox containers (5 in quick
mode; shared with bench_memory). Measured, alternating the two:

- ``docker ps`` (the docker 28 CLI): wall time of the whole command;
- ``GET /v1.41/containers/json`` over the unix socket, the daemon's share
  alone (one new connection per request, as the CLI makes; v1.41 is the
  newest API dockerd 20.10 speaks, so both answer the same version).
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from pathlib import Path

from harness import Comparison, alternate
from sidebyside import Daemon, Session, using

#: Leaves containers running: run.py runs it after the modules that do not.
RUN_LAST = True


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(str(self.path))


def list_containers(socket_path: Path, expected: int) -> float:
    """Time one ``GET /containers/json``; raises RuntimeError unless it lists at least ``expected`` containers."""
    connection = _UnixConnection(socket_path)
    try:
        start = time.perf_counter()
        connection.request("GET", "/v1.41/containers/json")
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET /containers/json on {socket_path}: {response.status} {body[:200]!r}")
    if len(json.loads(body)) < expected:
        raise RuntimeError(f"{socket_path} listed {len(json.loads(body))} containers, expected {expected}")
    return elapsed


def docker_ps(daemon: Daemon, expected: int) -> float:
    """Time one ``docker ps``; raises RuntimeError unless it printed at least ``expected`` containers."""
    start = time.perf_counter()
    out = subprocess.run(["docker", "ps"], env=daemon.env(), check=True, capture_output=True).stdout
    elapsed = time.perf_counter() - start
    if len(out.splitlines()) - 1 < expected:
        raise RuntimeError(f"docker ps printed {len(out.splitlines()) - 1} containers, expected {expected}")
    return elapsed


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Both listings, alternating, with the shared fleet running."""
    count = 5 if quick else 100
    runs = 2 if quick else 20
    cli = Comparison(f"docker ps with {count} running containers (CLI)", "s", "dockerd")
    api = Comparison(f"GET /containers/json with {count} running containers (API call)", "s", "dockerd")
    with using(session, quick) as s:
        s.fleet(count)
        expected = s.fleet_size()
        alternate(cli, lambda: docker_ps(s.pymobyd, expected), lambda: docker_ps(s.dockerd, expected), runs)
        alternate(
            api,
            lambda: list_containers(s.pymobyd.socket, expected),
            lambda: list_containers(s.dockerd.socket, expected),
            runs,
        )
    return [cli, api]
