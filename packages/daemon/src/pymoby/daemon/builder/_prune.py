"""``POST /build/prune``: the classic builder's cache is its intermediate images; this removes the dangling ones.

A build leaves one image per step, each the parent of the next; the final
one is tagged. When a tag moves to a newer build (or the image is removed
without pruning its parents), the old chain is left with no tag and no
child: that is the cache this deletes, from the tip down, one parent at a
time, stopping at images that are tagged, have other children, are used
by a container, or have no parent (pulled and loaded images are never
build cache). ``until`` keeps what was created after the given time; the
other filters of BuildKit's cache are accepted and have nothing to select
here. The space reclaimed is what the layer store frees.
"""

from __future__ import annotations

import time

import anyio

from pymoby import api, errdefs
from pymoby.image import Image, InvalidImageConfig, parse_time

from ..events import parse_timestamp
from ._backend import BuildImages, EventLog

__all__ = ["PRUNE_FILTERS", "prune_build_cache"]

#: The filters ``docker builder prune`` may send.
PRUNE_FILTERS = frozenset({"until", "id", "parent", "type", "description", "inuse", "shared", "private"})


def _created_ns(image: Image) -> int:
    try:
        return int(parse_time(image.config.created or "").timestamp() * 1_000_000_000)
    except InvalidImageConfig:
        return 0


def _until(filters: api.Filters) -> int | None:
    values = filters.get("until")
    if not values:
        return None
    if len(values) > 1:
        raise errdefs.InvalidParameter("more than one until filter specified")
    return parse_timestamp(next(iter(values)), time.time_ns())


def _candidates(images: BuildImages, until: int | None) -> list[str]:
    found = []
    for image in images.images.images():
        if images.images.get_parent(image.id) is None or not images.is_dangling(image.id):
            continue
        if until is not None and _created_ns(image) > until:
            continue
        found.append(image.id)
    return found


async def prune_build_cache(
    images: BuildImages, filters: api.Filters, *, all_cache: bool = False, events: EventLog | None = None
) -> api.BuildCachePruneResponse:
    """Delete the dangling build images (see the module docstring); what was deleted and the bytes freed.

    ``all_cache`` changes nothing: every dangling build image is unused. Raises ``InvalidParameter`` for bad filters.
    """
    filters.validate(PRUNE_FILTERS)
    until = _until(filters)
    before = await anyio.to_thread.run_sync(images.layers.disk_usage)
    deleted: list[str] = []
    while True:
        round_deleted = 0
        for image_id in await anyio.to_thread.run_sync(_candidates, images, until):
            try:
                await images.delete_image(image_id, force=False, prune=False)
            except (errdefs.Conflict, errdefs.NotFound):
                continue  # a container uses it, or it went meanwhile
            deleted.append(image_id)
            round_deleted += 1
        if not round_deleted:
            break
    after = await anyio.to_thread.run_sync(images.layers.disk_usage)
    reclaimed = max(before - after, 0)
    if events is not None:
        events.log("builder", "prune", "", {"reclaimed": str(reclaimed)})
    return api.BuildCachePruneResponse(caches_deleted=deleted, space_reclaimed=reclaimed)
