"""Images move between dockerd and pymoby through docker save / docker load, keeping their IDs."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.dockerd import Dockerd

from pymoby.image import ImageStore, SaveItem, import_rootfs, load, save
from pymoby.layer import LayerStore
from pymoby.reference import ReferenceStore, parse_normalized_named

pytestmark = pytest.mark.root


@dataclass
class Stores:
    """Our layer, image and reference stores on one data root."""

    layers: LayerStore
    images: ImageStore
    references: ReferenceStore


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    """Fresh pymoby stores (overlay2), closed afterwards."""
    layers = LayerStore(tmp_path / "data", "overlay2")
    try:
        images = ImageStore(tmp_path / "data" / "image" / "overlay2" / "imagedb", layers)
        references = ReferenceStore(tmp_path / "data" / "image" / "overlay2" / "repositories.json")
        yield Stores(layers, images, references)
    finally:
        layers.close()


def _docker_id(dockerd: Dockerd, name: str) -> str:
    return dockerd.docker("image", "inspect", "--format", "{{.Id}}", name).stdout.decode().strip()


@pytest.fixture(scope="module")
def docker_busybox(dockerd: Dockerd, busybox_tar: Path) -> str:
    """busybox imported into dockerd (there is no Docker Hub here), with a second layer built on it."""
    dockerd.docker("import", "--change", 'CMD ["/bin/sh"]', str(busybox_tar), "busybox:latest")
    return _docker_id(dockerd, "busybox:latest")


def test_an_image_saved_by_dockerd_loads_with_the_same_id(
    dockerd: Dockerd, docker_busybox: str, stores: Stores, tmp_path: Path
) -> None:
    archive = tmp_path / "busybox.tar"
    dockerd.docker("save", "-o", str(archive), "busybox:latest")
    with archive.open("rb") as stream:
        loaded = load(stream, stores.images, stores.layers, stores.references)
    assert [item.image.id for item in loaded] == [docker_busybox]
    assert loaded[0].messages() == ["Loaded image: busybox:latest"]
    assert stores.references.get(parse_normalized_named("busybox")) == docker_busybox
    image = stores.images.get(docker_busybox)
    assert image.config.config is not None
    assert image.config.config.cmd == ["/bin/sh"]
    rw = stores.layers.create_rw_layer("c1", image.chain_id)
    root = rw.mount()
    try:
        assert (root / "bin" / "busybox").is_file()
        assert (root / "bin" / "sh").is_symlink()
    finally:
        rw.unmount()
        stores.layers.release_rw_layer("c1")


def test_an_image_saved_by_pymoby_loads_into_dockerd_with_the_same_ids(
    dockerd: Dockerd, busybox_tar: Path, stores: Stores, tmp_path: Path
) -> None:
    with busybox_tar.open("rb") as stream:
        image = import_rootfs(stream, stores.images, stores.layers, message="from pymoby")
    archive = tmp_path / "ours.tar"
    with archive.open("wb") as out:
        for chunk in save(stores.images, stores.layers, [SaveItem(image.id, ["pymoby/busybox:v1"])]):
            out.write(chunk)
    result = dockerd.docker("load", "-i", str(archive))
    assert "Loaded image: pymoby/busybox:v1" in result.stdout.decode()
    assert _docker_id(dockerd, "pymoby/busybox:v1") == image.id
    inspect = json.loads(dockerd.docker("image", "inspect", image.id).stdout)
    assert inspect[0]["RootFS"]["Layers"] == image.config.rootfs.diff_ids
    assert inspect[0]["Comment"] == "from pymoby"


def test_a_round_trip_through_dockerd_keeps_layers_byte_for_byte(
    dockerd: Dockerd, docker_busybox: str, stores: Stores, tmp_path: Path
) -> None:
    first = tmp_path / "first.tar"
    dockerd.docker("save", "-o", str(first), "busybox:latest")
    with first.open("rb") as stream:
        (loaded,) = load(stream, stores.images, stores.layers, stores.references)
    ours = b"".join(save(stores.images, stores.layers, [SaveItem(loaded.image.id, ["busybox:copy"])]))
    with tarfile.open(fileobj=io.BytesIO(ours)) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
        index = json.loads(archive.extractfile("index.json").read())  # type: ignore[union-attr]
        assert manifest[0]["RepoTags"] == ["busybox:copy"]
        assert index["manifests"][0]["annotations"]["io.containerd.image.name"] == "docker.io/library/busybox:copy"
        for layer_path, diff_id in zip(manifest[0]["Layers"], loaded.image.config.rootfs.diff_ids, strict=True):
            data = archive.extractfile(layer_path).read()  # type: ignore[union-attr]
            assert "sha256:" + hashlib.sha256(data).hexdigest() == diff_id
    dockerd.docker("load", "-i", "/dev/stdin", input=ours)
    assert _docker_id(dockerd, "busybox:copy") == docker_busybox
