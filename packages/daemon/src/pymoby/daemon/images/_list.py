"""``GET /images/json``: the image list with Docker's filters, sizes and shared sizes.

Filters (``filters={"name": {"value": true}}``): ``dangling`` (true: only
untagged images with no child; false: only tagged ones), ``label``
(``key`` or ``key=value``), ``before`` and ``since`` (an image reference:
created before / after it), ``until`` (a timestamp or duration),
``reference`` (a ``path.Match`` pattern against the familiar and full
forms of each tag and digest). Without ``all``, untagged images that are
parents of others (intermediate layers of a build) are left out. Newest
first.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pymoby import api, errdefs
from pymoby.image import Image
from pymoby.layer import chain_ids
from pymoby.reference import BadPattern, Reference, familiar_name, familiar_string, path_match, tag_name_only

from ..container import parse_time
from ..events import parse_timestamp

if TYPE_CHECKING:
    from ._service import ImageService

__all__ = ["LIST_FILTERS", "bool_filter", "created_ns", "image_labels", "list_images", "reference_matches"]

LIST_FILTERS = frozenset({"dangling", "label", "before", "since", "reference", "until"})


def bool_filter(filters: api.Filters, name: str, default: bool) -> bool:
    """A true/false filter (``dangling=true``); ``InvalidParameter`` for anything else, as Docker says it."""
    if name not in filters:
        return default
    values = filters.get(name)
    falsy = bool(values & {"0", "false"})
    truthy = bool(values & {"1", "true"})
    if falsy == truthy:
        raise api.InvalidFilter(f"invalid filter '{name}=[{' '.join(sorted(values))}]'")
    return truthy


def created_ns(image: Image) -> int:
    """When the image was created, in nanoseconds (0 when unknown)."""
    created = image.config.created
    if not created:
        return 0
    try:
        return parse_time(created)
    except ValueError:
        return 0


def image_labels(image: Image) -> dict[str, str]:
    """The image's labels (``config.Labels``)."""
    config = image.config.config
    return dict(config.labels or {}) if config is not None else {}


def reference_matches(patterns: Iterable[str], ref: Reference) -> bool:
    """Whether a ``reference`` filter pattern matches ``ref`` in one of the forms Docker tries."""
    targets = (familiar_string(ref), familiar_name(ref), str(tag_name_only(ref)), ref.name)
    for pattern in patterns:
        for target in targets:
            try:
                if path_match(pattern, target):
                    return True
            except BadPattern as exc:
                raise errdefs.InvalidParameter(f"invalid reference filter {pattern!r}: {exc}") from exc
    return False


def _time_bounds(service: ImageService, filters: api.Filters) -> tuple[int | None, int | None]:
    """(before, since) in nanoseconds: before the oldest ``before``/``until``, after the newest ``since``."""
    before: int | None = None
    since: int | None = None
    for value in filters.get("before"):
        created = created_ns(service.get_image(value))
        before = created if before is None else min(before, created)
    now = time.time_ns()
    for value in filters.get("until"):
        try:
            moment = parse_timestamp(value, now)
        except errdefs.InvalidParameter as exc:
            raise errdefs.InvalidParameter(f"invalid value for 'until' filter: {exc}") from exc
        before = moment if before is None else min(before, moment)
    for value in filters.get("since"):
        created = created_ns(service.get_image(value))
        since = created if since is None else max(since, created)
    return before, since


def list_images(
    service: ImageService, filters: api.Filters, *, all_images: bool = False, shared_size: bool = False
) -> list[api.ImageSummary]:
    """The images ``docker images`` lists (blocking: call it from a worker thread).

    Raises ``InvalidParameter`` for an unknown or malformed filter and
    ``NotFound`` for a ``before``/``since`` image that does not exist.
    """
    filters.validate(LIST_FILTERS)
    dangling_only = bool_filter(filters, "dangling", False)
    before, since = _time_bounds(service, filters)
    patterns = filters.get("reference")
    everything = service.images.images()
    service.facts.forget_missing({image.id for image in everything})
    links = service.facts.links(everything)
    has_children = set(links.values())
    usage = service.container_counts()
    summaries: list[tuple[int, api.ImageSummary, Image]] = []
    for image in everything:
        if dangling_only and image.id in has_children:
            continue
        facts = service.facts.facts(image)
        created = facts.created
        if before is not None and not (created and created < before):
            continue
        if since is not None and not (created and created > since):
            continue
        if "label" in filters and (not facts.has_config or not filters.matches_labels("label", facts.labels)):
            continue
        tags: list[str] = []
        digests: list[str] = []
        for ref in service.references.references(image.id):
            if patterns and not reference_matches(patterns, ref):
                continue
            (digests if ref.digest is not None else tags).append(familiar_string(ref))
        if not tags and not digests:
            if all_images or image.id not in has_children:
                if "dangling" in filters and not dangling_only:
                    continue
                if patterns:
                    continue
            else:
                continue
        elif dangling_only and tags:
            continue
        summary = api.ImageSummary(
            id=image.id,
            parent_id=links.get(image.id, ""),
            repo_tags=tags,
            repo_digests=digests,
            created=created // 1_000_000_000,
            size=facts.size,
            shared_size=-1,
            labels=dict(facts.labels) or None,
            containers=usage.get(image.id, 0),
        )
        summaries.append((created, summary, image))
    if shared_size:
        _fill_shared_sizes(service, [(s, i) for _, s, i in summaries], everything)
    summaries.sort(key=lambda entry: entry[0], reverse=True)
    return [summary for _, summary, _ in summaries]


def _fill_shared_sizes(
    service: ImageService, selected: list[tuple[api.ImageSummary, Image]], every: list[Image]
) -> None:
    """``SharedSize``: the size of the layers an image shares with at least one other image."""
    holders: dict[str, int] = {}
    for image in every:
        for chain in chain_ids(image.config.rootfs.diff_ids):
            holders[chain] = holders.get(chain, 0) + 1
    for summary, image in selected:
        shared = 0
        for chain in chain_ids(image.config.rootfs.diff_ids):
            if holders.get(chain, 0) > 1:
                shared += service.layers.lookup(chain).diff_size
        summary.shared_size = shared
