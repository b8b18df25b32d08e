"""Pushes from real stores to the fake registry: blobs, manifest, diff IDs kept, digests recorded, errors."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from typing import Any

import httpx
import pytest

from pymoby.daemon.distribution import Job
from pymoby.daemon.images import ImageService
from pymoby.reference import parse_normalized_named
from pymoby.registry.testing import FakeRegistry

pytestmark = pytest.mark.anyio

Publish = Any


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def output(job: Job) -> list[dict[str, Any]]:
    await job.first()
    data = b"".join([chunk async for chunk in job.output()])
    return [json.loads(line) for line in data.split(b"\r\n") if line.strip()]


async def pull(service: ImageService, name: str) -> None:
    await output(service.pull(parse_normalized_named(name), platform=None, credentials=None))


async def push(service: ImageService, name: str) -> list[dict[str, Any]]:
    return await output(service.push(parse_normalized_named(name), credentials=None))


def shown(messages: list[dict[str, Any]]) -> list[str]:
    return [f"{m['id']}: {m['status']}" if m.get("id") else str(m.get("status") or m.get("error")) for m in messages]


async def test_push_of_an_imported_image_uploads_layers_config_and_manifest(
    service: ImageService, registry: FakeRegistry
) -> None:
    layer = tar_of({"hello": b"world" * 100})
    await imported(service, "registry.test/mine:1", layer)
    image = service.get_image("registry.test/mine:1")
    messages = await push(service, "registry.test/mine:1")
    lines = shown(messages)
    layer_id = image.config.rootfs.diff_ids[0].removeprefix("sha256:")[:12]
    assert lines[0] == "The push refers to repository [registry.test/mine]"
    assert f"{layer_id}: Preparing" in lines
    assert lines.index(f"{layer_id}: Pushed") > lines.index(f"{layer_id}: Preparing")
    digest_line = lines[-2]
    assert digest_line.startswith("1: digest: sha256:")
    assert " size: " in digest_line
    digest = digest_line.split()[2]
    assert messages[-1]["aux"] == {"Tag": "1", "Digest": digest, "Size": int(digest_line.split()[-1])}
    raw, media_type = registry.manifests["mine"][digest]
    manifest = json.loads(raw)
    assert media_type == manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert registry.blobs[manifest["config"]["digest"]] == image.raw
    (blob,) = manifest["layers"]
    uncompressed = gzip.decompress(registry.blobs[blob["digest"]])
    assert "sha256:" + hashlib.sha256(uncompressed).hexdigest() == image.config.rootfs.diff_ids[0]
    assert blob["size"] == len(registry.blobs[blob["digest"]])
    assert service.repo_tags(image.id)[1] == [f"registry.test/mine@{digest}"]


async def test_pushing_a_pulled_image_elsewhere_keeps_its_diff_ids_and_skips_known_blobs(
    service: ImageService, publish: Publish, registry: FakeRegistry
) -> None:
    published = publish("app", "v1", [{"a": b"1" * 5000}, {"b": b"2" * 5000}])
    await pull(service, "registry.test/app:v1")
    image = service.get_image("registry.test/app:v1")
    await service.tag("registry.test/app:v1", parse_normalized_named("registry.test/copy:v1"))
    lines = shown(await push(service, "registry.test/copy:v1"))
    for diff_id in published.diff_ids:
        layer_id = diff_id.removeprefix("sha256:")[:12]
        assert f"{layer_id}: Layer already exists" in lines or any(
            line.startswith(f"{layer_id}: Mounted from") for line in lines
        )
    digest = lines[-2].split()[2]
    manifest = json.loads(registry.manifests["copy"][digest][0])
    assert [layer["digest"] for layer in manifest["layers"]] == published.layer_digests
    assert registry.blobs[manifest["config"]["digest"]] == image.raw


async def test_pushing_twice_finds_the_layers_already_there(service: ImageService) -> None:
    await imported(service, "registry.test/twice", tar_of({"x": b"y"}))
    await push(service, "registry.test/twice:latest")
    lines = shown(await push(service, "registry.test/twice:latest"))
    assert any(line.endswith(": Layer already exists") for line in lines)
    assert not any(line.endswith(": Pushed") for line in lines)


async def test_push_of_a_name_without_images_fails_in_the_stream(service: ImageService) -> None:
    messages = await push(service, "registry.test/nothing:latest")
    assert messages[0]["status"] == "The push refers to repository [registry.test/nothing]"
    assert messages[-1]["error"] == "An image does not exist locally with the tag: registry.test/nothing"


async def test_push_of_a_missing_tag_names_it(service: ImageService) -> None:
    await imported(service, "registry.test/t:a", tar_of({"x": b"y"}))
    messages = await push(service, "registry.test/t:b")
    assert messages[-1]["error"] == "tag does not exist: registry.test/t:b"


async def test_push_without_tag_pushes_every_tag(service: ImageService, registry: FakeRegistry) -> None:
    for tag, content in (("a", b"1"), ("b", b"2")):
        await imported(service, f"registry.test/every:{tag}", tar_of({"f": content}))
    lines = shown(await push(service, "registry.test/every"))
    assert [line.split(":")[0] for line in lines if ": digest: " in line] == ["a", "b"]
    assert set(registry.tags["every"]) == {"a", "b"}


async def imported(service: ImageService, name: str, layer: bytes) -> None:
    """Import ``layer`` (a tar) as the image ``name``."""
    job = service.import_image(
        _body(layer), source="-", ref=parse_normalized_named(name), message="", changes=[], platform=None
    )
    await output(job)


def _body(data: bytes):
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)] + [b""]

    async def receive() -> bytes:
        return chunks.pop(0) if chunks else b""

    return receive


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # A token without the push scope (RFC 6750 section 3.1): Docker's registry client reads it as DENIED.
        (',error="insufficient_scope"', "denied: requested access to the resource is denied"),
        (',error="insufficient_scope",error_description="no pushing here"', "denied: no pushing here"),
        ("", "unauthorized: authentication required"),
    ],
)
async def test_a_refused_push_reads_as_docker_reports_it(
    service: ImageService, registry: FakeRegistry, error: str, expected: str
) -> None:
    await imported(service, "registry.test/private:1", tar_of({"x": b"y"}))
    registry.auth = "bearer"

    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == "auth.test" or request.url.path == "/v2/":
            return None  # the token service answers; the ping gets the plain challenge
        challenge = f'Bearer realm="https://auth.test/token",service="{registry.host}"{error}'
        body = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required", "detail": None}]}
        return httpx.Response(401, json=body, headers={"WWW-Authenticate": challenge})

    registry.before = refuse
    messages = await push(service, "registry.test/private:1")
    assert messages[-1]["error"] == expected
