"""``docker images``: filters, ``all``, sizes, shared sizes, containers, order."""

from __future__ import annotations

from typing import Any

import pytest

from pymoby import api, errdefs
from pymoby.daemon.images import ImageService, ImageUser
from pymoby.reference import parse_normalized_named

pytestmark = pytest.mark.anyio

MakeImage = Any


def filters(**values: list[str]) -> api.Filters:
    return api.Filters(values)


async def test_list_is_newest_first_with_tags_digests_sizes_and_labels(
    service: ImageService, make_image: MakeImage
) -> None:
    old = make_image({"a": b"1" * 100}, tag="old:1", created="2024-01-01T00:00:00Z")
    new = make_image({"b": b"2" * 50}, tag="new:1", labels={"team": "x"}, created="2024-02-01T00:00:00.5Z")
    listed = await service.list_images(filters())
    assert [s.id for s in listed] == [new.id, old.id]
    first = listed[0]
    assert first.repo_tags == ["new:1"]
    assert first.repo_digests == []
    assert first.labels == {"team": "x"}
    assert first.size == 50
    assert first.created == 1706745600
    assert first.shared_size == -1
    assert first.containers == 0


async def test_intermediate_untagged_parents_are_hidden_unless_all(
    service: ImageService, make_image: MakeImage
) -> None:
    base = make_image({"a": b"1"})
    child = make_image({"b": b"2"}, parent=base, tag="child:1")
    assert [s.id for s in await service.list_images(filters())] == [child.id]
    assert {s.id for s in await service.list_images(filters(), all_images=True)} == {base.id, child.id}
    (summary,) = await service.list_images(filters())
    assert summary.parent_id == base.id


async def test_dangling_filter(service: ImageService, make_image: MakeImage) -> None:
    tagged = make_image({"a": b"1"}, tag="t:1")
    dangling = make_image({"b": b"2"})
    assert [s.id for s in await service.list_images(filters(dangling=["true"]))] == [dangling.id]
    assert [s.id for s in await service.list_images(filters(dangling=["false"]))] == [tagged.id]
    with pytest.raises(errdefs.InvalidParameter, match=r"invalid filter 'dangling=\[maybe\]'"):
        await service.list_images(filters(dangling=["maybe"]))


async def test_label_before_since_and_reference_filters(service: ImageService, make_image: MakeImage) -> None:
    a = make_image({"a": b"1"}, tag="example.com/team/a:1", labels={"env": "prod"}, created="2024-01-01T00:00:00Z")
    b = make_image({"b": b"2"}, tag="b:1", labels={"env": "dev"}, created="2024-01-02T00:00:00Z")
    c = make_image({"c": b"3"}, tag="c:2", created="2024-01-03T00:00:00Z")
    assert [s.id for s in await service.list_images(filters(label=["env=prod"]))] == [a.id]
    assert {s.id for s in await service.list_images(filters(label=["env"]))} == {a.id, b.id}
    assert [s.id for s in await service.list_images(filters(before=["b:1"]))] == [a.id]
    assert [s.id for s in await service.list_images(filters(since=["b:1"]))] == [c.id]
    assert [s.id for s in await service.list_images(filters(reference=["b"]))] == [b.id]
    assert [s.id for s in await service.list_images(filters(reference=["*:2"]))] == [c.id]
    assert [s.id for s in await service.list_images(filters(reference=["example.com/team/*"]))] == [a.id]
    assert [s.id for s in await service.list_images(filters(reference=["docker.io/library/c"]))] == [c.id]
    with pytest.raises(errdefs.NotFound, match="No such image: nothing:latest"):
        await service.list_images(filters(before=["nothing"]))
    with pytest.raises(errdefs.InvalidParameter, match="invalid filter 'colour'"):
        await service.list_images(filters(colour=["red"]))


async def test_reference_filter_keeps_only_matching_tags(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1"}, tag="one:1")
    service.references.add_tag(parse_normalized_named("two:1"), image.id)
    (summary,) = await service.list_images(filters(reference=["two"]))
    assert summary.repo_tags == ["two:1"]


async def test_shared_size_counts_layers_of_other_images(service: ImageService, make_image: MakeImage) -> None:
    base = make_image({"a": b"1" * 1000}, tag="base:1")
    child = make_image({"b": b"2" * 10}, parent=base, tag="child:1")
    listed = {s.id: s for s in await service.list_images(filters(), shared_size=True)}
    assert listed[base.id].shared_size == 1000
    assert listed[child.id].shared_size == 1000
    assert listed[child.id].size == 1010


async def test_containers_count_comes_from_the_container_side(
    service: ImageService, make_image: MakeImage, containers: Any
) -> None:
    image = make_image({"a": b"1"}, tag="used:1")
    containers.uses[image.id] = [ImageUser("c1", True), ImageUser("c2", False)]
    (summary,) = await service.list_images(filters())
    assert summary.containers == 2
