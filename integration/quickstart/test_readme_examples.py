"""The README's five-line examples run as printed, and print what their comments say.

Each ``print(...)  # TEXT`` line must print TEXT; a ``# raises NAME`` line
must raise NAME. The registry example runs against a real registry
(docker-registry), standing where the README says ``localhost:5000``.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from support.registry import LayoutWriter, start_registry

from pymoby import errdefs
from pymoby.registry import Registry, RegistryOptions

README = Path(__file__).resolve().parents[2] / "README.md"


def _example(module: str) -> str:
    section = README.read_text().split("### Five-line examples", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    found = [b for b in blocks if f"pymoby.{module}" in b or f"import {module}" in b]
    assert len(found) == 1, f"one example for pymoby.{module} in the README, found {len(found)}"
    return found[0]


def _run(code: str) -> tuple[list[str], list[str]]:
    """Run ``code`` except its ``# raises`` lines; (what it printed, what its comments expected)."""
    lines = code.splitlines()
    raising = [line for line in lines if "# raises " in line]
    expected = [line.split("  # ", 1)[1] for line in lines if line.lstrip().startswith("print(") and "  # " in line]
    body = "\n".join(line for line in lines if line not in raising)
    out = io.StringIO()
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(body, "README.md", "exec"), namespace)
    for line in raising:
        name = line.split("# raises ", 1)[1].split(",")[0].strip()
        with pytest.raises(errdefs.InvalidParameter) as caught:
            exec(compile(line.split("  # ")[0], "README.md", "exec"), namespace)
        assert type(caught.value).__name__ == name
    return out.getvalue().splitlines(), expected


def test_the_reference_example_prints_what_it_says() -> None:
    printed, expected = _run(_example("reference"))
    assert printed == expected


def test_the_registry_example_lists_pulls_and_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = start_registry(tmp_path / "registry")
    try:
        layout = LayoutWriter(tmp_path / "layout")
        layout.tag(layout.image([4096, 2048], seed=7), "latest")
        with Registry(RegistryOptions()) as client:
            client.push(tmp_path / "layout", f"{registry.host}/busybox:latest", name="latest")
        work = tmp_path / "work"
        work.mkdir()
        monkeypatch.chdir(work)
        printed, expected = _run(_example("registry").replace("localhost:5000", registry.host))
        assert printed == expected
        assert (work / "busybox-oci" / "oci-layout").is_file()
        with Registry(RegistryOptions()) as client:
            assert sorted(client.list_tags(f"{registry.host}/busybox")) == ["latest", "stable"]
    finally:
        registry.stop()
