"""Fixtures for the network tests: a NetworkController per test, on this worker's own bridge and pools.

Every test gets a bridge ``pmt<worker>x<n>``, iptables chains named after it
and an address pool 10.<180+worker>.<16n>.0/20, so parallel workers (and a
real dockerd, on 172.17.0.0/16) never collide. At the end the controller is
closed, everything it made in the kernel is purged, and the test fails if
anything is left.
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from networks.netdaemon import Netd, start_netd
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


@pytest.fixture
def netd(worker: int) -> Iterator[Netd]:
    """A network-only API daemon on this worker's own bridge and pool; stopped, purged, checked clean."""
    number = next(_counter) % 16
    base = Path(tempfile.mkdtemp(prefix="pmn-", dir="/tmp"))  # short: unix socket paths are limited
    daemon = start_netd(base, f"pmd{worker}x{number}", f"10.{180 + worker}.{number * 16}.0/20")
    try:
        yield daemon
    finally:
        code = daemon.stop()
        state = daemon.config
        devices = _recorded_devices(state)
        anyio.run(NetworkController.purge, state)
        left = kernel_leftovers(state, devices)
        log = daemon.log()
        shutil.rmtree(base, ignore_errors=True)
    assert code == 0, log[-3000:]
    assert left == [], f"left in the kernel: {left}"


def _recorded_devices(config: NetworkConfig) -> list[str]:
    from pymoby.daemon.network._store import RecordStore

    store = RecordStore(config.state_dir)
    names = [n.device for n in store.load_networks() if n.device]
    names += [e.veth for c in store.load_containers() for e in c.endpoints if e.veth]
    return names
