"""docker-py's image calls against pymobyd and real registries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
from support.pymobyd import Pymobyd
from support.registry import RegistryServer

from pymoby.registry import Credentials

pytestmark = pytest.mark.root

Tools = Any
Publish = Any


@pytest.fixture(scope="module")
def client(daemon: Pymobyd, busybox_archive: tuple[Path, str]) -> Iterator[docker.DockerClient]:
    """docker-py's client on the module's daemon, busybox loaded."""
    client = docker.DockerClient(base_url=daemon.host, version="1.45", timeout=120)
    archive, _ = busybox_archive
    with archive.open("rb") as file:
        client.images.load(file.read())
    try:
        yield client
    finally:
        client.close()


def test_list_get_tag_and_remove(client: docker.DockerClient, busybox_archive: tuple[Path, str]) -> None:
    _, busybox = busybox_archive
    image = client.images.get("busybox")
    assert image.id == busybox
    assert image.tags == ["busybox:latest"]
    assert image.tag("tagged", "v1") is True
    assert {i.id for i in client.images.list(name="tagged")} == {busybox}
    assert client.images.list(filters={"reference": "nothing-*"}) == []
    client.images.remove("tagged:v1")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("tagged:v1")


def test_pull_push_and_registry_data(client: docker.DockerClient, registry: RegistryServer, publish: Publish) -> None:
    digest = publish(registry, "py/app:v1", [200_000, 100_000], seed=51)
    image = client.images.pull(f"{registry.host}/py/app", tag="v1")
    assert f"{registry.host}/py/app:v1" in image.tags
    assert image.attrs["RepoDigests"] == [f"{registry.host}/py/app@{digest}"]
    data = client.images.get_registry_data(f"{registry.host}/py/app:v1")
    assert data.id == digest
    assert data.has_platform("linux/amd64")
    image.tag(f"{registry.host}/py/copy", "v2")
    lines = list(client.images.push(f"{registry.host}/py/copy", tag="v2", stream=True, decode=True))
    assert lines[0]["status"] == f"The push refers to repository [{registry.host}/py/copy]"
    assert lines[-1]["aux"]["Tag"] == "v2"
    assert "error" not in lines[-1]


def test_errors(client: docker.DockerClient, registry: RegistryServer) -> None:
    with pytest.raises(docker.errors.NotFound) as missing:
        client.images.pull(f"{registry.host}/py/none", tag="v1")
    assert "manifest for" in str(missing.value)
    with pytest.raises(docker.errors.APIError) as bad:
        client.api.pull("Bad/Name", tag="v1")
    assert bad.value.status_code == 400
    assert "must be lowercase" in str(bad.value)
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.remove("ghost:1")


def test_save_load_and_prune(client: docker.DockerClient, busybox_archive: tuple[Path, str]) -> None:
    _, busybox = busybox_archive
    archive = b"".join(client.images.get("busybox").save(named=True))
    client.images.get("busybox").tag("prunable", "1")
    (loaded,) = client.images.load(archive)
    assert loaded.id == busybox
    report = client.images.prune(filters={"dangling": False, "label": "nothing=here"})
    assert report["ImagesDeleted"] is None
    assert report["SpaceReclaimed"] == 0
    client.images.remove("prunable:1")


def test_credentials_from_x_registry_auth(
    client: docker.DockerClient, token_registry: RegistryServer, publish: Publish
) -> None:
    publish(token_registry, "py/private:v1", [50_000], seed=81, credentials=Credentials("alice", "wonderland"))
    name = f"{token_registry.host}/py/private"
    with pytest.raises(docker.errors.APIError) as wrong:
        client.images.pull(name, tag="v1", auth_config={"username": "alice", "password": "nope"})
    assert wrong.value.status_code == 401
    image = client.images.pull(name, tag="v1", auth_config={"username": "alice", "password": "wonderland"})
    assert f"{name}:v1" in image.tags
