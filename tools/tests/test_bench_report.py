"""run.py's table, JSON report and README rewrite, how it records modules that fail, and quick mode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
import harness  # noqa: E402 - tools/bench is not a package
import run  # noqa: E402


def test_a_measured_row_shows_both_medians_the_ratio_and_which_way_is_better() -> None:
    c = run.Comparison("GET /_ping", "req/s", "dockerd", ours=[300.0, 200.0, 100.0], theirs=[100.0] * 3,
                       higher_is_better=True)  # fmt: skip
    row = run.table([c]).splitlines()[2]
    assert row == "| GET /_ping | dockerd | 100 req/s | 200 req/s | 2.00 (higher is better) | ±0% / ±50% |"


def test_a_failed_row_says_why_instead_of_figures() -> None:
    c = run.Comparison("docker pull", "s", "dockerd", failed="failed: RuntimeError: no | pull")
    assert not c.measured
    assert run.table([c]).splitlines()[2] == "| docker pull | dockerd | failed: RuntimeError: no \\| pull | | | |"
    data = c.as_dict()
    assert (data["ratio"], data["ours_median"], data["failed"]) == (None, None, "failed: RuntimeError: no | pull")
    json.dumps(data, allow_nan=False)  # valid JSON, no NaN


def _module(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"bench_{name}.py"
    path.write_text("from harness import Comparison\n\n" + body)
    return path


def test_a_module_that_returns_a_row_without_samples_is_failed(tmp_path: Path) -> None:
    runner = run.Runner(quick=True)
    body = "def run(quick):\n    return [Comparison('t', 's', 'ctr', ours=[1.0]), Comparison('u', 's', 'ctr')]\n"
    runner.run_module(_module(tmp_path, "w", body))
    assert (runner.modules["w"]["status"], runner.modules["w"]["reason"]) == ("failed", "no samples for t, u")


def test_a_module_that_crashes_is_recorded_as_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runner = run.Runner(quick=True)
    runner.run_module(_module(tmp_path, "y", "def run(quick):\n    raise KeyError('LogPath')\n"))
    assert runner.modules["y"]["status"] == "failed"
    assert runner.comparisons[0].failed == "failed: KeyError: 'LogPath'"
    assert "Traceback" in capsys.readouterr().err


def test_a_module_that_measures_is_ok_and_its_rows_carry_its_name(tmp_path: Path) -> None:
    runner = run.Runner(quick=True)
    body = "def run(quick):\n    return [Comparison('t', 's', 'ctr', ours=[1.0], theirs=[2.0])]\n"
    runner.run_module(_module(tmp_path, "z", body))
    assert runner.modules["z"]["status"] == "ok"
    assert runner.comparisons[0].module == "z"
    assert runner.comparisons[0].ratio == 0.5


def test_readme_rewrite_replaces_only_the_text_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n## Performance\n\nbefore\n{run.BEGIN}\nold table\n{run.END}\nafter\n")
    report = {
        "date": "2026-01-02T03:04:05+00:00", "quick": False, "complete": True, "seconds": 900.0,
        "machine": {"cores": 2, "cpu": "Test CPU", "memory_gib": 24.0, "kernel": "6.1", "debian": "12.5",
                    "python": "3.11.7", "containerd": "containerd 1.6.20"},
        "versions": {"pymobyd": "0.1.0 (API 1.45)", "dockerd": "20.10.24 (API 1.41)"},
        "comparisons": [run.Comparison("ps", "s", "dockerd", ours=[1.0], theirs=[2.0], note="20 containers").as_dict()],
    }  # fmt: skip
    run.rewrite_readme(report, readme)
    text = readme.read_text()
    assert text.startswith("# x\n\n## Performance\n\nbefore\n<!-- bench:begin -->")
    assert text.endswith("<!-- bench:end -->\nafter\n")
    assert "old table" not in text
    assert "Full run of 2026-01-02" in text
    assert "| ps | dockerd | 2.00 s | 1.00 s | 0.50 (lower is better) |" in text
    assert "- ps: 20 containers" in text
    run.rewrite_readme(report, readme)
    assert readme.read_text() == text  # idempotent


def test_the_repository_readme_has_the_markers_and_a_table() -> None:
    text = run.README.read_text()
    section = text.split(run.BEGIN, 1)[1].split(run.END, 1)[0]
    assert "| benchmark | baseline |" in section


def test_unknown_module_names_are_refused() -> None:
    with pytest.raises(SystemExit, match="no benchmark module named nosuch"):
        run.module_paths(["nosuch"])


def test_modules_that_keep_containers_running_go_last() -> None:
    names = [p.stem for p in run._ordered(run.module_paths())]
    assert names[-2:] == ["bench_memory", "bench_ps"]
    assert set(names) == {p.stem for p in BENCH.glob("bench_*.py")}


def test_quick_mode_takes_no_warm_up_samples() -> None:
    calls: list[str] = []

    def sample(side: str) -> float:
        calls.append(side)
        return 1.0

    try:
        harness.set_quick(True)
        c = harness.alternate(run.Comparison("x", "s", "y"), lambda: sample("ours"), lambda: sample("theirs"), 2)
    finally:
        harness.set_quick(False)
    assert calls == ["ours", "theirs", "theirs", "ours"]
    assert (c.ours, c.theirs) == ([1.0, 1.0], [1.0, 1.0])
    calls.clear()
    harness.alternate(run.Comparison("x", "s", "y"), lambda: sample("ours"), lambda: sample("theirs"), 1)
    assert calls == ["ours", "theirs", "ours", "theirs"]  # one warm-up round, then the sample
