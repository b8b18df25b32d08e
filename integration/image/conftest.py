"""Fixtures for the image interoperability tests: a real dockerd with a busybox image, and our stores."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dockerd import Dockerd, start_dockerd


@pytest.fixture(scope="module")
def busybox_tar(busybox_rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The busybox root file system as a tar, for ``docker import``."""
    tar = tmp_path_factory.mktemp("busybox-tar") / "rootfs.tar"
    subprocess.run(["tar", "-cf", str(tar), "-C", str(busybox_rootfs), "."], check=True)
    return tar


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Dockerd]:
    """A dockerd of its own (Debian docker.io), stopped and removed after the module."""
    # Unix socket paths are limited to 108 bytes: keep the base short.
    base = Path(f"/tmp/pmi-{worker_id}-{os.getpid()}")
    daemon = start_dockerd(base)
    try:
        yield daemon
    finally:
        daemon.stop()
