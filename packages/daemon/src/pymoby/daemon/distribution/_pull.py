"""``docker pull``: registry -> layer store -> image store -> tag, with Docker's progress messages.

Per tag: the manifest (an index is resolved to the wanted platform), then
``Pulling from NAME``, the config (verified), and the layers: those whose
chain is present are ``Already exists``; the others are downloaded in
parallel (the daemon-wide ``max-concurrent-downloads`` at a time, the rest
``Waiting``) to verified temporary files, then applied on their parent
chain in order (``Extracting``), checked against the config's diff IDs.
Each layer is a shared transfer, so two pulls of one image download it
once. Then the image is stored, the tag and the repository digest are
recorded, and ``Digest:`` and ``Status:`` lines end the stream.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import anyio

from pymoby import errdefs
from pymoby.image import config_digest, parse_config
from pymoby.layer import Layer, UnknownLayer, chain_ids
from pymoby.reference import (
    Reference,
    ReferenceNotFound,
    familiar_name,
    familiar_string,
    trim_named,
    with_digest,
    with_tag,
)
from pymoby.registry import (
    Credentials,
    Descriptor,
    DigestMismatch,
    Manifest,
    Platform,
    RegistryClient,
    RegistryError,
    default_platform,
)

from ._jobs import Job
from ._metadata import BlobRecord
from ._progress import Throttle, progress_message, short_id, status_message, update_message
from ._registry import LayerVerificationFailed, SharedClient, client_options, translate_pull_error
from ._xfer import Aborted, Transfer, TransferEvent, run_abortable

if TYPE_CHECKING:
    from ._service import Distribution

__all__ = ["PlatformMismatch", "RootFSMismatch", "first_error", "pull"]


class RootFSMismatch(errdefs.InvalidParameter):
    """The manifest's layers do not match the image configuration's."""


class PlatformMismatch(errdefs.NotFound):
    """The image found is not for the platform asked for."""


def first_error(group: ExceptionGroup[Exception]) -> Exception:
    """The first leaf of a task group's failure (what parallel transfers report)."""
    first: Exception = group
    while isinstance(first, ExceptionGroup):
        first = first.exceptions[0]
    return first


async def pull(
    service: Distribution,
    job: Job,
    ref: Reference,
    *,
    platform: Platform | None,
    credentials: Credentials | None,
) -> None:
    """Pull ``ref`` into the stores, writing progress to ``job`` (see the module docstring)."""
    anonymous = credentials is None or credentials.empty
    client = SharedClient(RegistryClient(client_options(service.options, ref, credentials)))
    try:
        try:
            if ref.tag is None and ref.digest is None:
                updated = False
                tags = sorted([tag async for tag in client.client.tags(ref)])
                for tag in tags:
                    updated |= await _pull_tag(service, job, client, with_tag(ref, tag), platform)
                shown = familiar_name(ref)
            else:
                updated = await _pull_tag(service, job, client, ref, platform)
                shown = familiar_string(ref)
        except RegistryError as exc:
            raise translate_pull_error(exc, ref, anonymous=anonymous) from exc
        state = "Downloaded newer image" if updated else "Image is up to date"
        job.write(status_message(f"Status: {state} for {shown}"))
    finally:
        await client.release()


async def _pull_tag(
    service: Distribution, job: Job, client: SharedClient, ref: Reference, platform: Platform | None
) -> bool:
    """Pull one tag or digest; whether the reference now points at another image than before."""
    top = await client.client.get_manifest(ref)
    manifest = top
    if top.is_index:
        manifest = await client.client.platform_manifest(ref, top, platform or default_platform())
    job.write(status_message(f"Pulling from {ref.path}", id=ref.tag or ref.digest or ""))
    if manifest.config is None:
        raise RootFSMismatch(f"{familiar_string(ref)} has no image configuration")
    raw = await client.client.get_blob(ref, manifest.config)
    config = parse_config(raw)
    if len(config.rootfs.diff_ids) != len(manifest.layers):
        raise RootFSMismatch("layers from manifest don't match image configuration")
    if config.os and config.os != "linux":
        raise errdefs.InvalidParameter(f'image operating system "{config.os}" cannot be used on this platform')
    if platform is not None and not top.is_index:
        wanted = platform.normalized()
        actual = Platform(config.os or "linux", config.architecture, config.variant).normalized()
        if (wanted.os, wanted.architecture) != (actual.os, actual.architecture):
            raise PlatformMismatch(
                f"image with reference {familiar_string(ref)} was found but does not match the specified "
                f"platform: wanted {wanted}, actual: {actual}"
            )
    image_id = config_digest(raw)
    if image_id not in service.images:
        await _pull_layers(service, job, client, ref, manifest, config.rootfs.diff_ids, raw)
    updated = await anyio.to_thread.run_sync(_record, service, ref, top.digest, image_id)
    job.write(status_message(f"Digest: {top.digest}"))
    service.log("pull", familiar_string(ref), familiar_name(ref))
    return updated


def _record(service: Distribution, ref: Reference, manifest_digest: str, image_id: str) -> bool:
    """Point ``ref`` and the repository digest at the image, as dockerd does; whether ``ref`` moved."""
    references = service.references
    try:
        old: str | None = references.get(ref)
    except ReferenceNotFound:
        old = None
    if old == image_id:
        _add_digest_reference(service, ref, manifest_digest, image_id)
        return False
    if ref.digest is not None:
        references.add_digest(Reference(ref.domain, ref.path, None, ref.digest), image_id, force=True)
    else:
        _add_digest_reference(service, ref, manifest_digest, image_id)
        references.add_tag(ref, image_id, force=True)
    return True


def _add_digest_reference(service: Distribution, ref: Reference, digest: str, image_id: str) -> None:
    """Record ``name@digest`` for the image unless the digest is known (a digest never moves)."""
    digest_ref = with_digest(trim_named(ref), digest)
    try:
        service.references.get(digest_ref)
    except ReferenceNotFound:
        service.references.add_digest(digest_ref, image_id, force=True)


async def _pull_layers(
    service: Distribution,
    job: Job,
    client: SharedClient,
    ref: Reference,
    manifest: Manifest,
    diff_ids: list[str],
    config: bytes,
) -> None:
    """Get every layer of the image into the layer store, then store the image (which then holds them)."""
    layers = service.layers
    chains = chain_ids(diff_ids)
    held: list[str] = []
    plans: list[_LayerPlan] = []
    for index, (descriptor, diff_id) in enumerate(zip(manifest.layers, diff_ids, strict=True)):
        parent = plans[index - 1] if index else None
        plans.append(_LayerPlan(service, client, ref, descriptor, diff_id, chains[index], parent))
    try:
        async with anyio.create_task_group() as group:
            for plan in plans:
                try:
                    layers.get(plan.chain)
                except UnknownLayer:
                    job.write(update_message(plan.id, "Pulling fs layer"))
                    group.start_soon(plan.watch, job, held)
                else:
                    held.append(plan.chain)
                    job.write(update_message(plan.id, "Already exists"))
        await anyio.to_thread.run_sync(service.images.create, config)
    except ExceptionGroup as failed:  # an Exception group: cancellation is never in one
        raise first_error(failed) from None
    finally:
        for chain in held:
            layers.release(chain)


class _ProgressFile:
    """A blocking reader over the downloaded blob that counts what the layer store took and obeys ``abort``."""

    def __init__(self, file: IO[bytes], abort: threading.Event) -> None:
        self._file = file
        self._abort = abort
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        if self._abort.is_set():
            raise Aborted("layer registration cancelled")
        data = self._file.read(size)
        self.done += len(data)
        return data


class _LayerPlan:
    """How to get one layer: its blob, its diff ID, its chain, and the plan of the layer below."""

    def __init__(
        self,
        service: Distribution,
        client: SharedClient,
        ref: Reference,
        descriptor: Descriptor,
        diff_id: str,
        chain: str,
        parent: _LayerPlan | None,
    ) -> None:
        self.service = service
        self.client = client
        self.ref = ref
        self.descriptor = descriptor
        self.diff_id = diff_id
        self.chain = chain
        self.parent = parent
        self.id = short_id(descriptor.digest)

    def _acquire(self, layer: Layer) -> None:
        self.service.layers.get(layer.chain_id)

    def _release(self, layer: Layer) -> None:
        self.service.layers.release(layer.chain_id)

    async def get(self, listener: Callable[[TransferEvent], None] | None = None) -> Layer:
        """Watch (or start) the transfer of this layer; returns it with a reference taken for the caller."""
        return await self.service.downloads.watch(
            self.chain, self._make_work, listener=listener, acquire=self._acquire, release=self._release
        )

    async def watch(self, job: Job, held: list[str]) -> None:
        """Get the layer for a pull, showing its progress in ``job``; adds its chain to ``held``."""
        layer_id = self.id

        def listener(event: TransferEvent) -> None:
            if event.counted:
                job.write(progress_message(layer_id, event.action, event.current, event.total))
            else:
                job.write(update_message(layer_id, event.action))

        layer = await self.get(listener)
        held.append(layer.chain_id)

    def _make_work(self) -> Callable[[Transfer[Layer]], Awaitable[Layer]]:
        client = self.client.acquire()  # the transfer may outlive the pull that started it

        async def work(transfer: Transfer[Layer]) -> Layer:
            try:
                return await self._work(transfer, client.client)
            finally:
                await client.release()

        return work

    async def _work(self, transfer: Transfer[Layer], client: RegistryClient) -> Layer:
        service = self.service
        try:
            return service.layers.get(self.chain)  # registered by someone else meanwhile
        except UnknownLayer:
            pass
        path = await self._download(transfer, client)
        try:
            parent = await self.parent.get() if self.parent is not None else None
            try:
                layer = await self._register(transfer, path, parent)
            finally:
                if parent is not None:
                    service.layers.release(parent.chain_id)
        finally:
            path.unlink(missing_ok=True)
        record = BlobRecord(self.descriptor.digest, self.ref.name, self.descriptor.size, self.descriptor.media_type)
        try:
            await anyio.to_thread.run_sync(service.metadata.add, self.diff_id, record)
        except OSError:
            pass  # only an optimisation for later pushes
        transfer.status("Pull complete")
        return layer

    async def _download(self, transfer: Transfer[Layer], client: RegistryClient) -> Path:
        service = self.service
        limiter = service.downloads.limiter
        if limiter.available_tokens < 1:
            transfer.status("Waiting")
        async with limiter:
            path = service.scratch / f"{self.descriptor.digest.partition(':')[2]}-{secrets.token_hex(4)}"
            throttle = Throttle()
            size = self.descriptor.size

            def progress(_digest: str, done: int, total: int | None) -> None:
                total = total if total and total > 0 else size
                if throttle.ready(done, total):
                    transfer.progress("Downloading", done, total)

            try:
                await client.fetch_blob(self.ref, self.descriptor, path, progress=progress)
            except DigestMismatch as exc:
                raise LayerVerificationFailed(
                    f"filesystem layer verification failed for digest {self.descriptor.digest}"
                ) from exc
        transfer.status("Verifying Checksum")
        transfer.status("Download complete")
        return path

    async def _register(self, transfer: Transfer[Layer], path: Path, parent: Layer | None) -> Layer:
        layers = self.service.layers
        total = self.descriptor.size  # the file verified against it
        reading: list[_ProgressFile] = []

        def register(abort: threading.Event) -> Layer:
            with path.open("rb") as file:
                reader = _ProgressFile(file, abort)
                reading.append(reader)
                return layers.register(
                    reader,  # type: ignore[arg-type]
                    parent.chain_id if parent is not None else None,
                    expected_diff_id=self.diff_id,
                )

        async def report() -> None:
            while True:
                if reading:
                    transfer.progress("Extracting", reading[0].done, total)
                await anyio.sleep(0.1)

        async with anyio.create_task_group() as group:
            group.start_soon(report)
            layer = await run_abortable(register, lambda done: layers.release(done.chain_id))
            group.cancel_scope.cancel()
        transfer.progress("Extracting", total, total)
        return layer
