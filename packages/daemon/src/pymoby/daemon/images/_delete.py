"""``DELETE /images/{name}`` and ``POST /images/prune``, with dockerd's untag/delete rules and conflicts.

Removing by reference untags it (and the repository's digests when no tag
of it remains); the image goes with its last reference. Removing by ID
removes its one repository's references and the image. Conflicts are
*hard* (a child image, a running container: never forced) or *soft*
(another reference, a stopped container: ``force`` overrides). Unless
``noprune``, untagged parents are removed too, quietly. Every removal is
reported: ``Untagged: busybox:latest``, ``Deleted: sha256:<image>``,
``Deleted: sha256:<chain>`` for each layer released.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from pymoby import api, errdefs
from pymoby.layer import chain_ids
from pymoby.reference import Reference, ReferenceNotFound, familiar_string, parse_normalized_named, tag_name_only

from ..events import parse_timestamp
from ._list import bool_filter, created_ns, image_labels

if TYPE_CHECKING:
    from ._service import ImageService

__all__ = ["PRUNE_FILTERS", "ImageConflict", "delete_image", "prune_images"]

PRUNE_FILTERS = frozenset({"dangling", "label", "label!", "until"})

_CHILD = 1
_RUNNING = 2
_REFERENCED = 4
_STOPPED = 8
_HARD = _CHILD | _RUNNING
_SOFT = _REFERENCED | _STOPPED

_prune_lock = threading.Lock()


class ImageConflict(errdefs.Conflict):
    """The image cannot be removed (Docker's ``conflict: unable to delete ...``)."""

    def __init__(self, message: str, *, used: bool = False) -> None:
        super().__init__(message)
        #: Whether a container's use is the cause (a quiet parent prune reports such conflicts).
        self.used = used


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _is_id_prefix(image_id: str, name: str) -> bool:
    return image_id.startswith(name) or image_id.removeprefix("sha256:").startswith(name)


def _single_reference(refs: list[Reference]) -> bool:
    """Whether all of ``refs`` are of one repository with at most one tag (false when empty)."""
    if len(refs) <= 1:
        return len(refs) == 1
    single: Reference | None = None
    digested: set[str] = set()
    for ref in refs:
        if ref.digest is not None:
            digested.add(ref.name)
        elif single is None:
            single = ref
        else:
            return False
    if single is None:
        single = refs[0]
    return len(digested) == 1 and single.name in digested


def _conflict(service: ImageService, image_id: str, mask: int) -> ImageConflict | None:
    if mask & _CHILD and service.images.children(image_id):
        return ImageConflict(
            f"conflict: unable to delete {_short(image_id)} (cannot be forced) - image has dependent child images"
        )
    users = service.containers_using(image_id)
    if mask & _RUNNING:
        running = [u for u in users if u.running]
        if running:
            return ImageConflict(
                f"conflict: unable to delete {_short(image_id)} (cannot be forced) - "
                f"image is being used by running container {_short(running[0].container_id)}",
                used=True,
            )
    if mask & _REFERENCED and service.references.references(image_id):
        return ImageConflict(
            f"conflict: unable to delete {_short(image_id)} (must be forced) - "
            "image is referenced in multiple repositories"
        )
    if mask & _STOPPED:
        stopped = [u for u in users if not u.running]
        if stopped:
            return ImageConflict(
                f"conflict: unable to delete {_short(image_id)} (must be forced) - "
                f"image is being used by stopped container {_short(stopped[0].container_id)}",
                used=True,
            )
    return None


def _untag(service: ImageService, ref: Reference, image_id: str, records: list[api.ImageDeleteResponseItem]) -> None:
    ref = tag_name_only(ref)
    try:
        service.references.delete(ref)
    except ReferenceNotFound:
        pass
    service.log_image_event("untag", image_id, image_id)
    records.append(api.ImageDeleteResponseItem(untagged=familiar_string(ref)))


def delete_image(
    service: ImageService, name: str, *, force: bool = False, prune: bool = True
) -> list[api.ImageDeleteResponseItem]:
    """Remove the image or reference ``name`` as ``docker rmi`` does (blocking); what was removed, in order.

    Raises ``NotFound`` and :class:`ImageConflict` (409) in Docker's words.
    """
    image = service.get_image(name)
    image_id = image.id
    refs = service.references.references(image_id)
    records: list[api.ImageDeleteResponseItem] = []
    quiet = False
    if not _is_id_prefix(image_id, name):
        if not force and _single_reference(refs):
            users = service.containers_using(image_id)
            if users:
                raise ImageConflict(
                    f'conflict: unable to remove repository reference "{name}" (must force) - container '
                    f"{_short(users[0].container_id)} is using its referenced image {_short(image_id)}",
                    used=True,
                )
        parsed = tag_name_only(parse_normalized_named(name))
        _untag(service, parsed, image_id, records)
        refs = service.references.references(image_id)
        if parsed.digest is None and not any(r.digest is None and r.name == parsed.name for r in refs):
            for ref in [r for r in refs if r.digest is not None and r.name == parsed.name]:
                _untag(service, ref, image_id, records)
            refs = service.references.references(image_id)
        if refs:
            return records
        quiet = True
    elif _single_reference(refs):
        mask = _HARD if force else _HARD | _STOPPED
        conflict = _conflict(service, image_id, mask)
        if conflict is not None:
            raise conflict
        for ref in refs:
            _untag(service, ref, image_id, records)
    _delete_helper(service, image_id, records, force=force, prune=prune, quiet=quiet)
    return records


def _delete_helper(
    service: ImageService,
    image_id: str,
    records: list[api.ImageDeleteResponseItem],
    *,
    force: bool,
    prune: bool,
    quiet: bool,
) -> None:
    conflict = _conflict(service, image_id, _HARD if force else _HARD | _SOFT)
    if conflict is not None:
        if quiet and (not service.is_dangling(image_id) or conflict.used):
            return
        raise conflict
    parent = service.images.get_parent(image_id)
    for ref in service.references.references(image_id):
        _untag(service, ref, image_id, records)
    image = service.images.get(image_id)
    chains = chain_ids(image.config.rootfs.diff_ids)
    service.images.delete(image_id)
    service.log_image_event("delete", image_id, image_id)
    records.append(api.ImageDeleteResponseItem(deleted=image_id))
    for chain in reversed(chains):
        if not service.layers.has(chain):
            records.append(api.ImageDeleteResponseItem(deleted=chain))
    if prune and parent and parent in service.images:
        _delete_helper(service, parent, records, force=False, prune=True, quiet=True)


def prune_images(service: ImageService, filters: api.Filters) -> api.ImagesPruneResponse:
    """``docker image prune``: dangling images (``dangling=false``: every unused one), with label and until filters.

    Blocking. Raises ``InvalidParameter`` for bad filters and ``Conflict``
    when a prune is already running.
    """
    if not _prune_lock.acquire(blocking=False):
        raise errdefs.Conflict("a prune operation is already running")
    try:
        return _prune(service, filters)
    finally:
        _prune_lock.release()


def _prune(service: ImageService, filters: api.Filters) -> api.ImagesPruneResponse:
    filters.validate(PRUNE_FILTERS)
    dangling_only = bool_filter(filters, "dangling", True)
    until: int | None = None
    if "until" in filters:
        values = filters.get("until")
        if len(values) > 1:
            raise errdefs.InvalidParameter("more than one until filter specified")
        try:
            until = parse_timestamp(next(iter(values)), time.time_ns())
        except errdefs.InvalidParameter as exc:
            raise errdefs.InvalidParameter(f"invalid value for 'until' filter: {exc}") from exc
    parents = service.parents()
    sizes = {layer.chain_id: layer.diff_size for layer in service.layers.layers()}
    candidates = []
    for image in service.images.images():
        if dangling_only and image.id in parents:
            continue
        refs = service.references.references(image.id)
        if not refs and image.id in parents:
            continue
        if until is not None and (not created_ns(image) or created_ns(image) > until):
            continue
        labels = image_labels(image)
        if image.config.config is not None:
            if not filters.matches_labels("label", labels):
                continue
            if "label!" in filters and filters.matches_labels("label!", labels):
                continue
        candidates.append((image.id, refs))
    deleted: list[api.ImageDeleteResponseItem] = []
    for image_id, refs in candidates:
        if image_id not in service.images:
            continue  # removed with a child pruned before it
        names: list[str]
        if refs:
            if dangling_only and any(r.digest is None for r in refs):
                continue
            names = [str(r) for r in refs]
        else:
            names = [image_id.removeprefix("sha256:")]
        for name in names:
            try:
                deleted.extend(delete_image(service, name, prune=True))
            except (errdefs.Conflict, errdefs.NotFound):
                continue
    reclaimed = sum(sizes.get(item.deleted, 0) for item in deleted if item.deleted)
    service.log_event("image", "prune", "", {"reclaimed": str(reclaimed)})
    return api.ImagesPruneResponse(images_deleted=deleted or None, space_reclaimed=reclaimed)
