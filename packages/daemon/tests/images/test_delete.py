"""``docker rmi`` and ``docker image prune``: untag vs delete, conflicts, force, noprune, filters, events."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pymoby import api, errdefs
from pymoby.daemon.images import ImageConflict, ImageService, ImageUser
from pymoby.layer import chain_ids
from pymoby.reference import parse_normalized_named

pytestmark = pytest.mark.anyio

MakeImage = Any


def items(records: list[api.ImageDeleteResponseItem]) -> list[str]:
    return [f"Untagged: {r.untagged}" if r.untagged else f"Deleted: {r.deleted}" for r in records]


async def test_removing_one_of_two_tags_only_untags(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1"}, tag="one:1")
    service.references.add_tag(parse_normalized_named("two:1"), image.id)
    assert items(await service.delete_image("one:1", force=False, prune=True)) == ["Untagged: one:1"]
    assert image.id in service.images


async def test_removing_the_last_tag_deletes_the_image_and_its_layers(
    service: ImageService, make_image: MakeImage
) -> None:
    image = make_image({"a": b"1"}, {"b": b"2"}, tag="app")
    chains = chain_ids(image.config.rootfs.diff_ids)
    records = items(await service.delete_image("app", force=False, prune=True))
    assert records == ["Untagged: app:latest", f"Deleted: {image.id}", f"Deleted: {chains[1]}", f"Deleted: {chains[0]}"]
    assert image.id not in service.images
    assert service.layers.layers() == []


async def test_removing_by_id_prefix_removes_its_references(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1"}, tag="app:1")
    service.references.add_digest(parse_normalized_named("app@sha256:" + "ab" * 32), image.id)
    records = items(await service.delete_image(image.short_id, force=False, prune=True))
    assert records[:2] == ["Untagged: app:1", "Untagged: app@sha256:" + "ab" * 32]
    assert f"Deleted: {image.id}" in records


async def test_an_id_with_tags_in_two_repositories_needs_force(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1"}, tag="one:1")
    service.references.add_tag(parse_normalized_named("two:1"), image.id)
    with pytest.raises(
        ImageConflict,
        match=rf"unable to delete {image.short_id} \(must be forced\) - image is referenced in multiple repositories",
    ):
        await service.delete_image(image.short_id, force=False, prune=True)
    records = items(await service.delete_image(image.short_id, force=True, prune=True))
    assert records[:2] == ["Untagged: one:1", "Untagged: two:1"]


async def test_container_conflicts_running_is_hard_stopped_is_soft(
    service: ImageService, make_image: MakeImage, containers: Any
) -> None:
    image = make_image({"a": b"1"}, tag="used:1")
    containers.uses[image.id] = [ImageUser("c" * 64, False)]
    with pytest.raises(errdefs.Conflict) as caught:
        await service.delete_image("used:1", force=False, prune=True)
    assert str(caught.value) == (
        f'conflict: unable to remove repository reference "used:1" (must force) - container cccccccccccc '
        f"is using its referenced image {image.short_id}"
    )
    with pytest.raises(
        errdefs.Conflict, match=r"\(must be forced\) - image is being used by stopped container cccccccccccc"
    ):
        await service.delete_image(image.id, force=False, prune=True)
    containers.uses[image.id] = [ImageUser("d" * 64, True)]
    with pytest.raises(
        errdefs.Conflict, match=r"\(cannot be forced\) - image is being used by running container dddddddddddd"
    ):
        await service.delete_image(image.id, force=True, prune=True)
    containers.uses[image.id] = [ImageUser("c" * 64, False)]
    records = items(await service.delete_image(image.id, force=True, prune=True))
    assert f"Deleted: {image.id}" in records


async def test_child_images_block_deletion_and_parents_are_pruned(service: ImageService, make_image: MakeImage) -> None:
    base = make_image({"a": b"1"})
    child = make_image({"b": b"2"}, parent=base, tag="child:1")
    with pytest.raises(errdefs.Conflict, match="image has dependent child images"):
        await service.delete_image(base.id, force=True, prune=True)
    records = items(await service.delete_image("child:1", force=False, prune=True))
    assert f"Deleted: {child.id}" in records
    assert f"Deleted: {base.id}" in records
    assert len(service.images) == 0


async def test_noprune_keeps_the_untagged_parent(service: ImageService, make_image: MakeImage) -> None:
    base = make_image({"a": b"1"})
    make_image({"b": b"2"}, parent=base, tag="child:1")
    await service.delete_image("child:1", force=False, prune=False)
    assert base.id in service.images


async def test_unknown_image_and_blank_name(service: ImageService) -> None:
    with pytest.raises(errdefs.NotFound, match="No such image: ghost:latest"):
        await service.delete_image("ghost", force=False, prune=True)


async def test_delete_events(service: ImageService, make_image: MakeImage) -> None:
    image = make_image({"a": b"1"}, tag="ev:1")
    await service.delete_image("ev:1", force=False, prune=True)
    assert service.events is not None
    async with service.events.subscribe(0, time.time_ns(), api.Filters()) as stream:
        seen = [(e.action, e.actor.id) async for e in stream]
    assert seen == [("untag", image.id), ("delete", image.id)]


async def test_prune_removes_dangling_images_only_by_default(service: ImageService, make_image: MakeImage) -> None:
    keep = make_image({"a": b"1" * 10}, tag="keep:1")
    dangling = make_image({"b": b"2" * 20})
    report = await service.prune_images(api.Filters())
    assert next(r.deleted for r in report.images_deleted or []) == dangling.id
    assert report.space_reclaimed == 20
    assert keep.id in service.images
    assert dangling.id not in service.images


async def test_prune_all_removes_unused_tagged_images_with_label_filters(
    service: ImageService, make_image: MakeImage, containers: Any
) -> None:
    used = make_image({"a": b"1"}, tag="used:1")
    prod = make_image({"b": b"2"}, tag="prod:1", labels={"env": "prod"})
    dev = make_image({"c": b"3"}, tag="dev:1", labels={"env": "dev"})
    containers.uses[used.id] = [ImageUser("c" * 64, False)]
    report = await service.prune_images(api.Filters({"dangling": ["false"], "label!": ["env=prod"]}))
    deleted = {r.deleted for r in report.images_deleted or [] if r.deleted}
    assert dev.id in deleted
    assert prod.id in service.images
    assert used.id in service.images
    with pytest.raises(errdefs.InvalidParameter, match="invalid filter 'reference'"):
        await service.prune_images(api.Filters({"reference": ["x"]}))


async def test_prune_until(service: ImageService, make_image: MakeImage) -> None:
    old = make_image({"a": b"1"}, created="2020-01-01T00:00:00Z")
    new = make_image({"b": b"2"}, created="2030-01-01T00:00:00Z")
    await service.prune_images(api.Filters({"until": ["2025-01-01T00:00:00Z"]}))
    assert old.id not in service.images
    assert new.id in service.images
