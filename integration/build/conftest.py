"""A real pymobyd and, for the side-by-side checks, a real dockerd.

Each xdist worker builds its busybox archive once; every daemon has its own
short base directory (data root, exec root, socket, containerd) and is
stopped and removed after its module. Build contexts are written per test
under ``tmp_path``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.dockerd import Dockerd, start_dockerd
from support.images import busybox_image_archive
from support.pymobyd import Pymobyd, start_pymobyd

pytestmark = pytest.mark.root


def _base(prefix: str) -> Path:
    # Short and unique: unix socket paths are limited to 108 bytes.
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(scope="session")
def busybox_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``docker save`` archive of busybox (``busybox:latest``), built once per worker."""
    work = tmp_path_factory.mktemp("busybox-image")
    archive = work / "busybox.tar"
    busybox_image_archive(archive, work)
    return archive


@pytest.fixture(scope="module")
def daemon(busybox_archive: Path) -> Iterator[Pymobyd]:
    """pymobyd with busybox loaded, for a module's tests."""
    base = _base("pmb-")
    instance = start_pymobyd(base)
    try:
        loaded = instance.docker("load", "-i", str(busybox_archive))
        assert b"Loaded image: busybox:latest" in loaded.stdout
        yield instance
    finally:
        code = instance.stop()
        log = instance.log()
        instance.remove()
        if code != 0:
            pytest.fail(f"pymobyd exited with {code}:\n{log[-4000:]}")


@pytest.fixture(scope="module")
def dockerd(busybox_archive: Path) -> Iterator[Dockerd]:
    """dockerd (Debian docker.io 20.10) with the same busybox, to compare builds with."""
    instance = start_dockerd(_base("dkb-"))
    try:
        instance.docker("load", "-i", str(busybox_archive))
        yield instance
    finally:
        instance.stop()


Context = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def context(tmp_path: Path) -> Context:
    """``context({"Dockerfile": "...", "dir/file": b"..."})``: a build context directory."""
    counter = [0]

    def make(files: dict[str, str | bytes]) -> Path:
        counter[0] += 1
        root = tmp_path / f"context{counter[0]}"
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                content = content.encode()
            path.write_bytes(content)
        root.mkdir(exist_ok=True)
        return root

    return make
