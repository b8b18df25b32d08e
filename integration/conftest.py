"""Shared set-up for the end-to-end tests in integration/.

These tests drive real components: containerd and runc, a registry, iptables
and netlink, the `docker` CLI and docker-py. Tests that need root are marked
``@pytest.mark.root`` and are skipped, with the reason, where the machine
cannot give it; CI runs as root and runs them all.

The daemon fixtures are shared by every area that drives a real pymobyd:
``busybox_archive`` (built once per worker), ``daemon`` (one pymobyd with
busybox per module) and ``start_daemon`` (daemons per test, for restarts and
crashes). Each daemon has its own base directory, bridge and address pool;
it is stopped and removed after use, and one that exits with an error or
leaves a device, namespace, mount or iptables rule on the host fails the
test that used it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.images import busybox_image_archive, make_busybox_rootfs
from support.pymobyd import Pymobyd, StartDaemon, load_busybox, start_pymobyd


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (namespaces, mounts, iptables); CI runs as root")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busybox root file system, built once per test worker."""
    return make_busybox_rootfs(tmp_path_factory.mktemp("busybox") / "rootfs")


def _base() -> Path:
    # Short and unique: unix socket paths are limited to 108 bytes.
    return Path(tempfile.mkdtemp(prefix="pmd-", dir="/tmp"))


@pytest.fixture(scope="session")
def busybox_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``docker save`` archive of busybox (tagged ``busybox:latest``), built once per worker."""
    work = tmp_path_factory.mktemp("busybox-image")
    archive = work / "busybox.tar"
    busybox_image_archive(archive, work)
    return archive


@pytest.fixture(scope="module")
def daemon(busybox_archive: Path) -> Iterator[Pymobyd]:
    """One pymobyd with busybox for a module's tests (each test removes what it made)."""
    instance = start_pymobyd(_base())
    try:
        load_busybox(instance, busybox_archive)
        yield instance
    finally:
        failure = instance.finish()
        if failure:
            pytest.fail(failure)


@pytest.fixture
def start_daemon(busybox_archive: Path) -> Iterator[StartDaemon]:
    """Daemons (with busybox unless ``load=False``) that are stopped, checked and removed after the test;
    ``base=`` an earlier daemon's base restarts on its data."""
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
