"""``docker build`` (the docker 28 CLI, classic builder) against pymobyd and dockerd 20.10, in one run.

1. A cold build (``--no-cache``) of a small application: FROM busybox,
   ARG, ENV, WORKDIR, COPY of a source tree (200 files of 4 KB), a RUN
   writing a file, LABEL, EXPOSE, USER, CMD: ten steps.
2. The same build again: every step from the cache.
3. A context-heavy build (``--no-cache``): COPY of 1,000 files, 64 MB in
   all (quick mode: a tenth), nothing else.

RUN steps use ``--network none`` on both (the bridge's cost is measured by
the network benchmarks). The CLI's time is in both figures (it tars and sends the context).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Comparison, alternate, timed

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from sidebyside import Daemon, Session, using  # noqa: E402

APP = """\
FROM busybox
ARG VERSION=1.0
ENV APP_HOME=/srv/app VERSION=$VERSION
WORKDIR $APP_HOME
COPY src/ ./src/
RUN find src -type f | wc -l > files.count && echo "built $VERSION" > build.txt
LABEL org.example.version=$VERSION
EXPOSE 8080
USER nobody
CMD ["cat", "build.txt"]
"""


def _app_context(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Dockerfile").write_text(APP)
    for i in range(200):
        sub = root / "src" / f"pkg{i // 20:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"mod{i:03d}.py").write_bytes(os.urandom(4096))
    return root


def _heavy_context(root: Path, scale: int) -> Path:
    root.mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM busybox\nCOPY data/ /data/\n")
    for i in range(1000 // scale):
        sub = root / "data" / f"d{i // 50:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:04d}.bin").write_bytes(os.urandom(64 << 10))
    return root


def _build(daemon: Daemon, context: Path, *args: str) -> float:
    command = ["docker", "build", "-q", "--network", "none", *args, str(context)]
    return timed(lambda: subprocess.run(command, env=daemon.env(), check=True, capture_output=True))


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Measure pymobyd and dockerd alternately; see the module docstring."""
    runs, scale = (1, 10) if quick else (10, 1)
    comparisons: list[Comparison] = []
    work = Path(tempfile.mkdtemp(prefix="pmbuild-"))
    try:
        app = _app_context(work / "app")
        heavy = _heavy_context(work / "heavy", scale)
        with using(session, quick) as s:
            ours, theirs = s.pymobyd, s.dockerd
            comparisons.append(
                alternate(
                    Comparison("docker build --no-cache, 10 steps (COPY 200 files, RUN)", "s", "dockerd"),
                    lambda: _build(ours, app, "--no-cache", "-t", "bench-app"),
                    lambda: _build(theirs, app, "--no-cache", "-t", "bench-app"),
                    runs,
                )
            )
            comparisons.append(
                alternate(
                    Comparison("docker build, the same 10 steps all from the cache", "s", "dockerd"),
                    lambda: _build(ours, app, "-t", "bench-app"),
                    lambda: _build(theirs, app, "-t", "bench-app"),
                    runs,
                )
            )
            megabytes = 64 // scale
            comparisons.append(
                alternate(
                    Comparison(
                        f"docker build --no-cache, COPY of {1000 // scale} files ({megabytes} MB)",
                        "s",
                        "dockerd",
                    ),
                    lambda: _build(ours, heavy, "--no-cache", "-t", "bench-heavy"),
                    lambda: _build(theirs, heavy, "--no-cache", "-t", "bench-heavy"),
                    runs,
                )
            )
            for daemon in (ours, theirs):
                daemon.docker("rmi", "-f", "bench-app", "bench-heavy", check=False)
                daemon.docker("image", "prune", "-f", check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return comparisons


if __name__ == "__main__":
    for comparison in run(quick="--quick" in sys.argv):
        print(comparison.name, comparison.ours_median, comparison.theirs_median, comparison.ratio)
