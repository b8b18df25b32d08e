"""Fixtures for the network tests: real pymobyd daemons, and a bare NetworkController for the kernel-level ones.

``daemon`` (one per module) and ``start_daemon`` (per test, for restarts and
crashes) come from integration/conftest.py: real pymobyd processes with the
busybox image, each on a bridge and address pool of its own, driven by the
docker CLI and docker-py. ``controller`` is a
NetworkController in the test process with a bridge ``pmt<worker>x<n>``,
iptables chains named after it and an address pool 10.<180+worker>.<16n>.0/20.
At the end everything is stopped and purged, and the test fails if a device,
namespace, mount or rule is left in the kernel.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from networks.nshelp import Box, kernel_leftovers, net_config

from pymoby.daemon.events import Events
from pymoby.daemon.network import ContainerNetworkSpec, NetworkConfig, NetworkController

pytestmark = pytest.mark.root

_counter = itertools.count()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def worker(worker_id: str) -> int:
    """This xdist worker's number (0 without xdist)."""
    match = re.search(r"\d+", worker_id)
    return int(match.group()) if match else 0


@pytest.fixture
def config(worker: int, tmp_path_factory: pytest.TempPathFactory) -> NetworkConfig:
    """This test's network settings (its own bridge, chains, pools, directories)."""
    return net_config(tmp_path_factory.mktemp("net"), worker, next(_counter) % 16)


@pytest.fixture
def events() -> Events:
    """The event bus the controller publishes on."""
    return Events()


@pytest.fixture
async def controller(config: NetworkConfig, events: Events) -> AsyncIterator[NetworkController]:
    """An open controller (no container survived a restart); purged and checked clean afterwards."""
    devices: list[str] = []
    try:
        async with NetworkController.open(config, events=events) as opened:
            await opened.restore_containers(running=())
            try:
                yield opened
            finally:
                devices = _devices(opened)
    finally:
        await NetworkController.purge(config)
    left = kernel_leftovers(config, devices)
    assert left == [], f"left in the kernel: {left}"


def _devices(controller: NetworkController) -> list[str]:
    state: Any = controller._s
    names = [n.device for n in state.networks.values() if n.device]
    names += [e.veth for c in state.containers.values() for e in c.endpoints if e.veth]
    return names


Start = Callable[..., Any]


@pytest.fixture
def start(controller: NetworkController, tmp_path: Path) -> Start:
    """``await start("name", network_mode=..., ...)``: create and start a "container", a :class:`Box`."""

    async def run(name: str, **fields: Any) -> Box:
        container_id = (name.encode().hex() * 64)[:64]
        spec = ContainerNetworkSpec(id=container_id, name=name, files_dir=tmp_path / name, **fields)
        await controller.create_container(spec)
        return Box(await controller.start_container(container_id))

    return run
