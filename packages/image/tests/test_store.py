"""The image store: content addressing, lookup by prefix, parents, deletion rules, persistence."""

from __future__ import annotations

import io
from typing import Any

import pytest

from pymoby.image import (
    AmbiguousImageID,
    ContainerConfig,
    ImageConfig,
    ImageInUse,
    ImageStore,
    RootFS,
    UnknownImage,
    encode_config,
    import_rootfs,
)
from pymoby.layer import UnknownLayer
from pymoby.layer.testing import TarItem, build_tar


def _config(diff_ids: list[str], cmd: str) -> bytes:
    return encode_config(
        ImageConfig(
            architecture="amd64", os="linux", config=ContainerConfig(cmd=[cmd]), rootfs=RootFS("layers", diff_ids)
        )
    )


def test_create_is_content_addressed_and_idempotent(stores: Any) -> None:
    layer = stores.layers.register(io.BytesIO(build_tar([TarItem("a", data=b"a")])))
    raw = _config([layer.diff_id], "sh")
    first = stores.images.create(raw)
    assert first.id.startswith("sha256:")
    assert stores.images.create(raw) == first
    assert stores.images.get(first.id.removeprefix("sha256:")).raw == raw
    stores.layers.release(layer.chain_id)
    assert stores.layers.has(layer.chain_id), "the image holds its layers"


def test_an_image_needs_its_layers(stores: Any) -> None:
    with pytest.raises(UnknownLayer):
        stores.images.create(_config(["sha256:" + "d" * 64], "sh"))


def test_search_by_prefix_and_ambiguity(stores: Any) -> None:
    made = [stores.images.create(_config([], f"cmd{i}")) for i in range(40)]
    target = made[0]
    assert stores.images.search(target.id) == target
    assert stores.images.search(target.id[7:19]) == target
    assert stores.images.search("sha256:" + target.id[7:19]) == target
    by_first_digit: dict[str, int] = {}
    for image in made:
        by_first_digit[image.id[7]] = by_first_digit.get(image.id[7], 0) + 1
    shared = next(digit for digit, count in by_first_digit.items() if count > 1)
    with pytest.raises(AmbiguousImageID, match="ambiguous"):
        stores.images.search(shared)
    with pytest.raises(UnknownImage, match="No such image"):
        stores.images.search("busybox")
    with pytest.raises(UnknownImage):
        stores.images.get("sha256:" + "0" * 64)


def test_delete_refuses_images_in_use_and_releases_layers(stores: Any) -> None:
    users: dict[str, str] = {}
    images = ImageStore(stores.root / "image" / "vfs" / "guarded", stores.layers, in_use=users.get)
    layer = stores.layers.register(io.BytesIO(build_tar([TarItem("a", data=b"a")])))
    parent = images.create(_config([layer.diff_id], "parent"))
    child = images.create(_config([layer.diff_id], "child"))
    stores.layers.release(layer.chain_id)
    images.set_parent(child.id, parent.id)
    assert images.get_parent(child.id) == parent.id
    assert images.children(parent.id) == [child.id]
    with pytest.raises(ImageInUse, match="dependent child images"):
        images.delete(parent.id)
    users[child.id] = "container 1234abcd"
    with pytest.raises(ImageInUse, match="being used by container 1234abcd"):
        images.delete(child.id)
    users.clear()
    images.delete(child.id)
    assert stores.layers.has(layer.chain_id)
    images.delete(parent.id)
    assert not stores.layers.has(layer.chain_id)


def test_images_survive_a_restart(stores: Any) -> None:
    layer = stores.layers.register(io.BytesIO(build_tar([TarItem("a", data=b"a")])))
    image = stores.images.create(_config([layer.diff_id], "sh"))
    child = stores.images.create(_config([layer.diff_id], "child"))
    stores.images.set_last_updated(image.id)
    stores.images.set_parent(child.id, image.id)
    reopened = stores.reopen_images()
    assert reopened.get(image.id).raw == image.raw
    assert reopened.get_last_updated(image.id) is not None
    assert len(reopened) == 2
    assert reopened.get_parent(child.id) == image.id
    assert reopened.children(image.id) == [child.id]
    with pytest.raises(ImageInUse, match="dependent child images"):
        reopened.delete(image.id)


def test_import_makes_a_one_layer_image(stores: Any) -> None:
    tar = build_tar([TarItem("bin", b"5"), TarItem("bin/sh", data=b"#!", mode=0o755)])
    image = import_rootfs(io.BytesIO(tar), stores.images, stores.layers, config=ContainerConfig(cmd=["/bin/sh"]))
    assert len(image.config.rootfs.diff_ids) == 1
    assert image.config.history[0].comment == "Imported from -"
    assert image.config.config is not None
    assert image.config.config.cmd == ["/bin/sh"]
    assert image.chain_id is not None
    assert stores.layers.references(image.chain_id) == 1
