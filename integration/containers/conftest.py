"""A real pymobyd with the busybox image loaded: one per module, or per test for the destructive ones.

Each xdist worker builds its busybox archive once; every daemon has its own
base directory (data root, exec root, socket, containerd), so workers never
share anything (each daemon has its own bridge and address pool too).
Daemons are stopped (their containers with them) and their directories
removed after use; a daemon that exits with an error, or leaves a device,
namespace, mount or iptables rule on the host, fails the test that used it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.images import busybox_image_archive
from support.pymobyd import Pymobyd, load_busybox, start_pymobyd

pytestmark = pytest.mark.root

Start = Callable[..., Pymobyd]


def _base() -> Path:
    # Short and unique: unix socket paths are limited to 108 bytes.
    return Path(tempfile.mkdtemp(prefix="pmc-", dir="/tmp"))


@pytest.fixture(scope="session")
def busybox_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``docker save`` archive of busybox (tagged ``busybox:latest``), built once per worker."""
    work = tmp_path_factory.mktemp("busybox-image")
    archive = work / "busybox.tar"
    busybox_image_archive(archive, work)
    return archive


@pytest.fixture(scope="module")
def daemon(busybox_archive: Path) -> Iterator[Pymobyd]:
    """One daemon with busybox for a module's tests (each test cleans up its own containers)."""
    instance = start_pymobyd(_base())
    try:
        load_busybox(instance, busybox_archive)
        yield instance
    finally:
        failure = instance.finish()
        if failure:
            pytest.fail(failure)


@pytest.fixture
def start_daemon(busybox_archive: Path) -> Iterator[Start]:
    """``start_daemon(*flags, config=..., base=...)``: daemons with busybox, stopped and removed after the test."""
    started: list[Pymobyd] = []

    def start(*args: str, base: Path | None = None, load: bool = True, **kwargs: Any) -> Pymobyd:
        instance = start_pymobyd(base or _base(), *args, **kwargs)
        started.append(instance)
        if load:
            load_busybox(instance, busybox_archive)
        return instance

    yield start
    failures = []
    # Latest first: a restarted daemon shares its base with the one it replaced.
    for index in reversed(range(len(started))):
        instance = started[index]
        shared = any(other.base == instance.base for other in started[:index])
        failure = instance.finish(remove=not shared)
        if failure:
            failures.append(failure)
    if failures:
        pytest.fail("\n".join(failures))
