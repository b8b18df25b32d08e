"""``docker image inspect`` and ``docker history``: Docker's shapes, per API version."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from pymoby import api, errdefs
from pymoby.daemon.images import ImageService
from pymoby.reference import parse_normalized_named

pytestmark = pytest.mark.anyio

MakeImage = Any


async def test_inspect_has_dockers_fields(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1" * 10}, {"b": b"2" * 5}, tag="app:1", created="2024-03-04T05:06:07.120000000Z")
    service.references.add_digest(parse_normalized_named("app@sha256:" + "cd" * 32), image.id)
    inspect = await service.inspect_image("app:1")
    data = msgspec.json.decode(api.encode(inspect))
    assert data["Id"] == image.id
    assert data["RepoTags"] == ["app:1"]
    assert data["RepoDigests"] == ["app@sha256:" + "cd" * 32]
    assert data["Created"] == "2024-03-04T05:06:07.12Z"
    assert data["Size"] == 15
    assert data["Os"] == "linux"
    assert data["Architecture"] == "amd64"
    assert data["RootFS"] == {"Type": "layers", "Layers": image.config.rootfs.diff_ids}
    assert data["Config"]["Cmd"] == ["sh"]
    assert data["Config"]["Hostname"] == ""
    assert data["GraphDriver"]["Name"] == "vfs"
    assert data["Metadata"] == {"LastTagTime": "0001-01-01T00:00:00Z"}
    assert "VirtualSize" not in data
    assert "ContainerConfig" not in data
    assert "Variant" not in data
    old = msgspec.json.decode(api.encode(await service.inspect_image("app:1", (1, 43))))
    assert old["VirtualSize"] == 15
    assert old["Container"] == ""
    assert isinstance(old["ContainerConfig"], dict)


async def test_tagging_sets_last_tag_time_and_events(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1"})
    await service.tag(image.short_id, parse_normalized_named("new:tag"))
    inspect = await service.inspect_image("new:tag")
    assert inspect.metadata.last_tag_time.startswith("20")
    assert inspect.repo_tags == ["new:tag"]
    with pytest.raises(errdefs.NotFound, match="No such image: ghost:latest"):
        await service.tag("ghost", parse_normalized_named("x:y"))


async def test_lookup_rules(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1"}, tag="example.com/app:1")
    for name in (image.id, image.id.removeprefix("sha256:"), image.short_id, "example.com/app:1"):
        assert (await service.inspect_image(name)).id == image.id
    with pytest.raises(errdefs.NotFound, match=r"No such image: example\.com/app:latest"):
        await service.inspect_image("example.com/app")
    with pytest.raises(errdefs.InvalidParameter, match="must be lowercase"):
        await service.inspect_image("Upper")


async def test_history_walks_parents(service: ImageService, make_image: MakeImage) -> None:
    base = make_image({"a": b"1" * 100}, tag="base:1")
    child = make_image(
        {"b": b"2" * 7},
        parent=base,
        tag="child:1",
        history=[
            {"created": "2024-01-01T00:00:00Z", "created_by": "step 0"},
            {"created": "2024-01-05T00:00:00Z", "created_by": "/bin/sh -c #(nop) ENV A=b", "empty_layer": True},
            {"created": "2024-01-06T00:00:00Z", "created_by": "step 1", "comment": "hi"},
        ],
    )
    history = await service.image_history("child:1")
    assert [(h.id, h.created_by, h.size, h.tags) for h in history] == [
        (child.id, "step 1", 7, ["child:1"]),
        (base.id, "/bin/sh -c #(nop) ENV A=b", 0, ["base:1"]),
        ("<missing>", "step 0", 100, None),
    ]
    assert history[0].comment == "hi"
    assert history[0].created == 1704499200
