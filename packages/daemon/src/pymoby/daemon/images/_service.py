"""The image service: the layer, image and reference stores behind the daemon (Docker's ``daemon/images``).

Laid out as Docker does under the data root: ``<driver>/`` (the graph
driver's files), ``image/<driver>/layerdb``, ``image/<driver>/imagedb``,
``image/<driver>/repositories.json`` and ``image/<driver>/distribution``.
The stores are synchronous and thread-safe; what touches the disk for long
runs in a worker thread. Pulls, pushes, loads and saves run as jobs in the
service's own task group (:meth:`ImageService.serve`, for the daemon's
life), so that their transfers can be shared and outlive one client.

It serves the image router's endpoints and what containers need of images
(resolving a name, read-write layers, sizes).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from importlib import metadata
from pathlib import Path

import anyio
import anyio.abc

from pymoby import api, errdefs
from pymoby.image import AmbiguousImageID, Image, ImageStore, UnknownImage
from pymoby.layer import LayerStore, RWLayer, setup_init_layer
from pymoby.reference import (
    InvalidReference,
    Reference,
    ReferenceNotFound,
    ReferenceStore,
    familiar_string,
    parse_any_reference,
    tag_name_only,
)
from pymoby.registry import Credentials, Platform, RegistryOptions

from ..config import DaemonConfig
from ..distribution import Distribution, EventLog, Job, Jobs
from . import _archive, _commit, _delete, _inspect, _list
from ._backends import ContainerCommitter, ContainerUsage, ImageUser
from ._facts import ImageFactsCache

__all__ = ["ImageService", "NoSuchImage"]

log = logging.getLogger("pymoby.daemon")


class NoSuchImage(errdefs.NotFound):
    """No image with that name, tag, ID or ID prefix."""


def _version() -> str:
    try:
        return metadata.version("pymoby-daemon")
    except metadata.PackageNotFoundError:
        return ""


class ImageService:
    """Images and layers for the daemon.

    ``events`` gets the image events; ``registry`` holds the daemon's
    registry settings (mirrors, insecure registries, transfer limits);
    ``containers`` and ``committer`` are the container side's view (which
    container uses which image; commit). Open the stores with :meth:`open`
    (blocking), run :meth:`serve` in the daemon's task group.
    """

    def __init__(
        self,
        layers: LayerStore,
        images: ImageStore,
        references: ReferenceStore,
        *,
        events: EventLog | None = None,
        registry: RegistryOptions | None = None,
        containers: ContainerUsage | None = None,
        committer: ContainerCommitter | None = None,
    ) -> None:
        self.layers = layers
        self.images = images
        self.references = references
        self._events = events
        self.containers = containers
        self.committer = committer
        self.docker_version = _version()
        self.facts = ImageFactsCache(images, layers)
        self.jobs = Jobs()
        self.distribution = Distribution(
            layers, images, references, jobs=self.jobs, options=registry or RegistryOptions(), events=events
        )

    @classmethod
    def open(cls, data_root: Path, driver: str | None = None, **kwargs: object) -> ImageService:
        """Open (creating) the stores under ``data_root`` with graph driver ``driver`` (probed when None).

        Keyword arguments go to the constructor. Raises the stores' errors
        (``UnknownDriver``, ``StoreLocked``).
        """
        layers = LayerStore(data_root, driver or None)
        base = data_root / "image" / layers.driver_name
        images = ImageStore(base / "imagedb", layers)
        return cls(layers, images, ReferenceStore(base / "repositories.json"), **kwargs)  # type: ignore[arg-type]

    @property
    def events(self) -> EventLog | None:
        """Where image events go (the daemon's event bus); settable after construction."""
        return self._events

    @events.setter
    def events(self, events: EventLog | None) -> None:
        self._events = events
        self.distribution.events = events

    def close(self) -> None:
        """Unmount what the graph driver still holds and release the store lock."""
        self.layers.close()

    async def serve(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run the task group pulls, pushes and transfers live in, until cancelled (the daemon's shutdown)."""
        await self.jobs.serve(task_status=task_status)

    def configure_registry(self, options: RegistryOptions) -> None:
        """Use new registry settings (start-up, and a reload of mirrors, insecure registries, limits)."""
        self.distribution.configure(options)

    def configure(self, config: DaemonConfig) -> None:
        """Apply the daemon's registry settings: ``registry-mirrors``, ``insecure-registries``,
        ``max-concurrent-downloads`` and ``-uploads`` (at start-up and on every reload)."""
        self.configure_registry(
            RegistryOptions(
                mirrors=tuple(config.registry_mirrors),
                insecure_registries=tuple(config.insecure_registries),
                max_concurrent_downloads=config.max_concurrent_downloads,
                max_concurrent_uploads=config.max_concurrent_uploads,
                user_agent=f"pymoby/{self.docker_version or '0'}",
            )
        )

    @property
    def driver_name(self) -> str:
        """The graph driver in use (``overlay2``)."""
        return self.layers.driver_name

    def image_count(self) -> int:
        """How many images are stored (``/info``)."""
        return len(self.images)

    # -- lookups ------------------------------------------------------------------------
    def get_image(self, ref_or_id: str) -> Image:
        """The image a name, tag, digest, ID or unique ID prefix refers to, as Docker's ``GetImage``.

        Raises :class:`NoSuchImage` (``No such image: busybox:latest``) or
        ``InvalidParameter`` for a malformed reference.
        """
        try:
            ref = parse_any_reference(ref_or_id)
        except InvalidReference as exc:
            raise errdefs.InvalidParameter(str(exc)) from exc
        if not ref.is_named:
            try:
                return self.images.get(ref.digest or "")
            except UnknownImage:
                raise NoSuchImage(f"No such image: {ref.digest}") from None
        try:
            return self.images.get(self.references.get(ref))
        except (ReferenceNotFound, UnknownImage):
            pass
        try:
            return self.images.search(ref_or_id)
        except (UnknownImage, AmbiguousImageID):
            pass
        raise NoSuchImage(f"No such image: {familiar_string(tag_name_only(ref))}")

    def find_image(self, ref_or_id: str) -> Image | None:
        """Like :meth:`get_image`, ``None`` when there is no such image (or the reference is malformed)."""
        try:
            return self.get_image(ref_or_id)
        except (errdefs.NotFound, errdefs.InvalidParameter):
            return None

    def family(self, image_id: str) -> set[str]:
        """``image_id`` and every image built on it (the ``ancestor`` filter's set)."""
        children: dict[str, list[str]] = {}
        for child, parent in self._parent_links().items():
            children.setdefault(parent, []).append(child)
        found: set[str] = set()
        pending = [image_id]
        while pending:
            current = pending.pop()
            if current not in found:
                found.add(current)
                pending.extend(children.get(current, ()))
        return found

    def _parent_links(self) -> dict[str, str]:
        return self.facts.links(self.images.images())

    def parents(self) -> set[str]:
        """IDs of the images that have a child image."""
        return set(self._parent_links().values())

    def parent_of(self, image_id: str) -> str | None:
        """The parent recorded for an image (commit and build lineage), or None."""
        return self.facts.parent(image_id)

    def is_dangling(self, image_id: str) -> bool:
        """Whether the image has no reference and no child."""
        return not self.references.references(image_id) and not self.images.children(image_id)

    def repo_tags(self, image_id: str) -> tuple[list[str], list[str]]:
        """(RepoTags, RepoDigests) of an image."""
        tags, digests = [], []
        for ref in self.references.references(image_id):
            if ref.digest is not None:
                digests.append(familiar_string(ref))
            else:
                tags.append(familiar_string(ref))
        return tags, digests

    def containers_using(self, image_id: str) -> list[ImageUser]:
        """The containers created from the image (none when no container service is wired)."""
        return self.containers.containers_using(image_id) if self.containers is not None else []

    def container_counts(self) -> dict[str, int]:
        """How many containers use each image."""
        if self.containers is None:
            return {}
        return {image.id: len(self.containers.containers_using(image.id)) for image in self.images.images()}

    def tag_image(self, image_id: str, ref: Reference) -> None:
        """Point the tag ``ref`` at the image (moving it if needed), as ``docker tag`` (blocking)."""
        self.references.add_tag(ref, image_id, force=True)
        self.images.set_last_updated(image_id)
        self.log_image_event("tag", image_id, familiar_string(ref))

    # -- events -------------------------------------------------------------------------
    def log_event(self, event_type: str, action: str, actor: str, attributes: Mapping[str, str]) -> None:
        """Publish an event (when an event bus is wired)."""
        if self.events is not None:
            self.events.log(event_type, action, actor, attributes)

    def log_image_event(self, action: str, image_id: str, name: str) -> None:
        """An image event with the image's labels, as dockerd's ``LogImageEvent``."""
        attributes = {"name": name}
        image = self.find_image(image_id)
        if image is not None and image.config.config is not None:
            attributes.update(image.config.config.labels or {})
        self.log_event("image", action, image_id, attributes)

    # -- read-write layers --------------------------------------------------------------
    def create_rw_layer(self, container_id: str, image: Image) -> RWLayer:
        """The container's read-write layer on the image, with Docker's init layer (blocking)."""
        return self.layers.create_rw_layer(container_id, image.chain_id, setup_init_layer)

    def get_rw_layer(self, container_id: str) -> RWLayer:
        """The container's read-write layer (``UnknownMount`` when it has none)."""
        return self.layers.get_rw_layer(container_id)

    def release_rw_layer(self, container_id: str) -> None:
        """Delete the container's read-write layer (blocking); a missing one is not an error."""
        try:
            layer = self.layers.get_rw_layer(container_id)
        except errdefs.NotFound:
            return
        while layer.is_mounted:
            layer.unmount()
        self.layers.release_rw_layer(container_id)

    def container_sizes(self, container_id: str, image_id: str) -> tuple[int, int]:
        """(SizeRw, SizeRootFs) of a container (blocking: walks its files)."""
        try:
            rw = self.layers.get_rw_layer(container_id).size()
        except errdefs.NotFound:
            return 0, 0
        base = 0
        try:
            chain = self.images.get(image_id).chain_id
            if chain is not None:
                base = self.layers.size(chain)
        except errdefs.NotFound:
            pass
        return rw, rw + base

    def _overlay_dirs(self, cache_id: str, lower_of: str) -> dict[str, str]:
        home = self.layers.driver.home
        lower: list[str] = []
        try:
            for rel in (home / lower_of / "lower").read_text().split(":"):
                if rel:
                    lower.append(str((home / rel).resolve()))
        except OSError:
            pass
        data = {
            "MergedDir": str(home / cache_id / "merged"),
            "UpperDir": str(home / cache_id / "diff"),
            "WorkDir": str(home / cache_id / "work"),
        }
        if lower:
            data["LowerDir"] = ":".join(lower)
        return data

    def graph_driver_data(self, container_id: str) -> api.GraphDriverData:
        """``GraphDriver`` of a container's inspect (overlay2's directories)."""
        name = self.driver_name
        try:
            layer = self.layers.get_rw_layer(container_id)
        except errdefs.NotFound:
            return api.GraphDriverData(data=None, name=name)
        home = self.layers.driver.home
        if name != "overlay2":
            return api.GraphDriverData(data={"Dir": str(home / layer.mount_id)}, name=name)
        data = self._overlay_dirs(layer.mount_id, layer.init_id or layer.mount_id)
        if layer.init_id:
            data["LowerDir"] = ":".join([str(home / layer.init_id / "diff"), *filter(None, [data.get("LowerDir")])])
        return api.GraphDriverData(data=data, name=name)

    def image_graph_driver(self, image: Image) -> api.GraphDriverData:
        """``GraphDriver`` of an image's inspect: the directories of its top layer."""
        name = self.driver_name
        if image.chain_id is None:
            return api.GraphDriverData(data=None, name=name)
        layer = self.layers.lookup(image.chain_id)
        if name != "overlay2":
            return api.GraphDriverData(data={"Dir": str(self.layers.driver.home / layer.cache_id)}, name=name)
        return api.GraphDriverData(data=self._overlay_dirs(layer.cache_id, layer.cache_id), name=name)

    # -- endpoints ----------------------------------------------------------------------
    async def list_images(
        self, filters: api.Filters, *, all_images: bool = False, shared_size: bool = False
    ) -> list[api.ImageSummary]:
        """``GET /images/json`` (see :mod:`._list`)."""
        return await anyio.to_thread.run_sync(
            lambda: _list.list_images(self, filters, all_images=all_images, shared_size=shared_size)
        )

    async def inspect_image(self, name: str, api_version: tuple[int, int] = (1, 45)) -> api.ImageInspect:
        """``GET /images/{name}/json``; ``NotFound`` when there is no such image."""
        return await anyio.to_thread.run_sync(_inspect.inspect_image, self, name, api_version)

    async def image_history(self, name: str) -> list[api.ImageHistoryItem]:
        """``GET /images/{name}/history``."""
        return await anyio.to_thread.run_sync(_inspect.image_history, self, name)

    async def tag(self, name: str, ref: Reference) -> None:
        """``POST /images/{name}/tag``: ``NotFound`` for the image, ``InvalidParameter`` for the tag."""

        def run() -> None:
            self.tag_image(self.get_image(name).id, ref)

        await anyio.to_thread.run_sync(run)

    async def delete_image(self, name: str, *, force: bool, prune: bool) -> list[api.ImageDeleteResponseItem]:
        """``DELETE /images/{name}`` (see :mod:`._delete`)."""
        return await anyio.to_thread.run_sync(lambda: _delete.delete_image(self, name, force=force, prune=prune))

    async def prune_images(self, filters: api.Filters) -> api.ImagesPruneResponse:
        """``POST /images/prune``."""
        return await anyio.to_thread.run_sync(_delete.prune_images, self, filters)

    def pull(self, ref: Reference, *, platform: Platform | None, credentials: Credentials | None) -> Job:
        """Start pulling ``ref``; the job's output is the progress stream."""
        return self.jobs.start(lambda job: self.distribution.pull(job, ref, platform=platform, credentials=credentials))

    def push(self, ref: Reference, *, credentials: Credentials | None) -> Job:
        """Start pushing ``ref``; the job's output is the progress stream."""
        return self.jobs.start(lambda job: self.distribution.push(job, ref, credentials=credentials))

    async def distribution_inspect(self, ref: Reference, *, credentials: Credentials | None) -> api.DistributionInspect:
        """``GET /distribution/{name}/json``: the registry's manifest descriptor and platforms."""
        return await self.distribution.inspect(ref, credentials=credentials)

    async def search(
        self, term: str, *, limit: int, filters: api.Filters, credentials: Credentials | None
    ) -> list[api.ImageSearchResult]:
        """``GET /images/search``: the registry's ``/v1/search``; a clear error for registries without one."""
        return await self.distribution.search(term, limit=limit, filters=filters, credentials=credentials)

    async def save(self, names: list[str]) -> Job:
        """Start writing the archive of ``names`` (a raw job); name errors are raised before it starts."""
        items = await anyio.to_thread.run_sync(_archive.resolve_save, self, names)
        return self.jobs.start(lambda job: _archive.save_images(self, job, items), raw=True)

    def load(self, receive: Callable[[], Awaitable[bytes]], *, quiet: bool) -> Job:
        """Start loading an archive read from ``receive``; ``Loaded image: ...`` lines (progress unless quiet)."""
        return self.jobs.start(lambda job: _archive.load_images(self, job, receive, quiet=quiet))

    def import_image(
        self,
        receive: Callable[[], Awaitable[bytes]],
        *,
        source: str,
        ref: Reference | None,
        message: str,
        changes: list[str],
        platform: Platform | None,
    ) -> Job:
        """Start ``docker import`` of the body (``source`` ``-``) or a URL; the last line is the image ID."""
        target = (platform.os, platform.architecture, platform.variant) if platform is not None else None

        async def work(job: Job) -> None:
            await _archive.import_image(
                self, job, receive, source=source, ref=ref, message=message, changes=changes, platform=target
            )

        return self.jobs.start(work)

    async def commit(
        self,
        container: str,
        *,
        ref: Reference | None,
        author: str,
        comment: str,
        pause: bool,
        changes: list[str],
        config: api.ContainerConfig | None,
    ) -> str:
        """``POST /commit``: the new image's ID (see :mod:`._commit`)."""
        return await _commit.commit_container(
            self, container, ref=ref, author=author, comment=comment, pause=pause, changes=changes, config=config
        )
