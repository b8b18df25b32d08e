"""Type-check every package with mypy: strict for library packages.

Library packages (everything a user may install alone to build on) are
checked with ``--strict``; the daemon, the CLI and the meta-package with the
default settings. Generated protocol modules are excluded.
Usage: python tools/typecheck.py [PACKAGE ...]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_STRICT = {"daemon", "cli", "pymoby"}
MODULE = {"pymoby": "cmd"}


def main(argv: list[str]) -> int:
    names = argv or sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists())
    failed = []
    for name in names:
        module = "pymoby." + MODULE.get(name, name)
        command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "-p", module]
        command += ["--cache-dir", str(ROOT / ".mypy_cache" / name)]
        if name not in NOT_STRICT:
            command.append("--strict")
        print("mypy", module, "(strict)" if name not in NOT_STRICT else "", flush=True)
        if subprocess.run(command, cwd=ROOT / "packages" / name / "src").returncode != 0:
            failed.append(name)
    if failed:
        print("type errors in:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
