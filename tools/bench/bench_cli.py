"""The pymoby command line against the docker CLI (28.2), both talking to the same pymobyd.

The daemon is the same for both, so what is compared is the client: start-up
(``version``), a listing (``ps -a`` and ``images`` with a few objects), a
``--format`` template over many containers, and a whole ``run --rm`` (create,
attach, wait, start, stream, exit). Wall time per command, median of the
runs, alternating the two CLIs. pymoby's modules are compiled to bytecode
first, as an installed pymoby's are.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from harness import Comparison, alternate, timed  # noqa: E402
from support.images import busybox_image_archive  # noqa: E402
from support.pymobyd import start_pymobyd  # noqa: E402


def run(quick: bool) -> list[Comparison]:
    """Measure each command with both CLIs; ``quick`` takes one sample per row."""
    work = Path(tempfile.mkdtemp(prefix="bcli-", dir="/tmp"))
    try:
        return _measure(work, 1 if quick else 20)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sources() -> list[str]:
    """The source trees of the packages the command line runs on (pymoby's namespace portions)."""
    import pymoby

    return [str(Path(p)) for p in pymoby.__path__]


def _measure(work: Path, runs: int) -> list[Comparison]:
    archive = work / "busybox.tar"
    busybox_image_archive(archive, work / "build")
    with start_pymobyd(work / "d") as daemon:
        env = daemon.env()
        env["PYMOBY_HOST"] = daemon.host
        # An installed pymoby has its bytecode compiled (pip does it): let the interpreter write and use it,
        # and compile it once here, so start-up is measured without compiling the sources on every run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", *_sources()], env=env, check=True, capture_output=True
        )
        subprocess.run(["docker", "load", "-i", str(archive)], env=env, check=True, capture_output=True)
        for i in range(20):
            subprocess.run(["docker", "create", "--network", "none", "--name", f"c{i}", "-l", f"n={i}", "busybox"],
                           env=env, check=True, capture_output=True)  # fmt: skip
        pymoby = [sys.executable, "-m", "pymoby.cli"]

        def command(argv: list[str]) -> float:
            return timed(lambda: subprocess.run(argv, env=env, check=True, capture_output=True))

        scenarios = [
            ("version (start-up)", ["version", "--format", "{{.Server.Version}}"]),
            ("ps -a (20 containers)", ["ps", "-a"]),
            ("ps --format template", ["ps", "-a", "--format", '{{.Names}} {{.Label "n"}} {{json .Labels}}']),
            ("images", ["images"]),
            ("run --rm busybox true", ["run", "--rm", "--network", "none", "busybox", "true"]),
        ]
        results = []
        for name, args in scenarios:
            comparison = Comparison(f"cli {name}", "s", "docker CLI 28.2")

            def ours(a: list[str] = args) -> float:
                return command([*pymoby, *a])

            def theirs(a: list[str] = args) -> float:
                return command(["docker", *a])

            results.append(alternate(comparison, ours, theirs, runs))
    return results
