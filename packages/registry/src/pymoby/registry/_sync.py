"""The blocking facade: :class:`Registry` runs the async client in a background event loop.

For scripts::

    with Registry() as registry:
        print(registry.list_tags("localhost:5000/app"))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from pymoby.reference import Reference

from ._auth import Credentials
from ._blobs import Progress
from ._client import RegistryClient
from ._image import BlobDone, copy_image, pull_to_layout, push_from_layout
from ._manifest import Descriptor, Manifest
from ._options import RegistryOptions
from ._platform import Platform
from ._upload import BlobSource, PushedBlob

__all__ = ["Registry"]

T = TypeVar("T")


async def _collect(iterator: AsyncIterator[str]) -> list[str]:
    return [item async for item in iterator]


class Registry:
    """A blocking registry client: the methods of :class:`RegistryClient`, without ``await``.

    Close it (or use ``with``) to stop its event loop thread.
    """

    def __init__(self, options: RegistryOptions | None = None) -> None:
        self._portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal("asyncio")
        self._portal = self._portal_cm.__enter__()
        self.client: RegistryClient = self._portal.call(lambda: RegistryClient(options))

    def _call(self, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        async def run() -> T:
            return await func(*args, **kwargs)

        return self._portal.call(run)

    def close(self) -> None:
        """Close the connections and stop the event loop thread."""
        try:
            self._portal.call(self.client.aclose)
        finally:
            self._portal_cm.__exit__(None, None, None)

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def get_manifest(self, ref: str | Reference, *, platform: Platform | str | None = None) -> Manifest:
        """See :meth:`RegistryClient.get_manifest`."""
        return self._call(self.client.get_manifest, ref, platform=platform)

    def resolve(self, ref: str | Reference) -> Descriptor:
        """See :meth:`RegistryClient.resolve`."""
        return self._call(self.client.resolve, ref)

    def get_config(self, ref: str | Reference, *, platform: Platform | str | None = None) -> bytes:
        """See :meth:`RegistryClient.get_config`."""
        return self._call(self.client.get_config, ref, platform=platform)

    def get_blob(self, ref: str | Reference, descriptor: Descriptor) -> bytes:
        """See :meth:`RegistryClient.get_blob`."""
        return self._call(self.client.get_blob, ref, descriptor)

    def fetch_blob(
        self, ref: str | Reference, descriptor: Descriptor, path: Path, *, progress: Progress | None = None
    ) -> None:
        """Download a blob into ``path``, atomically; see :meth:`RegistryClient.fetch_blob`."""
        self._call(self.client.fetch_blob, ref, descriptor, path, progress=progress)

    def push_blob(
        self,
        ref: str | Reference,
        source: bytes | Path,
        *,
        digest: str | None = None,
        media_type: str = "application/octet-stream",
        mount_from: str | Reference | None = None,
    ) -> PushedBlob:
        """See :meth:`RegistryClient.push_blob` (from bytes or a file here)."""
        blob: BlobSource = source
        return self._call(self.client.push_blob, ref, blob, digest=digest, media_type=media_type, mount_from=mount_from)

    def put_manifest(self, ref: str | Reference, manifest: Manifest | bytes, media_type: str = "") -> str:
        """See :meth:`RegistryClient.put_manifest`."""
        return self._call(self.client.put_manifest, ref, manifest, media_type)

    def delete_manifest(self, ref: str | Reference) -> str:
        """See :meth:`RegistryClient.delete_manifest`."""
        return self._call(self.client.delete_manifest, ref)

    def list_tags(self, repository: str | Reference, *, page_size: int | None = None) -> list[str]:
        """Every tag of a repository."""
        return self._call(_collect, self.client.tags(repository, page_size=page_size))

    def catalog(self, registry: str, *, page_size: int | None = None) -> list[str]:
        """Every repository of a registry."""
        return self._call(_collect, self.client.catalog(registry, page_size=page_size))

    def login(self, registry: str, credentials: Credentials) -> str:
        """See :meth:`RegistryClient.login`."""
        return self._call(self.client.login, registry, credentials)

    def pull(
        self,
        ref: str | Reference,
        directory: Path,
        *,
        platform: Platform | None = None,
        all_platforms: bool = False,
        progress: Progress | None = None,
        on_blob: BlobDone | None = None,
    ) -> Descriptor:
        """Pull into an OCI layout; see :func:`pull_to_layout`."""
        return self._call(
            pull_to_layout,
            self.client,
            ref,
            directory,
            platform=platform,
            all_platforms=all_platforms,
            progress=progress,
            on_blob=on_blob,
        )

    def push(self, directory: Path, ref: str | Reference, *, name: str = "", on_blob: BlobDone | None = None) -> str:
        """Push an OCI layout's image; see :func:`push_from_layout`."""
        return self._call(push_from_layout, self.client, directory, ref, name=name, on_blob=on_blob)

    def copy(self, source: str | Reference, destination: str | Reference, *, all_platforms: bool = True) -> str:
        """Copy an image between repositories or registries; see :func:`copy_image`."""
        return self._call(copy_image, self.client, source, destination, all_platforms=all_platforms)
