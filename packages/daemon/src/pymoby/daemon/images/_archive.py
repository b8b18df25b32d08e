"""``docker save``, ``docker load`` and ``docker import`` through the daemon.

The archive formats are pymoby-image's; this module resolves the names as
dockerd does, streams the archive through a job (a worker thread produces
it, the client reads it), reads request bodies from worker threads, and
reports ``Loading layer`` progress and ``Loaded image: ...`` lines.
"""

from __future__ import annotations

import contextlib
import os
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, cast

import anyio
import anyio.from_thread
import anyio.lowlevel

from pymoby import api, errdefs
from pymoby.image import ContainerConfig, SaveItem, import_rootfs, load, save
from pymoby.layer import Layer, LayerStore
from pymoby.reference import (
    InvalidReference,
    Reference,
    familiar_name,
    familiar_string,
    is_name_only,
    parse_any_reference,
)

from ..distribution import Job, Throttle, progress_message, short_id, status_message
from ._changes import apply_changes

if TYPE_CHECKING:
    from ._service import ImageService

__all__ = ["BodyFile", "import_image", "load_images", "resolve_save", "save_images"]

_BATCH = 1 << 20


class BodyFile:
    """A blocking, readable file over an async byte source, for a worker thread.

    Each refill goes back to the event loop once and gathers up to 1 MiB, so
    a large upload costs few thread switches.
    """

    def __init__(self, receive: Callable[[], Awaitable[bytes]], token: object) -> None:
        self._receive = receive
        self._token = token
        self._buffer = bytearray()
        self._ended = False
        self.received = 0

    async def _fill(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while size < _BATCH:
            chunk = await self._receive()
            if not chunk:
                self._ended = True
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); ``b""`` at the end."""
        while not self._ended and (size < 0 or len(self._buffer) < size):
            data = anyio.from_thread.run(self._fill, token=self._token)  # type: ignore[arg-type]
            self.received += len(data)
            self._buffer += data
        if size < 0 or size >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
            return out
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def readable(self) -> bool:
        return True


# -- save -------------------------------------------------------------------------------------


def resolve_save(service: ImageService, names: list[str]) -> list[SaveItem]:
    """The images and tags ``docker save NAMES`` writes, as dockerd picks them (blocking).

    A bare repository name saves every tag of it; a tag that one tag; an
    ID the image without tags. Raises ``NotFound`` and ``InvalidParameter``.
    """
    chosen: dict[str, list[str]] = {}

    def add(image_id: str, ref: Reference | None) -> None:
        tags = chosen.setdefault(image_id, [])
        if ref is not None and ref.tag is not None and ref.digest is None:
            shown = familiar_string(ref)
            if shown not in tags:
                tags.append(shown)

    for name in names:
        try:
            ref = parse_any_reference(name)
        except InvalidReference as exc:
            raise errdefs.InvalidParameter(f"invalid reference: {name}: {exc}") from exc
        if not ref.is_named or familiar_name(ref) == "sha256":
            add(service.get_image(name).id, None)
        elif is_name_only(ref):
            associations = service.references.references_by_name(ref)
            for association in associations:
                add(association.id, association.ref)
            if not associations:
                image = service.find_image(name)
                if image is None:
                    raise errdefs.NotFound(f"No such image: {name}")
                add(image.id, None)
        else:
            add(service.get_image(name).id, ref)
    return [SaveItem(image_id, tags) for image_id, tags in chosen.items()]


async def save_images(service: ImageService, job: Job, items: list[SaveItem]) -> None:
    """Write the archive of ``items`` to ``job`` (raw bytes), produced on a worker thread."""
    stream: Iterator[bytes] = save(service.images, service.layers, items)
    ended = False

    def batch() -> bytes:
        nonlocal ended
        parts: list[bytes] = []
        size = 0
        for chunk in stream:
            parts.append(chunk)
            size += len(chunk)
            if size >= _BATCH:
                return b"".join(parts)
        ended = True
        return b"".join(parts)

    try:
        while not ended:
            await job.send(await anyio.to_thread.run_sync(batch))
    finally:
        cast(Any, stream).close()
    for item in items:
        service.log_image_event("save", item.image_id, item.image_id)


# -- load -------------------------------------------------------------------------------------


class _LoadingLayers:
    """The layer store as ``load`` sees it: registering reports ``Loading layer`` progress."""

    def __init__(self, layers: LayerStore, report: Callable[[api.JSONMessage], None]) -> None:
        self._layers = layers
        self._report = report

    def __getattr__(self, name: str) -> Any:
        return getattr(self._layers, name)

    def register(self, stream: IO[bytes], parent: str | None = None, *, expected_diff_id: str | None = None) -> Layer:
        try:
            total = os.fstat(stream.fileno()).st_size
        except (OSError, AttributeError, ValueError):
            total = 0
        layer_id = short_id(expected_diff_id or "")
        throttle = Throttle()
        report = self._report
        done = 0

        class Counting:
            def read(self, size: int = -1) -> bytes:
                nonlocal done
                data = stream.read(size)
                done += len(data)
                if throttle.ready(done, total):
                    report(progress_message(layer_id, "Loading layer", done, total))
                return data

        return self._layers.register(cast(IO[bytes], Counting()), parent, expected_diff_id=expected_diff_id)


async def load_images(service: ImageService, job: Job, receive: Callable[[], Awaitable[bytes]], *, quiet: bool) -> None:
    """Load a ``docker save`` archive read from ``receive``; ``Loaded image: ...`` lines (and progress unless quiet)."""
    token = anyio.lowlevel.current_token()

    def report(message: api.JSONMessage) -> None:
        anyio.from_thread.run_sync(job.write, message, token=token)

    layers = service.layers if quiet else cast(LayerStore, _LoadingLayers(service.layers, report))

    def run() -> list[Any]:
        return load(cast(IO[bytes], BodyFile(receive, token)), service.images, layers, service.references)

    loaded = await anyio.to_thread.run_sync(run)
    for result in loaded:
        for line in result.messages():
            job.write(api.JSONMessage(stream=line + "\n"))
        service.log_image_event("load", result.image.id, result.image.id)


# -- import -----------------------------------------------------------------------------------


def _open_url(source: str) -> IO[bytes]:
    url = source if "://" in source else "http://" + source
    try:
        return cast(IO[bytes], urllib.request.urlopen(url, timeout=60))
    except urllib.error.HTTPError as exc:
        raise errdefs.InvalidParameter(f"error downloading {url}: {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise errdefs.InvalidParameter(f"error downloading {url}: {exc}") from exc


async def import_image(
    service: ImageService,
    job: Job,
    receive: Callable[[], Awaitable[bytes]],
    *,
    source: str,
    ref: Reference | None,
    message: str,
    changes: list[str],
    platform: tuple[str, str, str] | None,
) -> str:
    """``docker import``: a root file system tar (the body when ``source`` is ``-``, else a URL) as an image.

    Writes the new image ID as the last status line and returns it. Raises
    ``InvalidParameter`` for bad changes or a bad tar.
    """
    config = apply_changes(ContainerConfig(), changes)
    os_name, architecture, variant = platform or ("linux", None, "")
    token = anyio.lowlevel.current_token()

    def run() -> str:
        if source == "-":
            stream: IO[bytes] = cast(IO[bytes], BodyFile(receive, token))
            closing: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
        else:
            anyio.from_thread.run_sync(job.write, status_message(f"Downloading from {source}"), token=token)
            stream = _open_url(source)
            closing = stream
        with closing:
            image = import_rootfs(
                stream,
                service.images,
                service.layers,
                config=config,
                message=message,
                source=source,
                architecture=architecture,
                os_name=os_name,
                variant=variant,
            )
        return image.id

    image_id = await anyio.to_thread.run_sync(run)
    if ref is not None:
        await anyio.to_thread.run_sync(service.tag_image, image_id, ref)
    service.log_image_event("import", image_id, image_id)
    job.write(status_message(image_id))
    return image_id
