"""Fixtures for the network tests: real pymobyd daemons, and a bare NetworkController for the kernel-level ones.

``daemon`` (one per module) and ``start_daemon`` (per test, for restarts and
crashes) are real pymobyd processes with the busybox image, each on a bridge
and address pool of its own (``support.pymobyd`` hands out network slots),
driven by the docker CLI and docker-py. ``controller`` is a
NetworkController in the test process with a bridge ``pmt<worker>x<n>``,
iptables chains named after it and an address pool 10.<180+worker>.<16n>.0/20.
At the end everything is stopped and purged, and the test fails if a device,
namespace, mount or rule is left in the kernel.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from networks.nshelp import Box, kernel_leftovers, net_config
from support.images import busybox_image_archive
from support.pymobyd import Pymobyd, load_busybox, start_pymobyd

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


def _base() -> Path:
    # Short: unix socket paths are limited to 108 bytes.
    return Path(tempfile.mkdtemp(prefix="pmn-", dir="/tmp"))


@pytest.fixture(scope="session")
def busybox_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``docker save`` archive of busybox (tagged ``busybox:latest``), built once per worker."""
    work = tmp_path_factory.mktemp("busybox-image")
    archive = work / "busybox.tar"
    busybox_image_archive(archive, work)
    return archive


@pytest.fixture(scope="module")
def daemon(busybox_archive: Path) -> Iterator[Pymobyd]:
    """One pymobyd with busybox for a module's tests (each test removes its own containers and networks)."""
    instance = start_pymobyd(_base())
    try:
        load_busybox(instance, busybox_archive)
        yield instance
    finally:
        failure = instance.finish()
        if failure:
            pytest.fail(failure)


StartDaemon = Callable[..., Pymobyd]


@pytest.fixture
def start_daemon(busybox_archive: Path) -> Iterator[StartDaemon]:
    """``start_daemon(*flags, base=..., load=True)``: daemons stopped, checked and removed after the test."""
    started: list[Pymobyd] = []

    def start(*args: str, base: Path | None = None, load: bool = True, **kwargs: Any) -> Pymobyd:
        instance = start_pymobyd(base or _base(), *args, **kwargs)
        started.append(instance)
        if load:
            load_busybox(instance, busybox_archive)
        return instance

    yield start
    failures = []
    for index in reversed(range(len(started))):  # latest first: a restarted daemon shares its base
        instance = started[index]
        shared = any(other.base == instance.base for other in started[:index])
        failure = instance.finish(remove=not shared)
        if failure:
            failures.append(failure)
    if failures:
        pytest.fail("\n".join(failures))
