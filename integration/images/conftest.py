"""Images through a real pymobyd: real registries (open and token auth), dockerd for interoperability.

Each pytest-xdist worker starts its own registries, daemons and proxies on
free ports under its own temporary directories; everything is stopped and
removed afterwards. Test images are made here (no Docker Hub): busybox
from Debian's busybox-static, and images of random layers pushed into a
registry with pymoby-registry.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.dockerd import Dockerd, start_dockerd
from support.images import busybox_image_archive
from support.pymobyd import Pymobyd, start_pymobyd
from support.registry import LayoutWriter, RegistryServer, TokenServer, start_registry

from pymoby.registry import Credentials, Registry, RegistryOptions

USERS = {"alice": "wonderland"}


def short_base(prefix: str) -> Path:
    """A short, unique directory under /tmp (unix socket paths are limited to 108 bytes)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(scope="session")
def registry() -> Iterator[RegistryServer]:
    """An open registry (docker-registry 2.8) on a free port."""
    base = short_base("pir-")
    try:
        with start_registry(base / "registry") as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def other_registry() -> Iterator[RegistryServer]:
    """A second open registry (pushes between registries)."""
    base = short_base("pir-")
    try:
        with start_registry(base / "registry") as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    """The test token service: alice gets what she asks for; anonymous users nothing."""
    with TokenServer(tmp_path_factory.mktemp("tokens"), users=dict(USERS)).start() as server:
        yield server


@pytest.fixture(scope="session")
def token_registry(token_server: TokenServer) -> Iterator[RegistryServer]:
    """A registry with token auth."""
    base = short_base("pit-")
    try:
        with start_registry(base / "registry", token_server=token_server) as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def busybox_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A ``docker save`` archive of ``busybox:latest`` and its image ID."""
    work = tmp_path_factory.mktemp("busybox")
    archive = work / "busybox.tar"
    return archive, busybox_image_archive(archive, work)


@pytest.fixture(scope="module")
def daemon() -> Iterator[Pymobyd]:
    """A pymobyd shared by a module's tests (with its own containerd)."""
    instance = start_pymobyd(short_base("pim-"))
    try:
        yield instance
    finally:
        code = instance.stop()
        log = instance.log()
        instance.remove()
        if code != 0:
            pytest.fail(f"pymobyd exited with {code}:\n{log[-3000:]}")


@pytest.fixture(scope="module")
def dockerd(registry: RegistryServer, other_registry: RegistryServer) -> Iterator[Dockerd]:
    """A dockerd (Debian docker.io) that may use the open registries over HTTP."""
    instance = start_dockerd(
        short_base("pid-"), f"--insecure-registry={registry.host}", f"--insecure-registry={other_registry.host}"
    )
    try:
        yield instance
    finally:
        instance.stop()


Docker = Callable[..., subprocess.CompletedProcess[str]]


def run_docker(
    target: Pymobyd | Dockerd, *args: str, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """The docker CLI against ``target``, text output; raises with its output when it fails and ``check``."""
    result = subprocess.run(["docker", *args], env=target.env(), capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def layer_counts(daemon: Pymobyd) -> tuple[int, int]:
    """(layers in the layer store, files in the download scratch directory) of ``daemon``."""
    layerdb = daemon.data_root / "image" / "overlay2" / "layerdb" / "sha256"
    scratch = daemon.data_root / "tmp" / "downloads"
    return (
        len(list(layerdb.iterdir())) if layerdb.exists() else 0,
        len(list(scratch.iterdir())) if scratch.exists() else 0,
    )


Publish = Callable[..., str]


@pytest.fixture(scope="session")
def publish(tmp_path_factory: pytest.TempPathFactory) -> Publish:
    """``publish(registry, "app:v1", [sizes...], seed=1, credentials=None)``: an image of random layers pushed there."""
    counter = [0]

    def run(
        server: RegistryServer,
        name: str,
        sizes: list[int],
        *,
        seed: int = 1,
        credentials: Credentials | None = None,
    ) -> str:
        counter[0] += 1
        layout = tmp_path_factory.mktemp(f"layout{counter[0]}") / "layout"
        writer = LayoutWriter(layout)
        descriptor = writer.image(sizes, seed=seed)
        writer.tag(descriptor, "v")
        options = RegistryOptions(
            certs_dir=None, credentials={server.host: credentials} if credentials is not None else {}
        )
        with Registry(options) as client:
            return client.push(layout, f"{server.host}/{name}", name="v")

    return run


def messages(output: str) -> list[str]:
    """The lines the docker CLI printed, without blank ones."""
    return [line.strip() for line in output.splitlines() if line.strip()]


class Tools:
    """The helpers above, as a fixture (a conftest is not importable under ``--import-mode=importlib``)."""

    docker = staticmethod(run_docker)
    layer_counts = staticmethod(layer_counts)
    messages = staticmethod(messages)


@pytest.fixture(scope="session")
def tools() -> type[Tools]:
    """``tools.docker(target, *args)``, ``tools.layer_counts(daemon)``, ``tools.messages(text)``."""
    return Tools
