"""The quick benchmark run, as CI's smoke test: it completes and every module measures.

Figures are not asserted (the machine is shared): only that the table and
the JSON came out, with rows for every ``bench_*.py`` module, each with
samples on both sides, and that no module failed.

It runs beside the other tests under pytest-xdist without meeting them:
the side-by-side session holds a slot of its own (``/run/pymoby-bench``
locks: bridges ``pmbdN``/``pmbpN``/``pmbnN``, pools 10.(220/240/248+N)/16),
the daemons and containerds live in fresh directories under /tmp, ports are
free ones, cgroup parents carry the run's pid, and the JSON goes to this
test's own directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.root
@pytest.mark.timeout(900)
def test_quick_mode_produces_the_table_and_json_with_every_benchmark(tmp_path: Path) -> None:
    # Under 3 minutes on an idle 2-core machine; beside the rest of the suite it gets up to 4 times that.
    report_path = tmp_path / "quick.json"
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--json", str(report_path)],
        capture_output=True, text=True, timeout=840, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-6000:]
    report = json.loads(report_path.read_text())
    modules = {p.stem.removeprefix("bench_") for p in BENCH.glob("bench_*.py")}
    assert {name: m["status"] for name, m in report["modules"].items()} == dict.fromkeys(modules, "ok")
    assert report["quick"] is True
    assert report["complete"] is True
    rows = result.stdout.splitlines()
    assert rows[0].startswith("| benchmark | baseline | baseline median | pymoby median | ratio")
    assert {c["module"] for c in report["comparisons"]} == modules
    for comparison in report["comparisons"]:
        name = comparison["name"].replace("|", "\\|")
        assert any(row.startswith(f"| {name} |") for row in rows), name
        assert comparison["ours"], name
        assert comparison["theirs"], name
        assert comparison["ratio"] is not None, name
