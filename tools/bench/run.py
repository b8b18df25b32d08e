"""Run the side-by-side benchmarks and print the table.

Usage:
  python tools/bench/run.py [--quick] [--json PATH] [NAME ...]
  python tools/bench/run.py --readme [--json PATH]

NAME selects modules ``bench_NAME.py``; all of them by default. The modules
that compare the two daemons share one side-by-side session (dockerd and
pymobyd started once, see sidebyside.py). Every module gets rows: its
figures, or "failed: ERROR" (then the exit code is 1). The table goes to standard
output and, with the samples, to the JSON file (results/latest.json).
``--readme`` runs nothing: it rewrites the README's performance table, between
its ``bench:begin``/``bench:end`` markers, from the JSON file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import inspect
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
sys.path.insert(0, str(HERE))

from harness import Comparison, set_quick  # noqa: E402 - tools/bench is not a package


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


def module_paths(names: list[str] | None = None) -> list[Path]:
    """The ``bench_*.py`` files to run, in order (by name; names in ``names`` only when given).

    Raises SystemExit for a name that has no module.
    """
    paths = sorted(HERE.glob("bench_*.py"))
    if names:
        known = {p.stem.removeprefix("bench_"): p for p in paths}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SystemExit(f"no benchmark module named {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        paths = [known[n] for n in sorted(set(names))]
    return paths


def _fmt(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _cell(text: str) -> str:
    """``text`` made safe for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def table(comparisons: list[Comparison]) -> str:
    """The comparisons as a Markdown table (failed rows say why)."""
    lines = [
        "| benchmark | baseline | baseline median | pymoby median | ratio (pymoby / baseline) "
        "| spread (baseline / pymoby) |",
        "|---|---|---|---|---|---|",
    ]
    for c in comparisons:
        name, baseline = _cell(c.name), _cell(c.baseline)
        if not c.measured:
            lines.append(f"| {name} | {baseline} | {_cell(c.failed or 'no samples')} | | | |")
            continue
        better = "higher is better" if c.higher_is_better else "lower is better"
        lines.append(
            f"| {name} | {baseline} | {_fmt(c.theirs_median)} {c.unit} | {_fmt(c.ours_median)} {c.unit} "
            f"| {c.ratio:.2f} ({better}) | ±{c.spread(c.theirs):.0%} / ±{c.spread(c.ours):.0%} |"
        )
    return "\n".join(lines)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _command_version(*argv: str) -> str:
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "not installed"
    return _first_line(result.stdout or result.stderr)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_gib = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    debian = ""
    with contextlib.suppress(OSError):
        debian = Path("/etc/debian_version").read_text().strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "kernel": platform.release(),
        "debian": debian,
        "python": platform.python_version(),
        "containerd": _command_version("containerd", "--version"),
        "runc": _command_version("runc", "--version"),
        "docker_cli": _command_version("docker", "--version"),
    }


class Runner:
    """Runs the modules, one shared side-by-side session for those that take it."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.stack = contextlib.ExitStack()
        self.session: Any = None
        self.session_error: BaseException | None = None
        self.comparisons: list[Comparison] = []
        self.modules: dict[str, dict[str, Any]] = {}

    def _session(self) -> Any:
        if self.session is None and self.session_error is None:
            import sidebyside

            print("# starting dockerd and pymobyd side by side", file=sys.stderr, flush=True)
            try:
                self.session = self.stack.enter_context(sidebyside.open_session(self.quick))
            except Exception as exc:
                self.session_error = exc
                raise
            print(f"#   {self.session.versions}", file=sys.stderr, flush=True)
        if self.session_error is not None:
            raise RuntimeError(f"the side-by-side session did not start: {self.session_error}")
        return self.session

    def run_module(self, path: Path) -> None:
        """Run one module and record its rows and its status."""
        name = path.stem.removeprefix("bench_")
        print(f"# {path.stem}", file=sys.stderr, flush=True)
        start = time.monotonic()
        status, reason, rows = "ok", "", []
        try:
            module = _load(path)
            if "session" in inspect.signature(module.run).parameters:
                rows = module.run(self.quick, session=self._session())
            else:
                rows = module.run(self.quick)
        except Exception as exc:
            traceback.print_exc()
            status, reason = "failed", f"{type(exc).__name__}: {_first_line(str(exc)) or repr(exc)}"
            if isinstance(exc, subprocess.CalledProcessError) and exc.stderr:
                err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
                reason += f" ({_first_line(err)})"
                print(err, file=sys.stderr)
            rows = [Comparison(path.stem, "", "", failed=f"failed: {reason}")]
        for row in rows:
            row.module = name
        unmeasured = [r.name for r in rows if not r.measured]
        if status == "ok" and (unmeasured or not rows):
            status, reason = "failed", f"no samples for {', '.join(unmeasured) or 'any row'}"
        self.comparisons.extend(rows)
        elapsed = time.monotonic() - start
        self.modules[name] = {"status": status, "reason": reason, "seconds": round(elapsed, 1)}
        print(f"#   {status} in {elapsed:.0f}s{': ' + reason if reason else ''}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Stop the session, if one was started."""
        self.stack.close()


def _ordered(paths: list[Path]) -> list[Path]:
    """Modules that mark themselves ``RUN_LAST`` (they leave containers running) after the rest."""

    def last(path: Path) -> bool:
        return re.search(r"^RUN_LAST = True", path.read_text(), re.MULTILINE) is not None

    return [p for p in paths if not last(p)] + [p for p in paths if last(p)]


def run_all(paths: list[Path], quick: bool) -> dict[str, Any]:
    """Run the modules; the report that is written as JSON."""
    runner = Runner(quick)
    started = time.monotonic()
    date = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
    try:
        for path in _ordered(paths):
            runner.run_module(path)
        versions = dict(runner.session.versions) if runner.session is not None else {}
    finally:
        runner.close()
    return {
        "format": 2,
        "date": date,
        "quick": quick,
        "complete": [p.stem for p in paths] == [p.stem for p in module_paths()],
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "versions": versions,
        "modules": runner.modules,
        "comparisons": [c.as_dict() for c in runner.comparisons],
    }


def load_report(path: Path) -> dict[str, Any]:
    """A JSON report as :func:`run_all` writes it (an older bare list of comparisons is accepted)."""
    data = json.loads(path.read_text())
    if isinstance(data, list):
        data = {"comparisons": data, "modules": {}, "quick": None, "complete": False}
    return data  # type: ignore[no-any-return]


def readme_section(report: dict[str, Any]) -> str:
    """The README's generated performance block (between the markers) for ``report``."""
    comparisons = [Comparison.from_dict(c) for c in report["comparisons"]]
    info = report.get("machine", {})
    versions = report.get("versions", {})
    kind = "quick" if report.get("quick") else "full"
    lines = [
        BEGIN,
        "<!-- generated from a run's JSON report by `python tools/bench/run.py --readme`: do not edit -->",
        "",
        f"{kind.capitalize()} run of {report.get('date', '?')[:10]}"
        f"{'' if report.get('complete') else ' (only some modules)'}, {report.get('seconds', '?')} s, on "
        f"{info.get('cores', '?')} cores ({info.get('cpu', '?')}), {info.get('memory_gib', '?')} GiB, "
        f"kernel {info.get('kernel', '?')}, Debian {info.get('debian', '?')}, Python {info.get('python', '?')}; "
        f"pymobyd {versions.get('pymobyd', '?')} against dockerd {versions.get('dockerd', '?')}, "
        f"{info.get('containerd', 'containerd ?')}.",
        "",
        table(comparisons),
        "",
    ]
    notes = [f"- {c.name}: {c.note}" for c in comparisons if c.note and c.measured]
    if notes:
        lines += ["Notes:", "", *notes, ""]
    lines.append(END)
    return "\n".join(lines)


def rewrite_readme(report: dict[str, Any], readme: Path = README) -> None:
    """Replace the text between the markers in ``readme``; raises SystemExit if they are missing."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + readme_section(report) + tail)


def main(argv: list[str]) -> int:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs (under 3 minutes; a smoke test)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's table from --json; run nothing")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    if args.readme:
        report = load_report(args.json)
        if report.get("quick") or not report.get("complete"):
            print(f"warning: {args.json} is from a quick or partial run", file=sys.stderr)
        rewrite_readme(report)
        print(f"rewrote the performance table in {README}", file=sys.stderr)
        return 0
    set_quick(args.quick)
    report = run_all(module_paths(args.names), args.quick)
    print(table([Comparison.from_dict(c) for c in report["comparisons"]]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_name(args.json.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2))
    tmp.replace(args.json)
    failed = [name for name, m in report["modules"].items() if m["status"] == "failed"]
    print(f"# {report['seconds']} s; JSON in {args.json}", file=sys.stderr)
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
