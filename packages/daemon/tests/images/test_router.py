"""The image and distribution routers over HTTP, driven by docker-py against a real server on a unix socket.

The image service behind them has real stores and pymoby-registry's fake
registry; what is checked is what a docker-py user sees: return values,
streamed progress, and ``APIError`` status codes and messages.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import docker
import docker.errors
import pytest

from pymoby.daemon.images import ImageService
from pymoby.daemon.server.router.image import ImageRouter

pytestmark = pytest.mark.anyio


def rootfs_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


Call = Callable[..., Any]


@pytest.fixture
async def client(service: ImageService, serve: Any) -> AsyncIterator[Call]:
    """``await client(lambda api: api.images())``: docker-py's low-level client in a worker thread."""
    async with serve([ImageRouter(service)]) as path:
        api = docker.APIClient(base_url=f"unix://{path}", version="1.45", timeout=30)

        async def call(function: Callable[[docker.APIClient], Any]) -> Any:
            return await anyio.to_thread.run_sync(function, api)

        try:
            yield call
        finally:
            api.close()


async def imported(client: Call, name: str, files: dict[str, bytes]) -> str:
    repo, _, tag = name.partition(":")
    out = await client(lambda api: api.import_image_from_data(rootfs_tar(files), repository=repo, tag=tag or None))
    return str(json.loads(out.strip().splitlines()[-1])["status"])


async def test_import_list_inspect_tag_history_and_remove(client: Call) -> None:
    image_id = await imported(client, "registry.test/app:1", {"hello": b"world"})
    assert image_id.startswith("sha256:")
    images = await client(lambda api: api.images())
    assert [(i["Id"], i["RepoTags"]) for i in images] == [(image_id, ["registry.test/app:1"])]
    assert await client(lambda api: api.images(quiet=True)) == [image_id]
    assert await client(lambda api: api.tag("registry.test/app:1", "other", "v2")) is True
    inspect = await client(lambda api: api.inspect_image("other:v2"))
    assert inspect["Id"] == image_id
    assert sorted(inspect["RepoTags"]) == ["other:v2", "registry.test/app:1"]
    assert inspect["Comment"] == "Imported from -"
    history = await client(lambda api: api.history("other:v2"))
    assert history[0]["Id"] == image_id
    assert history[0]["Comment"] == "Imported from -"
    removed = await client(lambda api: api.remove_image("other:v2"))
    assert removed == [{"Untagged": "other:v2"}]
    removed = await client(lambda api: api.remove_image("registry.test/app:1"))
    assert removed[0] == {"Untagged": "registry.test/app:1"}
    assert removed[1] == {"Deleted": image_id}


async def test_errors_have_dockers_status_codes(client: Call) -> None:
    with pytest.raises(docker.errors.ImageNotFound) as missing:
        await client(lambda api: api.inspect_image("ghost"))
    assert "No such image: ghost:latest" in str(missing.value)
    with pytest.raises(docker.errors.APIError) as bad:
        await client(lambda api: api.images(filters={"colour": "red"}))
    assert bad.value.status_code == 400
    with pytest.raises(docker.errors.APIError) as pulled:
        await client(lambda api: api.pull("registry.test/nope", tag="v1"))
    assert pulled.value.status_code == 404
    assert "manifest for registry.test/nope:v1 not found" in str(pulled.value)
    with pytest.raises(docker.errors.APIError) as commit:
        await client(lambda api: api.commit("some-container"))
    assert commit.value.status_code == 501
    with pytest.raises(docker.errors.APIError) as scratch:
        await client(lambda api: api.pull("scratch"))
    assert scratch.value.status_code == 403


async def test_push_pull_and_distribution_inspect_through_the_api(client: Call, service: ImageService) -> None:
    image_id = await imported(client, "registry.test/app:1", {"hello": b"world"})
    lines = await client(lambda api: list(api.push("registry.test/app", tag="1", stream=True, decode=True)))
    assert lines[0] == {"status": "The push refers to repository [registry.test/app]"}
    result = lines[-1]["aux"]
    assert result["Tag"] == "1"
    assert lines[-2]["status"] == f"1: digest: {result['Digest']} size: {result['Size']}"
    await client(lambda api: api.remove_image("registry.test/app:1"))
    pulled = await client(lambda api: list(api.pull("registry.test/app", tag="1", stream=True, decode=True)))
    assert pulled[0] == {"status": "Pulling from app", "id": "1"}
    assert pulled[-1] == {"status": "Status: Downloaded newer image for registry.test/app:1"}
    assert (await client(lambda api: api.inspect_image("registry.test/app:1")))["Id"] == image_id
    info = await client(lambda api: api.inspect_distribution("registry.test/app:1"))
    assert info["Descriptor"]["digest"] == result["Digest"]
    assert info["Descriptor"]["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert info["Platforms"] == [{"architecture": service.get_image(image_id).config.architecture, "os": "linux"}]


async def test_save_and_load_round_trip(client: Call, tmp_path: Path) -> None:
    image_id = await imported(client, "saved:1", {"file": b"content"})
    archive = b"".join(await client(lambda api: list(api.get_image("saved:1"))))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest[0]["RepoTags"] == ["saved:1"]
    await client(lambda api: api.remove_image("saved:1"))
    result = await client(lambda api: list(api.load_image(archive, quiet=True)))
    assert result == [{"stream": "Loaded image: saved:1\n"}]
    assert (await client(lambda api: api.inspect_image("saved:1")))["Id"] == image_id
    with pytest.raises(docker.errors.ImageNotFound):
        await client(lambda api: list(api.get_image("ghost:1")))
    broken = await client(lambda api: list(api.load_image(b"not a tar archive" * 100)))
    assert "error" in broken[-1]


async def test_prune_and_search(client: Call) -> None:
    dangling = await imported(client, "", {"x": b"y"})
    report = await client(lambda api: api.prune_images())
    assert report["ImagesDeleted"][0] == {"Deleted": dangling}
    with pytest.raises(docker.errors.APIError) as searched:
        await client(lambda api: api.search("registry.test/app"))
    assert searched.value.status_code == 400
    assert "does not support search" in str(searched.value)
