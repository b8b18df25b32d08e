"""The shared launchers work: a busybox root runs, a side-by-side dockerd answers."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from support.dockerd import start_dockerd
from support.images import busybox_image_archive


def test_busybox_rootfs_has_a_working_shell(busybox_rootfs: Path) -> None:
    out = subprocess.run(
        ["chroot", str(busybox_rootfs), "/bin/sh", "-c", "echo hello; id -un"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["hello", "root"]


@pytest.mark.root
def test_side_by_side_dockerd_answers_on_its_own_socket() -> None:
    base = Path(tempfile.mkdtemp(prefix="pmdk-", dir="/tmp"))  # short: unix socket paths are limited
    with start_dockerd(base) as dockerd:
        version = dockerd.docker("version", "--format", "{{.Server.Version}}").stdout.decode().strip()
        assert version.startswith("20.10")
        assert dockerd.socket.is_socket()
    assert not base.exists()


@pytest.mark.root
def test_busybox_archive_loads_into_dockerd_and_runs(tmp_path: Path) -> None:
    archive = tmp_path / "busybox.tar"
    image_id = busybox_image_archive(archive, tmp_path)
    base = Path(tempfile.mkdtemp(prefix="pmdk-", dir="/tmp"))
    with start_dockerd(base) as dockerd:
        loaded = dockerd.docker("load", "-i", str(archive)).stdout.decode()
        assert "Loaded image: busybox:latest" in loaded
        inspected = dockerd.docker("image", "inspect", "--format", "{{.Id}}", "busybox").stdout.decode().strip()
        assert inspected == image_id
        out = dockerd.docker("run", "--rm", "--network", "none", "busybox", "echo", "hello")
        assert out.stdout.decode().strip() == "hello"
