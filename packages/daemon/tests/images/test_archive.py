"""``docker save`` / ``load`` / ``import`` through the service: names, tags, progress, errors."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import pytest

from pymoby import errdefs
from pymoby.daemon.distribution import Job
from pymoby.daemon.images import ImageService
from pymoby.reference import parse_normalized_named

pytestmark = pytest.mark.anyio

MakeImage = Any


def receiver(data: bytes):
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]

    async def receive() -> bytes:
        return chunks.pop(0) if chunks else b""

    return receive


async def read(job: Job) -> bytes:
    await job.first()
    return b"".join([chunk async for chunk in job.output()])


async def test_save_names_tags_as_docker_picks_them(service: ImageService, make_image: MakeImage) -> None:
    one = make_image({"a": b"1"}, tag="repo:1")
    service.references.add_tag(parse_normalized_named("repo:2"), one.id)
    other = make_image({"b": b"2"}, tag="other:x")
    archive = await read(await service.save(["repo", other.short_id]))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert [(m["Config"].rsplit("/", 1)[-1], m["RepoTags"]) for m in manifest] == [
        (one.id.removeprefix("sha256:"), ["repo:1", "repo:2"]),
        (other.id.removeprefix("sha256:"), None),
    ]
    with pytest.raises(errdefs.NotFound, match="No such image: ghost"):
        await service.save(["ghost"])


async def test_load_with_progress_then_without(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"file": b"x" * 100_000}, tag="loaded:1")
    archive = await read(await service.save(["loaded:1"]))
    await service.delete_image("loaded:1", force=False, prune=True)
    lines = [json.loads(line) for line in (await read(service.load(receiver(archive), quiet=False))).splitlines()]
    layer_id = image.config.rootfs.diff_ids[0].removeprefix("sha256:")[:12]
    progress = [line for line in lines if line.get("status") == "Loading layer"]
    assert progress
    assert progress[-1]["id"] == layer_id
    assert progress[-1]["progressDetail"]["current"] == progress[-1]["progressDetail"]["total"]
    assert lines[-1] == {"stream": "Loaded image: loaded:1\n"}
    quiet = [json.loads(line) for line in (await read(service.load(receiver(archive), quiet=True))).splitlines()]
    assert quiet == [{"stream": "Loaded image: loaded:1\n"}]


async def test_a_broken_archive_ends_the_load_stream_with_an_error(service: ImageService) -> None:
    job = service.load(receiver(b"junk" * 1000), quiet=True)
    output = b"".join([chunk async for chunk in job.output()])  # as the router streams it: no first()
    lines = [json.loads(line) for line in output.splitlines()]
    assert lines[-1]["error"].startswith("invalid tar header")
    assert len(service.images) == 0


async def test_import_with_changes_and_a_tag(service: ImageService) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"world"))
    job = service.import_image(
        receiver(buffer.getvalue()),
        source="-",
        ref=parse_normalized_named("imported:1"),
        message="",
        changes=["ENV A=b", "CMD ls"],
        platform=None,
    )
    lines = [json.loads(line) for line in (await read(job)).splitlines()]
    image = service.get_image("imported:1")
    assert lines == [{"status": image.id}]
    assert image.config.config is not None
    assert image.config.config.env == ["A=b"]
    assert image.config.config.cmd == ["/bin/sh", "-c", "ls"]
    assert image.config.history[0].comment == "Imported from -"
    bad = service.import_image(receiver(b""), source="-", ref=None, message="", changes=["RUN x"], platform=None)
    with pytest.raises(errdefs.InvalidParameter, match="run is not a valid change command"):
        await bad.first()
