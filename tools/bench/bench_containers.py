"""Containers end to end: pymobyd against dockerd, on the same containerd and runc binaries, in one run.

Measured, alternating the two daemons:

- ``docker run --rm --network none busybox true``: wall time of the CLI
  (median of 30 runs; 1 in quick mode);
- 50 containers created and started concurrently (5 in quick mode):
  wall time until every ``docker run -d`` has returned;
- log throughput: a container writes 256 MB (8 MB in quick mode) of
  128-byte lines to stdout with the json-file driver; the time from
  ``docker run -d`` until ``docker wait`` has returned and every line is in
  the log file, as MB/s of container output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from harness import Comparison, alternate, timed  # noqa: E402
from sidebyside import Session, using  # noqa: E402

LINE = 128
Docker = Callable[..., subprocess.CompletedProcess[bytes]]


def _runner(env: dict[str, str]) -> Docker:
    def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["docker", *args], env=env, check=check, capture_output=True)

    return docker


def _run_once(docker: Docker) -> float:
    return timed(lambda: docker("run", "--rm", "--network", "none", "busybox", "true"))


def _concurrent(env: dict[str, str], docker: Docker, count: int) -> float:
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            ["docker", "run", "-d", "--network", "none", "busybox", "sleep", "600"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]
    ids = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"docker run failed: {err.decode()}")
        ids.append(out.decode().strip())
    elapsed = time.perf_counter() - start
    docker("rm", "-f", *ids)
    return elapsed


def _log_throughput(docker: Docker, megabytes: int) -> float:
    total = megabytes * 1_000_000
    lines = total // LINE
    script = f"yes \"$(printf '%0{LINE - 1}d' 0)\" | head -n {lines}"
    start = time.perf_counter()
    container = docker("run", "-d", "--network", "none", "busybox", "sh", "-c", script).stdout.decode().strip()
    docker("wait", container)
    path = Path(json.loads(docker("inspect", container).stdout)[0]["LogPath"])
    while True:
        with path.open("rb") as log:
            count = sum(chunk.count(b"\n") for chunk in iter(lambda: log.read(1 << 20), b""))
        if count >= lines:
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    docker("rm", "-f", container)
    return total / 1e6 / elapsed


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Measure pymobyd and dockerd alternately; see the module docstring."""
    runs, concurrent, megabytes, log_runs = (1, 5, 8, 1) if quick else (30, 50, 256, 3)
    comparisons: list[Comparison] = []
    with using(session, quick) as s:
        pymobyd, dockerd = s.pymobyd, s.dockerd
        ours, theirs = _runner(pymobyd.env()), _runner(dockerd.env())
        comparisons.append(
            alternate(
                Comparison("docker run --rm --network none busybox true", "s", "dockerd"),
                lambda: _run_once(ours),
                lambda: _run_once(theirs),
                runs,
            )
        )
        comparisons.append(
            alternate(
                Comparison(f"{concurrent} containers created and started concurrently", "s", "dockerd"),
                lambda: _concurrent(pymobyd.env(), ours, concurrent),
                lambda: _concurrent(dockerd.env(), theirs, concurrent),
                1 if quick else 5,
            )
        )
        comparisons.append(
            alternate(
                Comparison(
                    f"log throughput, {megabytes} MB to stdout until waited and on disk (json-file)",
                    "MB/s",
                    "dockerd",
                    higher_is_better=True,
                ),
                lambda: _log_throughput(ours, megabytes),
                lambda: _log_throughput(theirs, megabytes),
                log_runs,
                warmup=0,
            )
        )
    return comparisons
