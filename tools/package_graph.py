"""The package dependency graph of DESIGN.md, and a checker for it.

Dependencies between pymoby packages point one way only. This module holds
the allowed graph and finds, by reading the source with ``ast``, every import
of a sibling package that the graph forbids or that the importing package's
``pyproject.toml`` does not declare (pinned ``==`` to the shared version).

Run it directly (``python tools/package_graph.py``) or through the test in
``tools/tests/``.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"

#: package -> the sibling packages it may import (errdefs is open to all).
ALLOWED: dict[str, frozenset[str]] = {
    "errdefs": frozenset(),
    "reference": frozenset({"errdefs"}),
    "registry": frozenset({"errdefs", "reference"}),
    "layer": frozenset({"errdefs"}),
    "image": frozenset({"errdefs", "reference", "layer"}),
    "restartmanager": frozenset({"errdefs"}),
    "libcontainerd": frozenset({"errdefs"}),
    "api": frozenset({"errdefs"}),
    "client": frozenset({"errdefs", "api"}),
    "daemon": frozenset(
        {"errdefs", "reference", "registry", "layer", "image", "restartmanager", "libcontainerd", "api"}
    ),
    "cli": frozenset({"errdefs", "client", "api", "reference"}),
}
#: The meta-package is the composition root: it may import every package.
ALLOWED["pymoby"] = frozenset(ALLOWED)

#: Module name inside the ``pymoby`` namespace for each package directory.
MODULE = {name: name for name in ALLOWED} | {"pymoby": "cmd"}
PACKAGE_OF_MODULE = {module: name for name, module in MODULE.items()}


@dataclass(frozen=True, slots=True)
class Violation:
    """One import or declaration that breaks the graph."""

    package: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.package}: {self.where}: {self.message}"


def _imported_siblings(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "pymoby":
                names = [f"pymoby.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] == "pymoby":
                yield node.lineno, parts[1]


def _declared_siblings(package_dir: Path) -> tuple[str, dict[str, str]]:
    project = tomllib.loads((package_dir / "pyproject.toml").read_text())["project"]
    declared: dict[str, str] = {}
    for requirement in project.get("dependencies", []):
        req = requirement.replace(" ", "")
        if req.startswith("pymoby-") or req.startswith("pymoby=="):
            name, _, version = req.partition("==")
            declared[name.removeprefix("pymoby-") if name != "pymoby" else "pymoby"] = version
    return project["version"], declared


def packages() -> list[str]:
    """The package directory names present under ``packages/``."""
    return sorted(p.name for p in PACKAGES.iterdir() if (p / "pyproject.toml").exists())


def check(root: Path = PACKAGES) -> list[Violation]:
    """Return every violation of the graph found under ``root``."""
    violations: list[Violation] = []
    versions: set[str] = set()
    for name in sorted(p.name for p in root.iterdir() if (p / "pyproject.toml").exists()):
        package_dir = root / name
        if name not in ALLOWED:
            violations.append(Violation(name, "packages/", "not in the graph of tools/package_graph.py"))
            continue
        version, declared = _declared_siblings(package_dir)
        versions.add(version)
        for sibling, pinned in declared.items():
            if pinned != version:
                violations.append(
                    Violation(name, "pyproject.toml", f"pymoby-{sibling} must be pinned =={version}, not {pinned!r}")
                )
        source = package_dir / "src" / "pymoby"
        if (source / "__init__.py").exists():
            violations.append(Violation(name, "src/pymoby/__init__.py", "pymoby is a namespace: no __init__.py"))
        for path in sorted(source.rglob("*.py")):
            where_file = path.relative_to(package_dir)
            for lineno, module in _imported_siblings(path):
                sibling = PACKAGE_OF_MODULE.get(module)
                where = f"{where_file}:{lineno}"
                if sibling is None:
                    violations.append(Violation(name, where, f"imports unknown pymoby.{module}"))
                elif sibling == name:
                    continue
                elif sibling not in ALLOWED[name]:
                    violations.append(Violation(name, where, f"may not import pymoby.{module} (see DESIGN.md)"))
                elif sibling not in declared and name != "pymoby":
                    violations.append(Violation(name, where, f"imports pymoby.{module} but does not depend on it"))
    if len(versions) > 1:
        violations.append(Violation("*", "pyproject.toml", f"versions are not in lockstep: {sorted(versions)}"))
    return violations


def main() -> int:
    violations = check()
    for violation in violations:
        print(violation, file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
