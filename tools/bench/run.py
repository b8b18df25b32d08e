"""Run the side-by-side benchmarks and print the table.

Usage: python tools/bench/run.py [--quick] [--json PATH] [NAME ...]
NAME selects modules ``bench_NAME.py``; all of them by default.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Comparison  # noqa: E402 - tools/bench is not a package


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(comparisons: list[Comparison]) -> str:
    """The comparisons as a Markdown table."""
    lines = [
        "| benchmark | baseline | baseline median | pymoby median | ratio | spread (theirs / ours) |",
        "|---|---|---|---|---|---|",
    ]
    for c in comparisons:
        better = "higher is better" if c.higher_is_better else "lower is better"
        lines.append(
            f"| {c.name} | {c.baseline} | {c.theirs_median:.4g} {c.unit} | {c.ours_median:.4g} {c.unit} "
            f"| {c.ratio:.2f} ({better}) | ±{c.spread(c.theirs):.0%} / ±{c.spread(c.ours):.0%} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs (a smoke test)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    paths = sorted(HERE.glob("bench_*.py"))
    if args.names:
        paths = [p for p in paths if p.stem.removeprefix("bench_") in args.names]
    comparisons: list[Comparison] = []
    for path in paths:
        print(f"# {path.stem}", file=sys.stderr, flush=True)
        comparisons.extend(_load(path).run(args.quick))
    print(table(comparisons))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([c.as_dict() for c in comparisons], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
