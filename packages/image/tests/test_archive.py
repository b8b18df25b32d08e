"""Save and load round trips, the OCI layout, and archives that must be refused."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from typing import Any

import pytest

from pymoby.image import InvalidArchive, SaveItem, UnsupportedArchive, import_rootfs, load, save
from pymoby.layer.testing import TarItem, build_tar
from pymoby.reference import parse_normalized_named


def _image(stores: Any) -> str:
    tar = build_tar([TarItem("etc", b"5"), TarItem("etc/hostname", data=b"box\n")])
    return import_rootfs(io.BytesIO(tar), stores.images, stores.layers).id


def _members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_save_writes_manifest_json_and_an_oci_layout(stores: Any) -> None:
    image_id = _image(stores)
    members = _members(b"".join(save(stores.images, stores.layers, [SaveItem(image_id, ["box:1"])])))
    manifest = json.loads(members["manifest.json"])
    assert manifest[0]["RepoTags"] == ["box:1"]
    assert members[manifest[0]["Config"]] == stores.images.get(image_id).raw
    assert json.loads(members["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(members["index.json"])
    descriptor = index["manifests"][0]
    assert descriptor["annotations"]["io.containerd.image.name"] == "docker.io/library/box:1"
    oci_manifest = members["blobs/sha256/" + descriptor["digest"].removeprefix("sha256:")]
    assert "sha256:" + hashlib.sha256(oci_manifest).hexdigest() == descriptor["digest"]
    for layer in json.loads(oci_manifest)["layers"]:
        blob = members["blobs/sha256/" + layer["digest"].removeprefix("sha256:")]
        assert "sha256:" + hashlib.sha256(blob).hexdigest() == layer["digest"]
    assert json.loads(members["repositories"]) == {"box": {"1": manifest[0]["Layers"][-1].rpartition("/")[2]}}


def test_save_then_load_into_empty_stores(stores: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    image_id = _image(stores)
    archive = b"".join(save(stores.images, stores.layers, [SaveItem(image_id, ["box:1", "other/box:2"])]))
    from pymoby.image import ImageStore
    from pymoby.layer import LayerStore
    from pymoby.reference import ReferenceStore

    root = tmp_path_factory.mktemp("second")
    with LayerStore(root, "vfs") as layers:
        images = ImageStore(root / "imagedb", layers)
        references = ReferenceStore(root / "repositories.json")
        lines: list[str] = []
        (loaded,) = load(io.BytesIO(archive), images, layers, references, progress=lines.append)
        assert loaded.image.id == image_id
        assert lines == ["Loaded image: box:1", "Loaded image: other/box:2"]
        assert references.get(parse_normalized_named("other/box:2")) == image_id
        # Loading again reuses the layers already there.
        (again,) = load(io.BytesIO(archive), images, layers, references)
        assert again.image.id == image_id
        assert len(layers.layers()) == 1


def test_an_oci_layout_without_manifest_json_loads(stores: Any) -> None:
    image_id = _image(stores)
    members = _members(b"".join(save(stores.images, stores.layers, [SaveItem(image_id, ["box:oci"])])))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in members.items():
            if name in ("manifest.json", "repositories"):
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    stores.images.delete(image_id)
    (loaded,) = load(io.BytesIO(out.getvalue()), stores.images, stores.layers, stores.references)
    assert loaded.image.id == image_id
    assert loaded.tags == ["box:oci"]


def _archive(files: dict[str, bytes]) -> bytes:
    return build_tar([TarItem(name, data=data) for name, data in files.items()])


def test_a_layer_that_does_not_match_its_config_is_refused(stores: Any) -> None:
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "e" * 64]}}).encode()
    archive = _archive(
        {
            "c.json": config,
            "l.tar": build_tar([TarItem("x", data=b"x")]),
            "manifest.json": json.dumps([{"Config": "c.json", "Layers": ["l.tar"], "RepoTags": ["bad:1"]}]).encode(),
        }
    )
    with pytest.raises(InvalidArchive, match="diff ID mismatch"):
        load(io.BytesIO(archive), stores.images, stores.layers, stores.references)
    assert stores.layers.layers() == []
    assert stores.images.images() == []


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        ({"hello": b"x"}, InvalidArchive, "no manifest.json"),
        ({"repositories": b"{}"}, UnsupportedArchive, "legacy"),
        ({"manifest.json": b"{}"}, InvalidArchive, "not a list"),
        ({"manifest.json": b'[{"Config": "../../etc/passwd", "Layers": []}]'}, InvalidArchive, "outside"),
        ({"manifest.json": b'[{"Config": "missing.json", "Layers": []}]'}, InvalidArchive, "missing.json"),
    ],
)
def test_malformed_archives_are_refused(stores: Any, files: dict[str, bytes], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        load(io.BytesIO(_archive(files)), stores.images, stores.layers, stores.references)
