"""Fixtures for the layer store's end-to-end tests: a real dockerd with a busybox image."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dockerd import Dockerd, start_dockerd


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Dockerd]:
    """A dockerd of its own (Debian docker.io), stopped and removed after the module."""
    base = Path(f"/tmp/pml-{worker_id}-{os.getpid()}")  # unix socket paths are limited to 108 bytes
    daemon = start_dockerd(base)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="module")
def docker_busybox(dockerd: Dockerd, busybox_rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """busybox imported into that dockerd (no Docker Hub here); returns its image ID."""
    tar = tmp_path_factory.mktemp("busybox-tar") / "rootfs.tar"
    subprocess.run(["tar", "-cf", str(tar), "-C", str(busybox_rootfs), "."], check=True)
    dockerd.docker("import", "--change", 'CMD ["/bin/sh"]', str(tar), "busybox:latest")
    return dockerd.docker("image", "inspect", "--format", "{{.Id}}", "busybox").stdout.decode().strip()
