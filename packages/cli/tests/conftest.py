"""A fake Engine API per test, and ``cli(*args)`` to run ``pymoby`` against it with click's runner."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from pymoby.cli import main


def _load_fake() -> ModuleType:
    # Test modules cannot import each other under --import-mode=importlib: load the fake by path.
    name = "pymoby_cli_tests_fake_engine"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("_fake_engine.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fake_engine = _load_fake()
FakeEngine = fake_engine.FakeEngine


@pytest.fixture
def fake() -> ModuleType:
    """The fake engine module (``Reply``, ``error``, ``frame``)."""
    return fake_engine


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


@pytest.fixture
def engine() -> Iterator[Any]:
    directory = Path(tempfile.mkdtemp(prefix="pmcli-", dir="/tmp"))  # unix socket paths are short
    fake = FakeEngine(directory / "fake.sock").start()
    try:
        yield fake
    finally:
        fake.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    path = tmp_path / "docker-config"
    path.mkdir()
    return path


@pytest.fixture
def cli(engine: Any, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.delenv("PYMOBY_HOST", raising=False)
    monkeypatch.delenv("PYMOBY_API_VERSION", raising=False)

    def run(*args: str, input: bytes | str | None = None) -> Result:  # noqa: A002 - click's name
        runner = CliRunner()
        result = runner.invoke(main, ["-H", engine.host, "--config", str(config_dir), *args], input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)

    return run
