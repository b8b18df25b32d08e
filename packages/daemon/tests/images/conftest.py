"""An image service on real vfs stores in a temporary directory, a way to make images in it, and fake containers.

``service``: the service, its task group running for the test.
``make_image(files..., tag=..., parent=..., labels=..., created=...)``: an image
whose layers hold ``files`` (one dict per layer), built on ``parent``'s layers.
``containers``: which containers use which image (the service's ``ContainerUsage``).
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import msgspec
import pytest

from pymoby.daemon.events import Events
from pymoby.daemon.images import ImageService, ImageUser
from pymoby.image import Image
from pymoby.reference import parse_normalized_named
from pymoby.registry import RegistryOptions
from pymoby.registry.testing import FakeRegistry


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def layer_tar(files: dict[str, bytes]) -> bytes:
    """An uncompressed layer tar of ``files`` (path -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class FakeContainers:
    """Containers by image: ``uses[image_id] = [ImageUser(...)]``."""

    def __init__(self) -> None:
        self.uses: dict[str, list[ImageUser]] = {}

    def containers_using(self, image_id: str) -> list[ImageUser]:
        return list(self.uses.get(image_id, []))


@pytest.fixture
def containers() -> FakeContainers:
    """No container uses anything until a test says so."""
    return FakeContainers()


@pytest.fixture
def registry() -> FakeRegistry:
    """pymoby-registry's in-process fake registry (``registry.test``), which the service talks to."""
    return FakeRegistry(host="registry.test")


@pytest.fixture
async def service(tmp_path: Path, containers: FakeContainers, registry: FakeRegistry) -> AsyncIterator[ImageService]:
    """The image service on vfs stores, with an event bus, the fake containers and the fake registry."""
    service = ImageService.open(tmp_path / "data", "vfs", events=Events(), containers=containers)
    service.configure_registry(RegistryOptions(certs_dir=None, retries=0, transport=registry.transport))
    try:
        async with anyio.create_task_group() as group:
            await group.start(service.serve)
            yield service
            group.cancel_scope.cancel()
    finally:
        service.close()


MakeImage = Callable[..., Image]


@pytest.fixture
def make_image(service: ImageService) -> MakeImage:
    """``make_image({"f": b"x"}, ..., tag="app:1", parent=image, labels={...}, created="...", empty=False)``."""
    counter = [0]

    def make(
        *layers: dict[str, bytes],
        tag: str | None = None,
        parent: Image | None = None,
        labels: dict[str, str] | None = None,
        created: str | None = None,
        history: list[dict[str, object]] | None = None,
    ) -> Image:
        counter[0] += 1
        diff_ids = list(parent.config.rootfs.diff_ids) if parent else []
        chain = parent.chain_id if parent else None
        held = []
        for files in layers:
            layer = service.layers.register(io.BytesIO(layer_tar(files)), chain)
            held.append(layer.chain_id)
            diff_ids.append(layer.diff_id)
            chain = layer.chain_id
        steps = list(parent.config.history) if parent else []
        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": created or f"2024-01-{counter[0]:02d}T00:00:00Z",
            "config": {"Cmd": ["sh"], "Labels": labels},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history
            if history is not None
            else [json.loads(msgspec.json.encode(h)) for h in steps]
            + [{"created_by": f"step {i}", "created": "2024-01-01T00:00:00Z"} for i in range(len(layers))],
        }
        if parent is not None:
            config["parent"] = parent.id
        image = service.images.create(json.dumps(config).encode())
        for chain_id in held:
            service.layers.release(chain_id)
        if parent is not None:
            service.images.set_parent(image.id, parent.id)
        if tag is not None:
            service.references.add_tag(parse_normalized_named(tag), image.id, force=True)
        return image

    return make
