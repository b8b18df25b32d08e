"""API server throughput: pymobyd against dockerd, over keep-alive TCP connections with wrk.

Both daemons run side by side, each with its own containerd, listening on a
loopback TCP port as well as their unix sockets (wrk speaks TCP only).
Measured, alternating the two in the same run: requests per second and p99
latency of ``GET /_ping`` and ``GET /version``, then each daemon's idle
resident memory together with its containerd's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from harness import Comparison, alternate  # noqa: E402
from sidebyside import Session, process_tree_rss_mb, using  # noqa: E402

CONNECTIONS = 16
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, seconds: int) -> tuple[float, float]:
    """Run wrk on ``url``: (requests per second, p99 latency in ms). Raises if any request failed."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url], capture_output=True, text=True
    )
    out = result.stdout
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {result.stderr}{out}")
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
    return rate, float(value) * _UNITS[unit]


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Measure pymobyd and dockerd alternately; see the module docstring."""
    if shutil.which("wrk") is None:
        raise FileNotFoundError("wrk is not installed: run tools/install-system-deps bench")
    seconds, runs = (1, 1) if quick else (5, 5)
    comparisons: list[Comparison] = []
    with using(session, quick) as s:
        pymobyd, dockerd = s.pymobyd, s.dockerd
        theirs_url = s.dockerd_tcp_url
        for path in ("/_ping", "/version"):
            rate = Comparison(f"GET {path} keep-alive (wrk -c{CONNECTIONS})", "req/s", "dockerd", higher_is_better=True)
            p99 = Comparison(f"GET {path} p99 latency", "ms", "dockerd")

            def ours(path: str = path, rate: Comparison = rate, p99: Comparison = p99) -> float:
                r, lat = wrk(pymobyd.tcp_url + path, seconds)
                p99.ours.append(lat)
                return r

            def theirs(path: str = path, rate: Comparison = rate, p99: Comparison = p99) -> float:
                r, lat = wrk(theirs_url + path, seconds)
                p99.theirs.append(lat)
                return r

            alternate(rate, ours, theirs, runs, warmup=1)
            # the warm-up's latencies (if any) are not part of the measurement
            p99.ours, p99.theirs = p99.ours[-runs:], p99.theirs[-runs:]
            comparisons += [rate, p99]
        time.sleep(0.5 if quick else 2)  # idle
        memory = Comparison("idle RSS, daemon + its containerd", "MB", "dockerd", note="after the load above")
        alternate(
            memory,
            lambda: process_tree_rss_mb(pymobyd.process.pid),
            lambda: process_tree_rss_mb(dockerd.process.pid),
            2 if quick else 3,
            warmup=0,
        )
        comparisons.append(memory)
    return comparisons
