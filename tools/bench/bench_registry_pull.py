"""Pull a 3-layer image of incompressible data from a local registry into an OCI layout.

pymoby-registry (``python -m pymoby.registry pull REF DIR``) side by side with
``skopeo copy --src-tls-verify=false docker://REF oci:DIR``, alternating, in
the same run, both as separate processes started the same way. Measures
wall time and the peak RSS of each process (``wait4``), to check that memory
stays flat whatever the layer size (target: under 100 MB).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Comparison, alternate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from support.registry import LayoutWriter, start_registry  # noqa: E402

from pymoby.registry import Registry, RegistryOptions  # noqa: E402

#: Started by a small launcher: on Linux a child's peak RSS counts the memory of the process
#: that forked it (kept across exec), so the benchmark's own memory must not be the parent.
_LAUNCHER = """
import os, sys
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _measure(command: list[str], scratch: Path) -> tuple[float, float]:
    """Run ``command``; return (seconds, peak RSS in MB) of that process alone."""
    report = scratch / "maxrss"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-S", "-c", _LAUNCHER, str(report), *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return elapsed, int(report.read_text()) / 1024


def run(quick: bool) -> list[Comparison]:
    """Pull the image with both tools, alternating; return time and memory comparisons."""
    layer = (5 if quick else 100) * 1000 * 1000
    runs = 1 if quick else 5
    base = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    try:
        writer = LayoutWriter(base / "source")
        image = writer.image([layer, layer, layer], seed=7, compress=False)
        writer.tag(image, "v1")
        with start_registry(base / "registry") as registry:
            ref = f"{registry.host}/bench/image:v1"
            with Registry(RegistryOptions(certs_dir=None)) as client:
                client.push(base / "source", ref, name="v1")
            shutil.rmtree(base / "source")
            time_cmp = Comparison(
                name=f"pull 3 x {layer // 1_000_000} MB layers to an OCI layout",
                unit="s",
                baseline="skopeo copy",
            )
            rss_cmp = Comparison(
                name="peak RSS of the pulling process",
                unit="MB",
                baseline="skopeo copy",
                note="target: pymoby under 100 MB whatever the layer size",
            )
            counter = iter(range(1_000_000))

            def target() -> Path:
                path = base / f"out-{next(counter)}"
                shutil.rmtree(path, ignore_errors=True)
                return path

            def ours() -> float:
                out = target()
                seconds, rss = _measure(
                    [
                        sys.executable,
                        "-m",
                        "pymoby.registry",
                        "--certs-dir",
                        "/nonexistent",
                        "-q",
                        "pull",
                        ref,
                        str(out),
                    ],
                    base,
                )
                rss_cmp.ours.append(rss)
                shutil.rmtree(out)
                return seconds

            def theirs() -> float:
                out = target()
                seconds, rss = _measure(
                    ["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{out}:v1"], base
                )
                rss_cmp.theirs.append(rss)
                shutil.rmtree(out)
                return seconds

            alternate(time_cmp, ours, theirs, runs=runs, warmup=1)
            # the warm-up's memory samples are real pulls too, but keep the same count as the timings
            rss_cmp.ours, rss_cmp.theirs = rss_cmp.ours[-runs:], rss_cmp.theirs[-runs:]
            return [time_cmp, rss_cmp]
    finally:
        shutil.rmtree(base, ignore_errors=True)
