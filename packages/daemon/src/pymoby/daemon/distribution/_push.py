"""``docker push``: layers, config and a Docker schema 2 manifest, with Docker's progress messages.

Per tag: every layer (top first in the messages, as dockerd lists them) is
``Preparing``; a layer the registry already has, by what an earlier pull or
push recorded (:mod:`._metadata`), is ``Layer already exists`` or is
mounted from another repository of the registry (``Mounted from NAME``);
the others are uploaded: the layer's original tar stream (so its diff ID
is unchanged, whoever made it), gzip-compressed on a worker thread and
sent in chunks, ``Pushing`` with the uncompressed bytes done, then
``Pushed``. Then the config and the manifest; the line
``TAG: digest: sha256:... size: N`` and an ``aux`` result end it, and the
pushed digest is recorded so ``RepoDigests`` show it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import anyio

from pymoby import api, errdefs
from pymoby.image import Image
from pymoby.layer import chain_ids
from pymoby.reference import (
    Reference,
    ReferenceNotFound,
    familiar_name,
    familiar_string,
    parse_normalized_named,
    trim_named,
    with_digest,
)
from pymoby.registry import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    OCI_LAYER,
    Credentials,
    Descriptor,
    RegistryClient,
    RegistryError,
    Unauthorized,
    parse_manifest,
)

from ._jobs import Job
from ._metadata import BlobRecord
from ._progress import Throttle, aux_message, progress_message, short_id, status_message, update_message
from ._pull import first_error
from ._registry import SharedClient, client_options, scope_refused, translate_push_error
from ._xfer import Transfer, TransferEvent

if TYPE_CHECKING:
    from ._service import Distribution

__all__ = ["NoSuchTag", "push"]

#: Layer media types whose blobs can be named in a Docker schema 2 manifest as they are.
_GZIP_LAYERS = frozenset({DOCKER_LAYER, OCI_LAYER, ""})
_BATCH = 1 << 20


class NoSuchTag(errdefs.NotFound):
    """Nothing local to push under that name or tag."""


class _NotThere(Exception):
    """The registry has not got the blob: an upload would be needed (checked without uploading)."""


async def _refuse_upload() -> AsyncIterator[bytes]:
    raise _NotThere
    yield b""  # pragma: no cover - makes this an async generator


async def push(service: Distribution, job: Job, ref: Reference, *, credentials: Credentials | None) -> None:
    """Push the tag ``ref`` (every tag of its repository when it has none), writing progress to ``job``."""
    job.write(status_message(f"The push refers to repository [{ref.name}]"))
    if ref.digest is not None:
        raise errdefs.InvalidParameter("cannot push a digest reference")
    targets = await anyio.to_thread.run_sync(_targets, service, ref)
    client = SharedClient(RegistryClient(client_options(service.options, ref, credentials)))
    try:
        for tagged, image_id in targets:
            await _push_tag(service, job, client, tagged, image_id)
    except RegistryError as exc:
        refusal = await scope_refused(client.client, ref) if isinstance(exc, Unauthorized) else None
        raise translate_push_error(exc, scope_refusal=refusal) from exc
    finally:
        await client.release()


def _targets(service: Distribution, ref: Reference) -> list[tuple[Reference, str]]:
    references = service.references
    associations = [a for a in references.references_by_name(ref) if a.ref.tag is not None and a.ref.digest is None]
    if not associations:
        raise NoSuchTag(f"An image does not exist locally with the tag: {familiar_name(ref)}")
    if ref.tag is None:
        return [(a.ref, a.id) for a in associations]
    try:
        return [(ref, references.get(ref))]
    except ReferenceNotFound:
        raise NoSuchTag(f"tag does not exist: {familiar_string(ref)}") from None


async def _push_tag(service: Distribution, job: Job, client: SharedClient, ref: Reference, image_id: str) -> None:
    image: Image = service.images.get(image_id)
    diff_ids = image.config.rootfs.diff_ids
    chains = chain_ids(diff_ids)
    top = chains[-1] if chains else None
    if top is not None:
        service.layers.get(top)  # nothing deletes the layers while they are pushed
    try:
        uploads = [
            _LayerUpload(service, client, ref, diff_id, chain) for diff_id, chain in zip(diff_ids, chains, strict=True)
        ]
        for upload in reversed(uploads):
            job.write(update_message(upload.id, "Preparing"))
        descriptors: dict[int, Descriptor] = {}

        async def one(index: int, upload: _LayerUpload) -> None:
            descriptors[index] = await upload.watch(job)

        try:
            async with anyio.create_task_group() as group:
                for index, upload in enumerate(uploads):
                    group.start_soon(one, index, upload)
        except ExceptionGroup as failed:  # an Exception group: cancellation is never in one
            raise first_error(failed) from None
    finally:
        if top is not None:
            service.layers.release(top)
    config = await client.client.push_blob(ref, image.raw, media_type=DOCKER_CONFIG)
    body = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": config.descriptor.size, "digest": config.descriptor.digest},
        "layers": [
            {"mediaType": DOCKER_LAYER, "size": descriptors[i].size, "digest": descriptors[i].digest}
            for i in range(len(uploads))
        ],
    }
    raw = json.dumps(body, indent=3).encode()
    digest = await client.client.put_manifest(ref, parse_manifest(raw, DOCKER_MANIFEST))
    tag = ref.tag or "latest"
    job.write(status_message(f"{tag}: digest: {digest} size: {len(raw)}"))
    job.write(aux_message(api.PushResult(tag=tag, digest=digest, size=len(raw))))
    await anyio.to_thread.run_sync(_record_digest, service, ref, digest, image_id)
    service.log("push", familiar_string(ref), familiar_name(ref))


def _record_digest(service: Distribution, ref: Reference, digest: str, image_id: str) -> None:
    digest_ref = with_digest(trim_named(ref), digest)
    try:
        service.references.get(digest_ref)
    except ReferenceNotFound:
        service.references.add_digest(digest_ref, image_id, force=True)


class _LayerUpload:
    """One layer to get into the repository of ``ref``: found, mounted or uploaded."""

    def __init__(self, service: Distribution, client: SharedClient, ref: Reference, diff_id: str, chain: str) -> None:
        self.service = service
        self.client = client
        self.ref = ref
        self.diff_id = diff_id
        self.chain = chain
        self.id = short_id(diff_id)

    async def watch(self, job: Job) -> Descriptor:
        """The layer's blob in the repository, pushing it unless someone is pushing it already."""
        layer_id = self.id

        def listener(event: TransferEvent) -> None:
            if event.counted:
                job.write(progress_message(layer_id, event.action, event.current, event.total))
            else:
                job.write(update_message(layer_id, event.action))

        return await self.service.uploads.watch(f"{self.diff_id}@{self.ref.name}", self._make_work, listener=listener)

    def _make_work(self) -> Callable[[Transfer[Descriptor]], Awaitable[Descriptor]]:
        client = self.client.acquire()

        async def work(transfer: Transfer[Descriptor]) -> Descriptor:
            try:
                return await self._work(transfer, client.client)
            finally:
                await client.release()

        return work

    async def _work(self, transfer: Transfer[Descriptor], client: RegistryClient) -> Descriptor:
        found = await self._known(transfer, client)
        if found is not None:
            return found
        service = self.service
        limiter = service.uploads.limiter
        if limiter.available_tokens < 1:
            transfer.status("Waiting")
        async with limiter:
            pushed = await client.push_blob(self.ref, self._compressed(transfer), media_type=DOCKER_LAYER)
        transfer.status("Pushed")
        record = BlobRecord(pushed.descriptor.digest, self.ref.name, pushed.descriptor.size, DOCKER_LAYER)
        await anyio.to_thread.run_sync(service.metadata.add, self.diff_id, record)
        return Descriptor(DOCKER_LAYER, pushed.descriptor.digest, pushed.descriptor.size)

    async def _known(self, transfer: Transfer[Descriptor], client: RegistryClient) -> Descriptor | None:
        """The blob, if the registry has it here or can mount it from another repository."""
        service = self.service
        records = await anyio.to_thread.run_sync(service.metadata.records, self.diff_id)
        candidates = [r for r in records if r.registry == self.ref.domain and r.media_type in _GZIP_LAYERS]
        candidates.sort(key=lambda r: r.repository != self.ref.name)  # this repository first
        for record in candidates[:4]:
            source = None if record.repository == self.ref.name else parse_normalized_named(record.repository)
            try:
                pushed = await client.push_blob(
                    self.ref,
                    _refuse_upload(),
                    digest=record.digest,
                    size=record.size if record.size >= 0 else None,
                    media_type=DOCKER_LAYER,
                    mount_from=source,
                )
            except _NotThere:
                await anyio.to_thread.run_sync(service.metadata.remove, self.diff_id, record)
                continue
            except errdefs.NotFound:
                continue
            size = pushed.descriptor.size if pushed.descriptor.size >= 0 else record.size
            if size < 0:
                continue  # the manifest needs the size
            if pushed.how == "mounted" and source is not None:
                transfer.status(f"Mounted from {source.path}")
                mounted = BlobRecord(record.digest, self.ref.name, size, DOCKER_LAYER)
                await anyio.to_thread.run_sync(service.metadata.add, self.diff_id, mounted)
            else:
                transfer.status("Layer already exists")
            return Descriptor(DOCKER_LAYER, record.digest, size)
        return None

    async def _compressed(self, transfer: Transfer[Descriptor]) -> AsyncIterator[bytes]:
        """The layer's tar, byte for byte as registered, gzip-compressed on a worker thread."""
        layers = self.service.layers
        layer = layers.lookup(self.chain)
        total = layer.tar_size if layer.tar_size is not None else layer.diff_size
        stream = layers.tar_stream(self.chain)
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        state = {"done": 0, "ended": False}
        throttle = Throttle()

        def batch() -> bytes:
            out: list[bytes] = []
            size = 0
            for chunk in stream:
                state["done"] += len(chunk)
                piece = compressor.compress(chunk)
                if piece:
                    out.append(piece)
                    size += len(piece)
                if size >= _BATCH:
                    return b"".join(out)
            out.append(compressor.flush())
            state["ended"] = True
            return b"".join(out)

        try:
            while not state["ended"]:
                data = await anyio.to_thread.run_sync(batch)
                if throttle.ready(state["done"], total) or state["ended"]:
                    transfer.progress("Pushing", state["done"], total)
                if data:
                    yield data
        finally:
            close = getattr(stream, "close", None)  # a generator: closing releases its layer reference
            if close is not None:
                close()
