"""Whole-image operations: registry -> OCI layout, layout -> registry, registry -> registry.

Blobs move in parallel (``max_concurrent_downloads`` / ``max_concurrent_uploads``);
within one registry, ``copy`` mounts blobs instead of moving them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio

from pymoby.reference import Reference, tag_name_only

from ._blobs import Progress
from ._client import RegistryClient, as_reference
from ._layout import OCILayout
from ._manifest import Descriptor, Manifest, parse_manifest
from ._platform import Platform, default_platform
from ._upload import PushedBlob

__all__ = ["copy_image", "first_error", "pull_to_layout", "push_from_layout"]

#: ``on_blob(descriptor, how)`` after each blob: ``exists``, ``mounted``, ``uploaded``, ``downloaded``.
BlobDone = Callable[[Descriptor, str], None]


async def _images(
    client: RegistryClient, ref: Reference, top: Manifest, platform: Platform | None, all_platforms: bool
) -> tuple[Manifest, list[Manifest]]:
    """The manifest to record and the image manifests under it."""
    if not top.is_index:
        return top, [top]
    if all_platforms:
        children = [await client.get_manifest(Reference(ref.domain, ref.path, None, d.digest)) for d in top.manifests]
        return top, [c for c in children if not c.is_index]
    chosen = await client.platform_manifest(ref, top, platform or default_platform())
    return chosen, [chosen]


def first_error(group: ExceptionGroup[Exception]) -> Exception:
    """The first leaf error of a task group's failure: what parallel transfers report to callers."""
    first: Exception = group
    while isinstance(first, ExceptionGroup):
        first = first.exceptions[0]
    return first


def _unique_blobs(images: list[Manifest]) -> list[Descriptor]:
    seen: dict[str, Descriptor] = {}
    for image in images:
        for blob in image.blobs():
            seen.setdefault(blob.digest, blob)
    return list(seen.values())


async def pull_to_layout(
    client: RegistryClient,
    ref: str | Reference,
    directory: Path,
    *,
    platform: Platform | None = None,
    all_platforms: bool = False,
    progress: Progress | None = None,
    on_blob: BlobDone | None = None,
) -> Descriptor:
    """Pull ``ref`` into the OCI layout at ``directory``; returns the descriptor recorded in index.json.

    One platform (``platform``, else this machine's) unless
    ``all_platforms``, which keeps the whole index. Blobs already in the
    layout are not downloaded again.
    """
    ref = as_reference(ref)
    layout = await anyio.to_thread.run_sync(OCILayout.create, directory)
    top = await client.get_manifest(ref)
    recorded, images = await _images(client, ref, top, platform, all_platforms)
    limiter = anyio.CapacityLimiter(max(1, client.options.max_concurrent_downloads))

    async def download(blob: Descriptor) -> None:
        async with limiter:
            if layout.has_blob(blob):
                how = "exists"
            else:
                await client.fetch_blob(ref, blob, layout.blob_path(blob.digest), progress=progress)
                how = "downloaded"
        if on_blob is not None:
            on_blob(blob, how)

    try:
        async with anyio.create_task_group() as group:
            for blob in _unique_blobs(images):
                group.start_soon(download, blob)
    except ExceptionGroup as failed:  # an Exception group: cancellation is never in one
        raise first_error(failed) from None
    for image in images:
        layout.write_blob(image.raw, image.media_type)
    if recorded is top:
        layout.write_blob(top.raw, top.media_type)
    layout.add(recorded.descriptor, ref.tag or "")
    return recorded.descriptor


async def _push_blobs(
    client: RegistryClient,
    ref: Reference,
    blobs: list[Descriptor],
    source: Callable[[Descriptor], object],
    *,
    mount_from: Reference | None,
    progress: Progress | None,
    on_blob: BlobDone | None,
) -> None:
    limiter = anyio.CapacityLimiter(max(1, client.options.max_concurrent_uploads))

    async def push(blob: Descriptor) -> None:
        async with limiter:
            pushed: PushedBlob = await client.push_blob(
                ref,
                source(blob),  # type: ignore[arg-type]
                digest=blob.digest,
                size=blob.size,
                media_type=blob.media_type,
                mount_from=mount_from,
                progress=progress,
            )
        if on_blob is not None:
            on_blob(blob, pushed.how)

    try:
        async with anyio.create_task_group() as group:
            for blob in blobs:
                group.start_soon(push, blob)
    except ExceptionGroup as failed:  # an Exception group: cancellation is never in one
        raise first_error(failed) from None


async def push_from_layout(
    client: RegistryClient,
    directory: Path,
    ref: str | Reference,
    *,
    name: str = "",
    progress: Progress | None = None,
    on_blob: BlobDone | None = None,
) -> str:
    """Push the image of the OCI layout at ``directory`` (entry ``name``, or the only one) to ``ref``.

    Blobs first (those the registry has are skipped), then the manifests of
    an index by digest, then the top manifest by tag. Returns its digest.
    """
    ref = tag_name_only(as_reference(ref))
    layout = OCILayout(directory)
    entry = layout.find(name)
    top = parse_manifest(layout.read_blob(entry.digest), entry.media_type, str(directory))
    images = (
        [parse_manifest(layout.read_blob(d.digest), d.media_type, str(directory)) for d in top.manifests]
        if top.is_index
        else [top]
    )
    await _push_blobs(
        client,
        ref,
        _unique_blobs(images),
        lambda blob: layout.blob_path(blob.digest),
        mount_from=None,
        progress=progress,
        on_blob=on_blob,
    )
    if top.is_index:
        for image in images:
            await client.put_manifest(Reference(ref.domain, ref.path, None, image.digest), image)
    return await client.put_manifest(ref, top)


async def copy_image(
    client: RegistryClient,
    source: str | Reference,
    destination: str | Reference,
    *,
    platform: Platform | None = None,
    all_platforms: bool = True,
    progress: Progress | None = None,
    on_blob: BlobDone | None = None,
) -> str:
    """Copy an image between repositories or registries; returns the pushed digest.

    Within one registry blobs are mounted; otherwise they stream from the
    source into the destination without touching the disk.
    """
    src = as_reference(source)
    dst = tag_name_only(as_reference(destination))
    top = await client.get_manifest(src)
    recorded, images = await _images(client, src, top, platform, all_platforms)

    def stream(blob: Descriptor) -> Callable[[], object]:
        return lambda: client.blob_chunks(src, blob)

    await _push_blobs(
        client,
        dst,
        _unique_blobs(images),
        stream,
        mount_from=src if src.domain == dst.domain else None,
        progress=progress,
        on_blob=on_blob,
    )
    if recorded.is_index:
        for image in images:
            await client.put_manifest(Reference(dst.domain, dst.path, None, image.digest), image)
    return await client.put_manifest(dst, recorded)
