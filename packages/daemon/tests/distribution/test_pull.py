"""Pulls into real stores from the fake registry: messages, stores, tags, sharing, failures, cancellation."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import time
from typing import Any

import anyio
import pytest

from pymoby import api, errdefs
from pymoby.daemon.distribution import Job
from pymoby.daemon.images import ImageService
from pymoby.layer import chain_ids
from pymoby.reference import parse_normalized_named
from pymoby.registry import Platform
from pymoby.registry.testing import FakeRegistry

Publish = Any
Holding = Any


def layer_tar(files: dict[str, bytes]) -> bytes:
    """An uncompressed layer tar of ``files``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def run_job(job: Job) -> list[dict[str, Any]]:
    """A job's whole output, as JSON lines."""
    data = b"".join([chunk async for chunk in job.output()])
    return [json.loads(line) for line in data.split(b"\r\n") if line.strip()]


def statuses(messages: list[dict[str, Any]]) -> list[str]:
    """``id: status`` of each line (``status`` or ``error`` alone when it has no id)."""
    return [f"{m['id']}: {m['status']}" if m.get("id") else str(m.get("status", m.get("error"))) for m in messages]


pytestmark = pytest.mark.anyio

BASE = {"bin/sh": b"#!shell", "etc/passwd": b"root:x:0:0::/root:/bin/sh\n"}
APP = {"app/run": b"run me" * 1000}


def ref(text: str):
    return parse_normalized_named(text)


async def pull(service: ImageService, name: str, **kwargs: object) -> list[dict[str, object]]:
    job = service.pull(ref(name), platform=kwargs.get("platform"), credentials=None)  # type: ignore[arg-type]
    await job.first()
    return await run_job(job)


async def test_pull_stores_layers_and_image_and_reports_like_docker(service: ImageService, publish: Publish) -> None:
    image = publish("app", "v1", [BASE, APP])
    messages = await pull(service, "registry.test/app:v1")
    short = [d.removeprefix("sha256:")[:12] for d in image.layer_digests]
    shown = statuses(messages)
    assert shown[0] == "v1: Pulling from app"
    assert f"{short[0]}: Pulling fs layer" in shown
    assert f"{short[1]}: Pulling fs layer" in shown
    for layer_id in short:
        order = [s for s in shown if s.startswith(layer_id)]
        assert order[-1] == f"{layer_id}: Pull complete"
        assert f"{layer_id}: Download complete" in order
        assert any(s == f"{layer_id}: Extracting" for s in order)
    assert shown[-2:] == [f"Digest: {image.manifest_digest}", "Status: Downloaded newer image for registry.test/app:v1"]
    extracting = next(m for m in messages if m.get("status") == "Extracting")
    assert set(extracting["progressDetail"]) <= {"current", "total"}  # type: ignore[arg-type]
    stored = service.get_image("registry.test/app:v1")
    assert stored.id == image.config_digest
    assert stored.config.rootfs.diff_ids == image.diff_ids
    tags, digests = service.repo_tags(stored.id)
    assert tags == ["registry.test/app:v1"]
    assert digests == [f"registry.test/app@{image.manifest_digest}"]
    for chain in chain_ids(image.diff_ids):
        assert service.layers.has(chain)
    assert list(service.distribution.scratch.iterdir()) == []


async def test_second_pull_is_up_to_date_and_shared_layers_already_exist(
    service: ImageService, publish: Publish
) -> None:
    publish("app", "v1", [BASE, APP])
    await pull(service, "registry.test/app:v1")
    again = statuses(await pull(service, "registry.test/app:v1"))
    assert again[-1] == "Status: Image is up to date for registry.test/app:v1"
    assert not any("Pulling fs layer" in s for s in again)
    other = publish("app", "v2", [BASE, {"app/other": b"x"}])
    shown = statuses(await pull(service, "registry.test/app:v2"))
    base_id = other.layer_digests[0].removeprefix("sha256:")[:12]
    assert f"{base_id}: Already exists" in shown
    assert shown[-1] == "Status: Downloaded newer image for registry.test/app:v2"


async def test_two_concurrent_pulls_download_each_layer_once(
    service: ImageService, publish: Publish, registry: FakeRegistry, holding: Holding
) -> None:
    image = publish("app", "v1", [BASE, APP])
    holding.active = True
    holding.only = set(image.layer_digests)
    results: list[list[str]] = []

    async def one() -> None:
        results.append(statuses(await pull(service, "registry.test/app:v1")))

    async with anyio.create_task_group() as group:
        group.start_soon(one)
        group.start_soon(one)
        await holding.wait_arrived(2)  # each layer, once
        await anyio.sleep(0.2)  # the second pull attaches to the transfers meanwhile
        holding.release.set()
    layer_gets = [
        r for r in registry.requests if r.method == "GET" and r.url.path.rsplit("/", 1)[-1] in image.layer_digests
    ]
    assert len(layer_gets) == 2
    assert all(r[-1].startswith("Status: ") for r in results)
    assert service.get_image("registry.test/app:v1").id == image.config_digest


async def test_unknown_tag_fails_before_any_output(service: ImageService, publish: Publish) -> None:
    publish("app", "v1", [BASE])
    job = service.pull(ref("registry.test/app:nope"), platform=None, credentials=None)
    with pytest.raises(errdefs.NotFound, match=r"manifest for registry.test/app:nope not found: manifest unknown"):
        await job.first()


async def test_corrupt_layer_leaves_nothing_and_a_later_pull_works(
    service: ImageService, publish: Publish, registry: FakeRegistry
) -> None:
    image = publish("app", "v1", [BASE, APP])
    good = registry.blobs[image.layer_digests[1]]
    registry.blobs[image.layer_digests[1]] = good[:-10] + bytes(10)
    messages = await pull(service, "registry.test/app:v1")
    assert "filesystem layer verification failed for digest" in str(messages[-1]["error"])
    assert messages[-1]["errorDetail"] == {"message": messages[-1]["error"]}
    assert service.find_image("registry.test/app:v1") is None
    assert service.layers.layers() == []
    assert list(service.distribution.scratch.iterdir()) == []
    registry.blobs[image.layer_digests[1]] = good
    shown = statuses(await pull(service, "registry.test/app:v1"))
    assert shown[-1] == "Status: Downloaded newer image for registry.test/app:v1"


async def test_layer_not_matching_the_config_is_refused(
    service: ImageService, publish: Publish, registry: FakeRegistry
) -> None:
    image = publish("app", "v1", [BASE])
    wrong = gzip.compress(layer_tar({"other": b"file"}), mtime=0)
    manifest = json.loads(registry.manifests["app"][image.manifest_digest][0])
    manifest["layers"][0].update(digest=registry.put_blob(wrong), size=len(wrong))
    registry.put_manifest("app", "bad", json.dumps(manifest).encode(), manifest["mediaType"])
    messages = await pull(service, "registry.test/app:bad")
    assert "diff ID mismatch" in str(messages[-1]["error"])
    assert service.layers.layers() == []


async def test_cancelled_pull_leaves_nothing_and_resumes_cleanly(
    service: ImageService, publish: Publish, holding: Holding
) -> None:
    image = publish("app", "v1", [BASE, APP])
    holding.active = True
    holding.only = set(image.layer_digests)
    job = service.pull(ref("registry.test/app:v1"), platform=None, credentials=None)
    await job.first()
    output = job.output()
    await holding.wait_arrived(2)
    await output.aclose()  # the client went away
    with anyio.fail_after(10), pytest.raises(errdefs.Cancelled):
        await job.result()
    assert service.distribution.downloads.active() == []
    assert service.layers.layers() == []
    assert list(service.distribution.scratch.iterdir()) == []
    holding.active = False
    shown = statuses(await pull(service, "registry.test/app:v1"))
    assert shown[-1] == "Status: Downloaded newer image for registry.test/app:v1"


async def test_pull_by_digest_records_the_digest(service: ImageService, publish: Publish) -> None:
    image = publish("app", "v1", [BASE])
    shown = statuses(await pull(service, f"registry.test/app@{image.manifest_digest}"))
    assert shown[0] == f"{image.manifest_digest}: Pulling from app"
    assert shown[-1] == f"Status: Downloaded newer image for registry.test/app@{image.manifest_digest}"
    assert service.repo_tags(image.config_digest) == ([], [f"registry.test/app@{image.manifest_digest}"])


async def test_pull_of_an_index_takes_the_wanted_platform(
    service: ImageService, publish: Publish, registry: FakeRegistry
) -> None:
    amd = publish("multi", "amd", [{"arch": b"amd64"}], arch="amd64", tag_it=False)
    arm = publish("multi", "arm", [{"arch": b"arm64"}], arch="arm64", tag_it=False)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "digest": published.manifest_digest,
                "size": len(registry.manifests["multi"][published.manifest_digest][0]),
                "platform": {"architecture": arch, "os": "linux"},
            }
            for published, arch in ((amd, "amd64"), (arm, "arm64"))
        ],
    }
    raw = json.dumps(index).encode()
    index_digest = registry.put_manifest("multi", "latest", raw, index["mediaType"])
    shown = statuses(await pull(service, "registry.test/multi", platform=Platform.parse("linux/arm64")))
    assert shown[-2] == f"Digest: {index_digest}"
    assert service.get_image("registry.test/multi:latest").id == arm.config_digest
    job = service.pull(ref("registry.test/multi:latest"), platform=Platform.parse("linux/s390x"), credentials=None)
    with pytest.raises(errdefs.NotFound, match="no matching manifest for linux/s390x"):
        await job.first()


async def test_pull_without_tag_pulls_every_tag(service: ImageService, publish: Publish) -> None:
    publish("app", "a", [BASE])
    publish("app", "b", [APP])
    shown = statuses(await pull(service, "registry.test/app"))
    assert shown[-1] == "Status: Downloaded newer image for registry.test/app"
    assert service.find_image("registry.test/app:a") is not None
    assert service.find_image("registry.test/app:b") is not None


async def test_pull_event_is_logged(service: ImageService, publish: Publish) -> None:
    publish("app", "v1", [BASE])
    await pull(service, "registry.test/app:v1")
    assert service.events is not None
    async with service.events.subscribe(0, time.time_ns(), api.Filters()) as stream:
        seen = [event async for event in stream]
    pulls = [e for e in seen if e.type == "image" and e.action == "pull"]
    assert [(e.actor.id, e.actor.attributes["name"]) for e in pulls] == [("registry.test/app:v1", "registry.test/app")]
