"""Pull and push against pymoby-registry's in-process fake registry, into real stores in a temporary directory.

``service``: an :class:`ImageService` on vfs stores whose task group runs
for the test; ``registry``: the fake registry its client talks to (through
an async transport that can hold blob downloads, to test cancellation and
shared transfers); ``publish``: put an image (layers of files) into the
fake and get its manifest digest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest

from pymoby.daemon.events import Events
from pymoby.daemon.images import ImageService
from pymoby.registry import RegistryOptions
from pymoby.registry.testing import FakeRegistry

HOST = "registry.test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def layer_tar(files: dict[str, bytes]) -> bytes:
    """An uncompressed layer tar of ``files`` (path -> content), reproducible."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Holding:
    """Blob downloads are held until ``release`` is set (to test cancellation and sharing)."""

    release: anyio.Event = field(default_factory=anyio.Event)
    arrived: int = 0
    active: bool = False
    #: Hold only the blobs of these digests (every blob when empty).
    only: set[str] = field(default_factory=set)
    changed: anyio.Event = field(default_factory=anyio.Event)

    async def wait_arrived(self, count: int) -> None:
        """Wait until ``count`` downloads are held."""
        with anyio.fail_after(10):
            while self.arrived < count:
                await self.changed.wait()


class HoldingTransport(httpx.AsyncBaseTransport):
    """The fake registry behind an async transport that can hold blob GETs."""

    def __init__(self, fake: FakeRegistry, holding: Holding) -> None:
        self.fake = fake
        self.holding = holding

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        holding = self.holding
        path = request.url.path
        held = not holding.only or path.rsplit("/", 1)[-1] in holding.only
        if holding.active and request.method == "GET" and "/blobs/sha256:" in path and held:
            holding.arrived += 1
            holding.changed.set()
            holding.changed = anyio.Event()
            await holding.release.wait()
        await request.aread()
        response = self.fake.handle(request)
        return httpx.Response(response.status_code, headers=response.headers, content=response.content, request=request)


@dataclass
class Published:
    """An image put into the fake registry."""

    manifest_digest: str
    config_digest: str
    layer_digests: list[str]
    diff_ids: list[str]


Publish = Callable[..., Published]


@pytest.fixture
def registry() -> FakeRegistry:
    """The fake registry (``registry.test``), open."""
    return FakeRegistry(host=HOST)


@pytest.fixture
def holding() -> Holding:
    """Control over blob downloads (inactive unless a test sets ``active``)."""
    return Holding()


@pytest.fixture
def publish(registry: FakeRegistry) -> Publish:
    """``publish(repo, tag, [layer files...], arch="amd64", labels=None)``: an image in the fake registry."""

    def run(
        repo: str,
        tag: str,
        layers: list[dict[str, bytes]],
        *,
        arch: str = "amd64",
        labels: dict[str, str] | None = None,
        tag_it: bool = True,
    ) -> Published:
        tars = [layer_tar(files) for files in layers]
        blobs = [gzip.compress(tar, mtime=0) for tar in tars]
        diff_ids = [digest_of(tar) for tar in tars]
        config = {
            "architecture": arch,
            "os": "linux",
            "created": "2024-01-02T03:04:05.123456789Z",
            "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "Labels": labels},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2024-01-02T03:04:05Z", "created_by": f"layer {i}"} for i in range(len(tars))],
        }
        config_raw = json.dumps(config).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": registry.put_blob(config_raw),
                "size": len(config_raw),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "digest": registry.put_blob(blob),
                    "size": len(blob),
                }
                for blob in blobs
            ],
        }
        raw = json.dumps(manifest).encode()
        digest = registry.put_manifest(repo, tag if tag_it else "", raw, manifest["mediaType"])
        return Published(digest, digest_of(config_raw), [digest_of(b) for b in blobs], diff_ids)

    return run


@pytest.fixture
async def service(tmp_path: Path, registry: FakeRegistry, holding: Holding) -> AsyncIterator[ImageService]:
    """An image service on vfs stores under ``tmp_path``, running for the test, talking to the fake registry."""
    service = ImageService.open(tmp_path / "data", "vfs", events=Events())
    service.configure_registry(
        RegistryOptions(
            certs_dir=None,
            retries=1,
            backoff=0.01,
            max_backoff=0.02,
            transport=HoldingTransport(registry, holding),
        )
    )
    try:
        async with anyio.create_task_group() as group:
            await group.start(service.serve)
            yield service
            group.cancel_scope.cancel()
    finally:
        service.close()
