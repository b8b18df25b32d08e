"""Shared set-up for the end-to-end tests in integration/.

These tests drive real components: containerd and runc, a registry, iptables
and netlink, the `docker` CLI and docker-py. Tests that need root are marked
``@pytest.mark.root`` and are skipped, with the reason, where the machine
cannot give it; CI runs as root and runs them all.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.images import make_busybox_rootfs


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
