"""Shared set-up for the end-to-end tests in integration/.

These tests drive real components: containerd and runc, a registry, iptables
and netlink, the `docker` CLI and docker-py. Tests that need root are marked
``@pytest.mark.root`` and are skipped, with the reason, where the machine
cannot give it; CI runs as root and runs them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (namespaces, mounts, iptables); CI runs as root")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


BUSYBOX = "/bin/busybox"


def make_busybox_rootfs(root: Path) -> Path:
    """Write a minimal busybox root file system into ``root`` and return it.

    Debian's ``busybox-static`` is statically linked, so ``/bin/busybox`` and
    one symlink per applet make a complete user land for tests.
    """
    (root / "bin").mkdir(parents=True, exist_ok=True)
    for directory in ("etc", "dev", "proc", "sys", "tmp", "root", "var", "usr/bin", "usr/sbin", "sbin"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list-full"], check=True, capture_output=True, text=True).stdout.split()
    for applet in applets:
        link = root / applet
        if applet == "bin/busybox" or link.exists():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/bin/busybox")
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    )
    (root / "etc" / "group").write_text("root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n")
    (root / "tmp").chmod(0o1777)
    return root


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busybox root file system, built once per test worker."""
    if not Path(BUSYBOX).exists():
        pytest.fail("busybox-static is not installed: run tools/install-system-deps")
    return make_busybox_rootfs(tmp_path_factory.mktemp("busybox") / "rootfs")
