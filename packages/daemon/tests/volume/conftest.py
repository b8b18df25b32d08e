"""Volume services over a temporary data root, and a test plugin on a unix socket."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pymoby.daemon.volume import PluginRegistry, VolumeService
from pymoby.daemon.volume.testing import FakeVolumePlugin


class Recorder:
    """An event sink that keeps what it is given (the daemon's bus has the same ``log``)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, dict[str, str]]] = []

    def log(self, event_type: str, action: str, actor_id: str, attributes: dict[str, str] | None = None) -> None:
        self.seen.append((event_type, action, actor_id, dict(attributes or {})))

    def actions(self) -> list[tuple[str, str, str]]:
        return [(t, a, i) for t, a, i, _ in self.seen]


@pytest.fixture
def events() -> Recorder:
    return Recorder()


@pytest.fixture
def plugin_dirs() -> Iterator[tuple[Path, Path]]:
    """(sockets directory, spec directory), short enough for unix socket paths."""
    with tempfile.TemporaryDirectory(prefix="pmv-") as base:
        sockets, specs = Path(base, "s"), Path(base, "p")
        sockets.mkdir()
        specs.mkdir()
        yield sockets, specs


@pytest.fixture
async def service(tmp_path: Path, events: Recorder, plugin_dirs: tuple[Path, Path]) -> VolumeService:
    sockets, specs = plugin_dirs
    return await VolumeService.open(
        tmp_path / "root",
        events=events,
        plugins=PluginRegistry(socket_dirs=[sockets], spec_dirs=[specs]),
        plugin_activation_timeout=0.5,
    )


@pytest.fixture
async def plugin(tmp_path: Path, plugin_dirs: tuple[Path, Path]) -> AsyncIterator[FakeVolumePlugin]:
    """A plugin called ``fakevol`` found in the sockets directory."""
    fake = FakeVolumePlugin(plugin_dirs[0] / "fakevol.sock", tmp_path / "plugin-data")
    async with fake.serving():
        yield fake


def write(path: str | Path, data: str | bytes) -> None:
    """Write a file (async tests call this: blocking work lives in plain functions)."""
    if isinstance(data, str):
        Path(path).write_text(data)
    else:
        Path(path).write_bytes(data)


def read(path: str | Path) -> str:
    """A file's text."""
    return Path(path).read_text()


def make_dir(path: str | Path) -> None:
    """``mkdir -p``."""
    Path(path).mkdir(parents=True, exist_ok=True)


def is_dir(path: str | Path) -> bool:
    """Whether ``path`` is a directory."""
    return Path(path).is_dir()


def permissions(path: str | Path) -> int:
    """The permission bits of ``path``."""
    return Path(path).stat().st_mode & 0o7777
