"""Making the image of each build step in the stores (blocking: call from worker threads).

Every step gives a child image of the previous one, as dockerd's
``NewChildImage``: the parent's layers plus the step's (none when the step
changed no file: ``empty_layer`` in its history entry), the parent's
history plus one entry whose ``created_by`` is the step record's command,
``config`` the run configuration after the step, ``container_config`` the
step record. The parent link is kept in the image store (``docker
history``, the build cache, ``docker images -a``).

Files are changed in read-write layers on the parent's chain: a RUN
container's, or one made here for COPY, ADD and WORKDIR.
"""

from __future__ import annotations

import datetime
import secrets
import stat
from pathlib import Path

from pymoby.image import ContainerConfig, History, Image, ImageConfig, RootFS, encode_config, format_time
from pymoby.image import host_architecture as _host_architecture
from pymoby.layer import Layer, LayerStore, RWLayer

from ..archive import ContainerFS
from ..images import EMPTY_LAYER_DIFF_ID
from ._backend import BuildImages
from ._errors import BuildStepError

__all__ = ["STEP_LAYER_PREFIX", "ImageWriter", "StepLayer"]

#: The names of the read-write layers steps make (container IDs are 64 hex digits: no clash).
STEP_LAYER_PREFIX = "build-"


class StepLayer:
    """A read-write layer on an image made for one step (COPY, ADD, WORKDIR, COPY --from's source).

    :meth:`mount` it, change files, then :meth:`commit` (its changes as a
    layer) and :meth:`release` (always).
    """

    def __init__(self, layers: LayerStore, parent: Image | None) -> None:
        self._layers = layers
        self.name = STEP_LAYER_PREFIX + secrets.token_hex(16)
        self.rw: RWLayer = layers.create_rw_layer(self.name, parent.chain_id if parent is not None else None)
        self._mounted = False

    def mount(self) -> Path:
        """Mount it; its root file system."""
        root = self.rw.mount()
        self._mounted = True
        return root

    def commit(self) -> Layer:
        """Register its changes as a layer on the parent's chain (the caller releases the layer)."""
        if self._mounted:
            self.rw.unmount()
            self._mounted = False
        return self._layers.register_changes(self.rw, self.rw.parent)

    def release(self) -> None:
        """Unmount and delete it."""
        if self._mounted:
            self.rw.unmount()
            self._mounted = False
        self._layers.release_rw_layer(self.name)


class ImageWriter:
    """Creates the images of build steps in an image service's stores."""

    def __init__(self, images: BuildImages) -> None:
        self.service = images

    def image(self, image_id: str) -> Image | None:
        """The image ``image_id`` (None for ``scratch``, the empty ID)."""
        return self.service.images.get(image_id) if image_id else None

    def step_layer(self, parent_id: str) -> StepLayer:
        """A fresh read-write layer on ``parent_id``'s layers."""
        return StepLayer(self.service.layers, self.image(parent_id))

    def create(
        self,
        parent_id: str,
        *,
        config: ContainerConfig,
        container_config: ContainerConfig,
        author: str,
        layer: Layer | None = None,
        container_id: str = "",
    ) -> str:
        """Store the child image of ``parent_id`` (``""``: scratch) for a step; its ID.

        ``layer`` is the step's layer (None, or an empty one: no new layer).
        """
        parent = self.image(parent_id)
        base = parent.config if parent is not None else ImageConfig(os="linux")
        empty = layer is None or layer.diff_id == EMPTY_LAYER_DIFF_ID
        diff_ids = list(base.rootfs.diff_ids)
        if not empty:
            assert layer is not None
            diff_ids.append(layer.diff_id)
        now = format_time(datetime.datetime.now(datetime.UTC))
        step = History(created=now, author=author, created_by=" ".join(container_config.cmd or []), empty_layer=empty)
        image_config = ImageConfig(
            architecture=base.architecture or _host_architecture(),
            os=base.os or "linux",
            os_version=base.os_version,
            os_features=base.os_features,
            variant=base.variant,
            created=now,
            author=author,
            config=config,
            container=container_id,
            container_config=container_config,
            docker_version=self.service.docker_version,
            rootfs=RootFS("layers", diff_ids),
            history=[*base.history, step],
        )
        image = self.service.images.create(encode_config(image_config))
        if parent is not None:
            self.service.images.set_parent(image.id, parent.id)
        return image.id

    def commit_container(
        self,
        container_id: str,
        parent_id: str,
        *,
        config: ContainerConfig,
        container_config: ContainerConfig,
        author: str,
    ) -> str:
        """The image of a RUN step: the container's changes on ``parent_id``."""
        rw = self.service.layers.get_rw_layer(container_id)
        layer = self.service.layers.register_changes(rw, rw.parent)
        try:
            return self.create(
                parent_id,
                config=config,
                container_config=container_config,
                author=author,
                layer=layer,
                container_id=container_id,
            )
        finally:
            self.service.layers.release(layer.chain_id)

    def make_workdir(
        self, parent_id: str, workdir: str, *, config: ContainerConfig, container_config: ContainerConfig, author: str
    ) -> str:
        """The image of a WORKDIR step: the directory made (root's, 0755) where it was missing."""
        step = self.step_layer(parent_id)
        try:
            root = step.mount()
            with ContainerFS(root) as fs:
                try:
                    with fs.resolve(workdir, follow_last=True, create_dirs=True) as node:
                        if node.name != "." and not stat.S_ISDIR(node.lstat().st_mode):
                            raise BuildStepError(f"Cannot mkdir: {workdir} is not a directory")
                except (NotADirectoryError, FileExistsError) as exc:
                    raise BuildStepError(f"Cannot mkdir: {workdir} is not a directory") from exc
            layer = step.commit()
            try:
                return self.create(
                    parent_id, config=config, container_config=container_config, author=author, layer=layer
                )
            finally:
                self.service.layers.release(layer.chain_id)
        finally:
            step.release()
