"""The distribution service: the stores, the transfer managers and the registry settings pulls and pushes share."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from pymoby import api
from pymoby.image import ImageStore
from pymoby.layer import LayerStore
from pymoby.reference import Reference, ReferenceStore
from pymoby.registry import Credentials, Platform, RegistryOptions

from ._inspect import inspect
from ._jobs import Job, Jobs
from ._metadata import DistributionMetadata
from ._pull import pull
from ._push import push
from ._search import search
from ._xfer import TransferManager

__all__ = ["Distribution", "EventLog"]


class EventLog(Protocol):
    """Where image events go (the daemon's event bus)."""

    def log(self, event_type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None) -> object:
        """Record an event."""
        ...


class Distribution:
    """Pull and push between registries and the local stores.

    ``jobs`` is the task group transfers run in; ``options`` the daemon's
    registry settings (mirrors, insecure registries, certs.d), changed by
    :meth:`configure` on a reload; ``scratch`` a directory for downloads in
    progress (emptied at start: what is there is left over from a crash).
    """

    def __init__(
        self,
        layers: LayerStore,
        images: ImageStore,
        references: ReferenceStore,
        *,
        jobs: Jobs,
        options: RegistryOptions | None = None,
        events: EventLog | None = None,
        scratch: Path | None = None,
        metadata: DistributionMetadata | None = None,
    ) -> None:
        self.layers = layers
        self.images = images
        self.references = references
        self.jobs = jobs
        self.events = events
        self.options = options or RegistryOptions(certs_dir=None)
        self.scratch = scratch or layers.data_root / "tmp" / "downloads"
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.metadata = metadata or DistributionMetadata(
            layers.data_root / "image" / layers.driver_name / "distribution"
        )
        self.downloads = TransferManager(jobs, self.options.max_concurrent_downloads)
        self.uploads = TransferManager(jobs, self.options.max_concurrent_uploads)

    def configure(self, options: RegistryOptions) -> None:
        """Use new registry settings from now on (running transfers keep theirs)."""
        self.options = options
        self.downloads.set_limit(options.max_concurrent_downloads)
        self.uploads.set_limit(options.max_concurrent_uploads)

    def with_limits(self, *, downloads: int | None = None, uploads: int | None = None) -> None:
        """Change only the transfer limits (``max-concurrent-downloads`` / ``-uploads``)."""
        changes: dict[str, int] = {}
        if downloads is not None:
            changes["max_concurrent_downloads"] = downloads
        if uploads is not None:
            changes["max_concurrent_uploads"] = uploads
        self.configure(dataclasses.replace(self.options, **changes))  # type: ignore[arg-type]

    def log(self, action: str, ref: str, name: str) -> None:
        """An image event (``pull``, ``push``) for a reference, as dockerd logs them."""
        if self.events is not None:
            self.events.log("image", action, ref, {"name": name})

    async def pull(
        self, job: Job, ref: Reference, *, platform: Platform | None = None, credentials: Credentials | None = None
    ) -> None:
        """Pull ``ref`` (every tag of the repository when it has neither tag nor digest), writing progress to ``job``.

        Raises the registry's errors in dockerd's words (``manifest for ... not
        found``, ``pull access denied for ...``), layer and image store errors.
        """
        await pull(self, job, ref, platform=platform, credentials=credentials)

    async def push(self, job: Job, ref: Reference, *, credentials: Credentials | None = None) -> None:
        """Push the tag ``ref`` (every tag of the repository when it has none), writing progress to ``job``.

        Raises ``NotFound`` when there is nothing local to push, and the registry's errors.
        """
        await push(self, job, ref, credentials=credentials)

    async def inspect(self, ref: Reference, *, credentials: Credentials | None = None) -> api.DistributionInspect:
        """The registry's descriptor of ``ref``'s manifest and the platforms it has (``GET /distribution``)."""
        return await inspect(self, ref, credentials=credentials)

    async def search(
        self, term: str, *, limit: int, filters: api.Filters, credentials: Credentials | None = None
    ) -> list[api.ImageSearchResult]:
        """``docker search``: the registry's index; ``SearchUnsupported`` for a registry without one."""
        return await search(self, term, limit=limit, filters=filters, credentials=credentials)
