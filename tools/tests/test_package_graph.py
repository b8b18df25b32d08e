"""The package graph is kept one-way, and the checker catches what it must."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import package_graph


def _package(root: Path, name: str, source: str, deps: list[str], version: str = "0.1.0") -> None:
    src = root / name / "src" / "pymoby" / package_graph.MODULE[name]
    src.mkdir(parents=True)
    (src / "__init__.py").write_text(source)
    quoted = ", ".join(f'"{d}"' for d in deps)
    (root / name / "pyproject.toml").write_text(
        f'[project]\nname = "pymoby-{name}"\nversion = "{version}"\ndependencies = [{quoted}]\n'
    )


def test_the_repository_follows_the_graph() -> None:
    assert package_graph.check() == []


def test_every_package_in_the_repository_is_in_the_graph() -> None:
    assert set(package_graph.packages()) <= set(package_graph.ALLOWED)


def test_a_forbidden_import_is_reported(tmp_path: Path) -> None:
    _package(tmp_path, "errdefs", "", [])
    _package(tmp_path, "reference", "from pymoby import daemon\n", ["pymoby-errdefs==0.1.0"])
    _package(tmp_path, "cli", "import pymoby.daemon.server\n", [])
    messages = [str(v) for v in package_graph.check(tmp_path)]
    assert any("reference" in m and "may not import pymoby.daemon" in m for m in messages)
    assert any("cli" in m and "may not import pymoby.daemon" in m for m in messages)


def test_an_undeclared_sibling_is_reported(tmp_path: Path) -> None:
    _package(tmp_path, "errdefs", "", [])
    _package(tmp_path, "reference", "from pymoby.errdefs import NotFound\n", [])
    messages = [str(v) for v in package_graph.check(tmp_path)]
    assert messages == [
        "reference: src/pymoby/reference/__init__.py:1: imports pymoby.errdefs but does not depend on it"
    ]


def test_versions_must_move_in_lockstep(tmp_path: Path) -> None:
    _package(tmp_path, "errdefs", "", [], version="0.1.0")
    _package(tmp_path, "reference", "import pymoby.errdefs\n", ["pymoby-errdefs==0.0.9"], version="0.2.0")
    messages = " ".join(str(v) for v in package_graph.check(tmp_path))
    assert "must be pinned ==0.2.0" in messages
    assert "not in lockstep" in messages


def test_a_namespace_init_is_reported(tmp_path: Path) -> None:
    _package(tmp_path, "errdefs", "", [])
    (tmp_path / "errdefs" / "src" / "pymoby" / "__init__.py").write_text("")
    messages = " ".join(str(v) for v in package_graph.check(tmp_path))
    assert "namespace" in messages
